"""An iM871A on a pseudo terminal: speaks the HCI (PROTOCOL.md section 1) and replays telegrams.

    python -m tools.im871a_emulator --link /tmp/im871a --replay shared/vectors/omnipower.json

creates a pty, symlinks its slave end at ``--link`` and behaves like the stick: it answers ping,
get device info, get/set configuration and reset, and sends every ``--interval`` seconds one
replayed telegram as a RADIOLINK data indication, honouring the link mode and the RSSI/timestamp
attachments the host configured (the CRC is always attached, as the real stick does).

Power-up behaviour: the real stick receives in its stored (NVM) link mode from power-up, before
any host has talked to it, so the emulator does too (``--link-mode``, default c1a; ``none``
models a stick that hears nothing until configured). The replayed telegrams are C-mode frames
(OmniPower sends C1): they are only "heard" while the link mode is one that receives C frames.

Serial line rate is modelled: frames never leave faster than 57600 baud (5760 bytes/s), so
``--interval 0`` means back to back at the link's maximum rate.

Faults, from Python (tests drive :class:`Im871aEmulator` in-process): ``inject_garbage``,
``flip_bits``, ``stop_answering``, ``unplug``, ``send_telegram``; from the shell: SIGUSR1
unplugs for ``--unplug-seconds``, SIGUSR2 flips ``--flip-bits`` bits in the next frame, SIGHUP
toggles answering requests. ``--garbage-every N`` sends 16 random bytes after every N frames.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable, Sequence
import contextlib
import json
import logging
import os
from pathlib import Path
import random
import signal
import tty
from typing import Final

from custom_components.wmbus.protocol import hci

_LOGGER = logging.getLogger(__name__)

LINE_BYTES_PER_S: Final = 5760.0  # 57600 baud, 8N1 = 10 bits per byte
OUTPUT_BUFFER_MAX_BYTES: Final = 1024  # like the CP210x buffer: no flow control, the rest is lost
RESET_REBOOT_S: Final = 0.5  # the module restarts about 500 ms after answering a reset
C_MODE_RECEIVERS: Final = frozenset(
    {hci.LinkMode.C1a, hci.LinkMode.C1b, hci.LinkMode.C2a, hci.LinkMode.C2b, hci.LinkMode.C1T1}
)
DEFAULT_DEVICE_INFO: Final = hci.DeviceInfo(
    module_type=hci.ModuleType.IM871A,
    device_mode=0,
    firmware_version=0x15,
    hci_version=0x0A,
    uid=0x00C0FFEE,
)


def load_telegrams(path: str | Path) -> list[bytes]:
    """Telegrams from a vectors JSON file (its telegram_hex, file order) or one hex per line."""
    text = Path(path).read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        document = json.loads(text)
        return [
            bytes.fromhex(v["telegram_hex"]) for v in document["vectors"] if "telegram_hex" in v
        ]
    telegrams = []
    for line in text.splitlines():
        hex_digits = line.split("#", 1)[0].strip().replace(" ", "")
        if hex_digits:
            telegrams.append(bytes.fromhex(hex_digits))
    return telegrams


class Im871aEmulator:
    """An emulated iM871A behind a pty whose slave end is symlinked at ``link``."""

    def __init__(
        self,
        link: str | Path,
        *,
        telegrams: Sequence[bytes] = (),
        interval_s: float | None = None,
        rssi_dbm: float = -60.0,
        power_up_link_mode: hci.LinkMode | None = hci.LinkMode.C1a,
        device_info: hci.DeviceInfo = DEFAULT_DEVICE_INFO,
        repeat: bool = True,
        garbage_every: int = 0,
        seed: int = 0,
    ) -> None:
        """Prepare an emulator; ``start()`` creates the pty.

        interval_s: replay ``telegrams`` every that many seconds (None: only on demand).
        repeat: start over at the end of ``telegrams``.
        """
        self.link = Path(link)
        self.telegrams = list(telegrams)
        self.interval_s = interval_s
        self.rssi_dbm = rssi_dbm
        self.device_info = device_info
        self.repeat = repeat
        self.garbage_every = garbage_every
        self._random = random.Random(seed)
        self._nvm = hci.StickConfiguration(
            device_mode=0,
            link_mode=None if power_up_link_mode is None else power_up_link_mode.code,
            rssi_attachment=False,
            timestamp_attachment=False,
        )
        self.configuration = self._nvm
        self.requests: list[hci.HciFrame] = []
        self.frames_sent = 0
        self.bytes_lost = 0
        self._answering = True
        self._flip_next = 0
        self._master: int | None = None
        self._slave: int | None = None
        self._decoder = hci.FrameDecoder()
        self._output = bytearray()
        self._writer_registered = False
        self._replay_task: asyncio.Task[None] | None = None
        self._started_at = 0.0
        self._rebooting_until = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- state seen by tests ----------------------------------------------------------------

    @property
    def link_mode(self) -> hci.LinkMode | None:
        """Link mode the radio currently receives in."""
        return self.configuration.link_mode_name

    @property
    def rssi_attachment(self) -> bool:
        """RSSI byte attached to data indications."""
        return bool(self.configuration.rssi_attachment)

    @property
    def timestamp_attachment(self) -> bool:
        """Timestamp attached to data indications."""
        return bool(self.configuration.timestamp_attachment)

    @property
    def answering(self) -> bool:
        """Host requests get responses."""
        return self._answering

    @property
    def plugged(self) -> bool:
        """The pty exists and the link points at it."""
        return self._master is not None

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Create the pty and the link; start replaying if an interval is set."""
        self._loop = asyncio.get_running_loop()
        self._started_at = self._loop.time()
        self._plug()
        if self.interval_s is not None and self.telegrams:
            self._replay_task = self._loop.create_task(self._replay(), name="im871a replay")

    async def stop(self) -> None:
        """Stop replaying, close the pty and remove the link."""
        task, self._replay_task = self._replay_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._unplug()

    async def __aenter__(self) -> Im871aEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- faults and on-demand traffic -------------------------------------------------------

    def send_telegram(self, telegram: bytes) -> bool:
        """Let the radio hear ``telegram`` now (L + payload); False if the link mode misses it."""
        return self._emit_indication(telegram) > 0

    def inject_garbage(self, data: bytes) -> None:
        """Write raw bytes to the host, as line noise would."""
        self._write(data)

    def flip_bits(self, count: int) -> None:
        """Flip ``count`` random bits after the 4-byte header of the next data indication."""
        self._flip_next = count

    def stop_answering(self, silent: bool = True) -> None:
        """Ignore (or, with False, answer again) host requests; data indications continue."""
        self._answering = not silent

    async def unplug(self, seconds: float) -> None:
        """Remove the device (link and pty) and bring it back at the same path after ``seconds``.

        Like a real unplug, RAM configuration is lost: the stick comes back in its NVM setup.
        Returns once it is plugged in again.
        """
        self._unplug()
        await asyncio.sleep(seconds)
        self.configuration = self._nvm
        self._plug()

    # --- pty --------------------------------------------------------------------------------

    def _plug(self) -> None:
        master, slave = os.openpty()
        # Raw, no echo: the host sees exactly the bytes written here, as on a UART.
        tty.setraw(slave)
        tty.setraw(master)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self._decoder.reset()
        self._output.clear()
        temporary = self.link.with_name(self.link.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        temporary.symlink_to(os.ttyname(slave))
        temporary.replace(self.link)
        assert self._loop is not None
        self._loop.add_reader(master, self._read_ready)

    def _unplug(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            if self.link.is_symlink():
                self.link.unlink()
        master, slave = self._master, self._slave
        self._master = self._slave = None
        if master is not None:
            assert self._loop is not None
            self._loop.remove_reader(master)
            if self._writer_registered:
                self._loop.remove_writer(master)
                self._writer_registered = False
            os.close(master)
        if slave is not None:
            # The emulator keeps its own slave fd open so the master never reads EIO while no
            # host is attached; closing both hangs the host's end up, as an unplug does.
            os.close(slave)
        self._output.clear()

    def _read_ready(self) -> None:
        if self._master is None:
            return
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:
            return
        except OSError:  # EIO: no one has the slave open
            return
        for frame in self._decoder.feed(data):
            self.requests.append(frame)
            self._answer(frame)

    def _write(self, data: bytes) -> None:
        if self._master is None:
            self.bytes_lost += len(data)
            return
        room = OUTPUT_BUFFER_MAX_BYTES - len(self._output)
        if room < len(data):
            self.bytes_lost += len(data) - max(room, 0)
            data = data[: max(room, 0)]
        self._output += data
        self._flush()

    def _flush(self) -> None:
        master = self._master
        if master is None:
            return
        while self._output:
            try:
                written = os.write(master, self._output)
            except BlockingIOError:
                break
            except OSError:
                self.bytes_lost += len(self._output)
                self._output.clear()
                break
            del self._output[:written]
        assert self._loop is not None
        if self._output and not self._writer_registered:
            self._loop.add_writer(master, self._flush)
            self._writer_registered = True
        elif not self._output and self._writer_registered:
            self._loop.remove_writer(master)
            self._writer_registered = False

    # --- HCI --------------------------------------------------------------------------------

    def _reply(self, msg_id: int, payload: bytes = b"") -> None:
        self._write(hci.encode_frame(hci.Endpoint.DEVMGMT, msg_id, payload, with_crc=True))

    def _answer(self, request: hci.HciFrame) -> None:
        assert self._loop is not None
        if not self._answering or self._loop.time() < self._rebooting_until:
            return
        if request.endpoint != hci.Endpoint.DEVMGMT:
            return
        msg = request.msg_id
        if msg == hci.DevMgmtMessage.PING_REQ:
            self._reply(hci.DevMgmtMessage.PING_RSP)
        elif msg == hci.DevMgmtMessage.GET_DEVICE_INFO_REQ:
            self._reply(hci.DevMgmtMessage.GET_DEVICE_INFO_RSP, self.device_info.encode())
        elif msg == hci.DevMgmtMessage.GET_CONFIG_REQ:
            payload = hci.encode_configuration(self.configuration)
            self._reply(hci.DevMgmtMessage.GET_CONFIG_RSP, payload)
        elif msg == hci.DevMgmtMessage.SET_CONFIG_REQ:
            try:
                store, update = hci.parse_set_configuration(request.payload)
            except hci.HciPayloadError:
                self._reply(hci.DevMgmtMessage.SET_CONFIG_RSP, b"\x01")
                return
            self.configuration = _merge(self.configuration, update)
            if store:
                self._nvm = _merge(self._nvm, update)
            self._reply(hci.DevMgmtMessage.SET_CONFIG_RSP, b"\x00")
        elif msg == hci.DevMgmtMessage.RESET_REQ:
            self._reply(hci.DevMgmtMessage.RESET_RSP, b"\x00")
            self.configuration = self._nvm
            self._rebooting_until = self._loop.time() + RESET_REBOOT_S

    def _emit_indication(self, telegram: bytes) -> int:
        """Send one data indication if the radio hears it; return the bytes sent."""
        assert self._loop is not None
        if self.link_mode not in C_MODE_RECEIVERS or not telegram:
            return 0
        # The HCI length byte takes the place of the L-field; the rest goes as it is, so a
        # malformed telegram reaches the host malformed.
        payload = telegram[1:256]
        timestamp = None
        if self.timestamp_attachment:
            ticks_ms = int((self._loop.time() - self._started_at) * 1000) & 0xFFFFFFFF
            timestamp = ticks_ms.to_bytes(4, "little")
        rssi_raw = hci.dbm_to_rssi(self.rssi_dbm) if self.rssi_attachment else None
        frame = bytearray(
            hci.encode_frame(
                hci.Endpoint.RADIOLINK,
                hci.RadioLinkMessage.WMBUS_MSG_IND,
                payload,
                timestamp=timestamp,
                rssi_raw=rssi_raw,
                with_crc=True,
            )
        )
        if self._flip_next:
            for _ in range(self._flip_next):
                position = self._random.randrange(hci.HEADER_SIZE, len(frame))
                frame[position] ^= 1 << self._random.randrange(8)
            self._flip_next = 0
        self._write(bytes(frame))
        self.frames_sent += 1
        if self.garbage_every and self.frames_sent % self.garbage_every == 0:
            self._write(self._random.randbytes(16))
        return len(frame)

    async def _replay(self) -> None:
        assert self._loop is not None
        interval = self.interval_s or 0.0
        next_at = self._loop.time()
        while True:
            for telegram in self.telegrams:
                sent = self._emit_indication(telegram)
                # Never faster than the serial line; idle a little if nothing was heard.
                step = max(interval, sent / LINE_BYTES_PER_S) or 0.05
                next_at += step
                delay = next_at - self._loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    if delay < -1.0:  # fell far behind (suspended?): do not burst to catch up
                        next_at = self._loop.time()
                    await asyncio.sleep(0)
            if not self.repeat:
                return


def _merge(base: hci.StickConfiguration, update: hci.StickConfiguration) -> hci.StickConfiguration:
    """Apply the fields present in ``update`` to ``base``."""
    changes = {
        name: getattr(update, name)
        for name in base.__dataclass_fields__
        if getattr(update, name) is not None
    }
    values = {name: getattr(base, name) for name in base.__dataclass_fields__}
    values.update(changes)
    return hci.StickConfiguration(**values)


def _parse_args(argv: Iterable[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.im871a_emulator", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--link", required=True, help="path of the symlink to the pty")
    parser.add_argument("--replay", help="vectors JSON file or text file, one hex telegram a line")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between telegrams")
    parser.add_argument("--rssi", type=float, default=-60.0, help="signal strength in dBm")
    parser.add_argument(
        "--link-mode",
        default="c1a",
        choices=[*hci.LinkMode, "none"],
        help="power-up (NVM) link mode",
    )
    parser.add_argument("--once", action="store_true", help="replay the file once, not forever")
    parser.add_argument("--garbage-every", type=int, default=0, metavar="N")
    parser.add_argument("--unplug-seconds", type=float, default=3.0, help="SIGUSR1 unplug time")
    parser.add_argument("--flip-bits", type=int, default=3, help="bits SIGUSR2 flips")
    parser.add_argument("--seconds", type=float, help="stop after this long")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(None if argv is None else list(argv))


async def _run(args: argparse.Namespace) -> None:
    emulator = Im871aEmulator(
        args.link,
        telegrams=load_telegrams(args.replay) if args.replay else (),
        interval_s=args.interval,
        rssi_dbm=args.rssi,
        power_up_link_mode=None if args.link_mode == "none" else hci.LinkMode(args.link_mode),
        repeat=not args.once,
        garbage_every=args.garbage_every,
    )
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    tasks: set[asyncio.Task[None]] = set()

    def unplug() -> None:
        task = loop.create_task(emulator.unplug(args.unplug_seconds))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, unplug)
    loop.add_signal_handler(signal.SIGUSR2, lambda: emulator.flip_bits(args.flip_bits))
    loop.add_signal_handler(signal.SIGHUP, lambda: emulator.stop_answering(emulator.answering))
    async with emulator:
        _LOGGER.info("iM871A emulator at %s (pid %d)", args.link, os.getpid())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.seconds):
                await stop.wait()
        for task in tasks:
            task.cancel()
    _LOGGER.info("sent %d frames, lost %d bytes", emulator.frames_sent, emulator.bytes_lost)


def main(argv: Iterable[str] | None = None) -> None:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    asyncio.run(_run(args))


if __name__ == "__main__":
    main()
