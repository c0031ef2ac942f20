"""An iM871A on a pseudo terminal: speaks IMST's WM-Bus HCI (host controller interface) to meters.

    python -m tools.im871a_emulator --link /tmp/im871a                  # meter 32666857
    python -m tools.im871a_emulator --link /tmp/im871a --water          # and a water meter
    python -m tools.im871a_emulator --link /tmp/im871a --replay FILE    # telegrams from a file

creates a pty, symlinks its slave end at ``--link`` and behaves like the stick: it answers ping,
get device info, get/set configuration and reset, and sends what its radio hears as RADIOLINK
data indications, honouring the link mode and the RSSI/timestamp attachments the host
configured (the CRC is always attached, as the real stick does).

What the radio hears: by default the meters of ``tools/simulated_meters.py``, each at its own
interval (``--interval`` overrides it): the OmniPower 32666857 with rising totals, encrypted with
its key (the seed's, as in the vectors); ``--water`` and ``--heat`` add mode-5 OMS meters (T1,
standard records only). Error cases only on request: ``--wrong-key-every N`` (every n-th
telegram of 32666857 encrypted with another key) and ``--neighbours N`` (N more OmniPowers
whose keys nobody has). ``--replay FILE`` plays a telegram file instead, every ``--interval``
seconds, in a loop (``--once``: once): the vectors file (its telegram_hex), the wmbusmeters
corpus (prior_telegrams_hex, then telegram_hex) or a text file with one hex telegram a line
(``#`` starts a comment). ``--status-file`` keeps a JSON
file with each meter's last sent values, for tests that compare them with what the host shows.

Power-up behaviour: the real stick receives in its stored (NVM) link mode from power-up, before
any host has talked to it, so the emulator does too (``--link-mode``, default c1a; ``none``
models a stick that hears nothing until configured). The simulated meters send C-mode frames
(OmniPower sends C1), heard only in a link mode that receives C frames; the water and heat
meters send T1 (link mode t1 or c1t1). A replayed file says nothing about the mode its
telegrams were sent in, so they are heard in every link mode (``--replay-radio c`` or ``t`` to
choose).

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
from typing import Any, Final, Literal

from custom_components.wmbus.protocol import hci
from tools.simulated_meters import (
    HEAT_INTERVAL_S,
    OMNIPOWER_ID,
    OMNIPOWER_INTERVAL_S,
    OMNIPOWER_KEY,
    WATER_INTERVAL_S,
    HeatMeter,
    HouseholdLoad,
    OmniPower,
    SimulatedMeter,
    WaterMeter,
)

_LOGGER = logging.getLogger(__name__)

LINE_BYTES_PER_S: Final = 5760.0  # 57600 baud, 8N1 = 10 bits per byte
OUTPUT_BUFFER_MAX_BYTES: Final = 1024  # like the CP210x buffer: no flow control, the rest is lost
RESET_REBOOT_S: Final = 0.5  # the module restarts about 500 ms after answering a reset
C_MODE_RECEIVERS: Final = frozenset(
    {hci.LinkMode.C1a, hci.LinkMode.C1b, hci.LinkMode.C2a, hci.LinkMode.C2b, hci.LinkMode.C1T1}
)
T_MODE_RECEIVERS: Final = frozenset({hci.LinkMode.T1, hci.LinkMode.T2, hci.LinkMode.C1T1})
type RadioMode = Literal["c", "t", "any"]
RECEIVERS: Final[dict[RadioMode, frozenset[hci.LinkMode]]] = {
    "c": C_MODE_RECEIVERS,
    "t": T_MODE_RECEIVERS,
    "any": frozenset(hci.LinkMode),
}
DEFAULT_DEVICE_INFO: Final = hci.DeviceInfo(
    module_type=hci.ModuleType.IM871A,
    device_mode=0,
    firmware_version=0x15,
    hci_version=0x0A,
    uid=0x00C0FFEE,
)


class TelegramFileError(ValueError):
    """A telegram file that cannot be replayed; the message says where and why."""


def load_telegrams(path: str | Path) -> list[bytes]:
    """Telegrams of a file, in the order a decoder must see them.

    A JSON document with ``vectors`` (the OmniPower vectors, the wmbusmeters corpus): per
    vector its ``prior_telegrams_hex`` (formats a compact frame refers to) then its
    ``telegram_hex``; vectors without a telegram are skipped. Any other file: one hex telegram
    a line, spaces allowed, ``#`` to the end of the line is a comment.
    """
    text = Path(path).read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return _telegrams_of_document(path, text)
    telegrams: list[bytes] = []
    for number, line in enumerate(text.splitlines(), start=1):
        hex_digits = line.split("#", 1)[0].strip().replace(" ", "")
        if hex_digits:
            telegrams.append(_telegram(hex_digits, f"{path}:{number}"))
    if not telegrams:
        raise TelegramFileError(f"{path}: no telegrams")
    return telegrams


def _telegrams_of_document(path: str | Path, text: str) -> list[bytes]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise TelegramFileError(f"{path}: not JSON ({err})") from None
    vectors = document.get("vectors") if isinstance(document, dict) else None
    if not isinstance(vectors, list):
        raise TelegramFileError(f"{path}: a JSON telegram file needs a 'vectors' list")
    telegrams: list[bytes] = []
    for index, vector in enumerate(vectors):
        where = f"{path}: vector {vector.get('id', index) if isinstance(vector, dict) else index}"
        if not isinstance(vector, dict) or "telegram_hex" not in vector:
            continue
        prior = vector.get("prior_telegrams_hex") or []
        if not isinstance(prior, list):
            raise TelegramFileError(f"{where}: prior_telegrams_hex must be a list")
        telegrams.extend(_telegram(hex_digits, where) for hex_digits in prior)
        telegrams.append(_telegram(vector["telegram_hex"], where))
    if not telegrams:
        raise TelegramFileError(f"{path}: no vector has a telegram_hex")
    return telegrams


def _telegram(hex_digits: Any, where: str) -> bytes:
    if not isinstance(hex_digits, str):
        raise TelegramFileError(f"{where}: a telegram must be a hex string")
    try:
        telegram = bytes.fromhex(hex_digits)
    except ValueError:
        raise TelegramFileError(f"{where}: not hex: {hex_digits[:40]!r}") from None
    if not 2 <= len(telegram) <= 256:
        raise TelegramFileError(f"{where}: a telegram has 2 to 256 bytes, got {len(telegram)}")
    return telegram


class Im871aEmulator:
    """An emulated iM871A behind a pty whose slave end is symlinked at ``link``."""

    def __init__(
        self,
        link: str | Path,
        *,
        telegrams: Sequence[bytes] = (),
        interval_s: float | None = None,
        replay_radio: RadioMode = "c",
        meters: Sequence[SimulatedMeter] = (),
        status_file: str | Path | None = None,
        rssi_dbm: float = -60.0,
        power_up_link_mode: hci.LinkMode | None = hci.LinkMode.C1a,
        device_info: hci.DeviceInfo = DEFAULT_DEVICE_INFO,
        repeat: bool = True,
        garbage_every: int = 0,
        seed: int = 0,
    ) -> None:
        """Prepare an emulator; ``start()`` creates the pty.

        interval_s: replay ``telegrams`` every that many seconds (None: only on demand).
        replay_radio: the link modes that hear the replayed telegrams (C, T or any mode).
        repeat: start over at the end of ``telegrams``.
        meters: simulated meters, each sending at its own interval from ``start()`` on.
        status_file: JSON file rewritten after every simulated telegram with each meter's last
            values (blocking writes: only for the command line, not inside a host's loop).
        """
        self.link = Path(link)
        self.telegrams = list(telegrams)
        self.interval_s = interval_s
        self.replay_receivers = RECEIVERS[replay_radio]
        self.meters = list(meters)
        self.status_file = None if status_file is None else Path(status_file)
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
        self._meter_tasks: list[asyncio.Task[None]] = []
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
        for index, meter in enumerate(self.meters):
            # Meters are not in step with each other: each starts a little later than the last.
            first_after_s = min(meter.interval_s, 1.0) * index / max(len(self.meters), 1)
            self._meter_tasks.append(
                self._loop.create_task(
                    self._simulate(meter, first_after_s), name=f"meter {meter.meter_id}"
                )
            )

    async def stop(self) -> None:
        """Stop the radio, close the pty and remove the link."""
        tasks = [task for task in (self._replay_task, *self._meter_tasks) if task is not None]
        self._replay_task = None
        self._meter_tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
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

    def _emit_indication(
        self, telegram: bytes, receivers: frozenset[hci.LinkMode] = C_MODE_RECEIVERS
    ) -> int:
        """Send one data indication if the radio hears it; return the bytes sent."""
        assert self._loop is not None
        if self.link_mode not in receivers or not telegram:
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
                sent = self._emit_indication(telegram, self.replay_receivers)
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

    async def _simulate(self, meter: SimulatedMeter, first_after_s: float) -> None:
        """Send ``meter``'s telegrams at its interval, metering the real time between them."""
        assert self._loop is not None
        receivers = RECEIVERS[meter.radio_mode]
        await asyncio.sleep(first_after_s)
        previous_at = next_at = self._loop.time()
        while True:
            now = self._loop.time()
            # The meter sends whether or not anyone listens; the radio may not hear it.
            self._emit_indication(meter.telegram(now - previous_at), receivers)
            previous_at = now
            self._write_status()
            next_at = max(next_at + meter.interval_s, now)
            await asyncio.sleep(next_at - now)

    def _write_status(self) -> None:
        if self.status_file is None:
            return
        status = {"meters": {meter.meter_id: meter.reading for meter in self.meters}}
        temporary = self.status_file.with_name(self.status_file.name + ".new")
        temporary.write_text(json.dumps(status, indent=1), encoding="utf-8")
        temporary.replace(self.status_file)


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


def add_simulation_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose what the radio hears, all but ``--link``.

    ``scripts/develop`` hands these through and lists them in its own ``--help``.
    """
    parser.add_argument(
        "--replay", help="telegram file (vectors or corpus JSON, or one hex telegram a line)"
    )
    parser.add_argument(
        "--replay-radio",
        choices=sorted(RECEIVERS),
        default="any",
        help="link modes that hear the replayed telegrams",
    )
    parser.add_argument(
        "--interval",
        type=float,
        help="seconds between telegrams (default: each meter's own, 1 s for --replay)",
    )
    parser.add_argument("--water", action="store_true", help="add the mode-5 water meter")
    parser.add_argument("--heat", action="store_true", help="add the mode-5 heat meter")
    parser.add_argument(
        "--wrong-key-every",
        type=int,
        default=0,
        metavar="N",
        help=f"every N-th telegram of {OMNIPOWER_ID} is encrypted with another key",
    )
    parser.add_argument(
        "--neighbours", type=int, default=0, metavar="N", help="N more meters with unknown keys"
    )
    parser.add_argument("--status-file", help="JSON file with each meter's last sent values")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated load")
    parser.add_argument("--rssi", type=float, default=-60.0, help="signal strength in dBm")
    parser.add_argument(
        "--link-mode",
        default="c1a",
        choices=[*hci.LinkMode, "none"],
        help="power-up (NVM) link mode",
    )
    parser.add_argument("--once", action="store_true", help="replay the file once, not forever")
    parser.add_argument(
        "--garbage-every", type=int, default=0, metavar="N", help="16 random bytes every N frames"
    )
    parser.add_argument("--unplug-seconds", type=float, default=3.0, help="SIGUSR1 unplug time")
    parser.add_argument("--flip-bits", type=int, default=3, help="bits SIGUSR2 flips")
    parser.add_argument("--seconds", type=float, help="stop after this long")
    parser.add_argument("-v", "--verbose", action="store_true")


def _parse_args(argv: Iterable[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.im871a_emulator", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--link", required=True, help="path of the symlink to the pty")
    add_simulation_arguments(parser)
    args = parser.parse_args(None if argv is None else list(argv))
    if args.replay and (args.water or args.heat or args.wrong_key_every or args.neighbours):
        parser.error(
            "--replay plays a file: --water, --heat, --wrong-key-every and --neighbours simulate"
        )
    if args.interval is not None and args.interval < 0:
        parser.error("--interval must not be negative")
    return args


def simulated_meters(args: argparse.Namespace) -> list[SimulatedMeter]:
    """The meters the command line asks for."""

    def interval(own_s: float) -> float:
        return own_s if args.interval is None else max(args.interval, 0.1)

    meters: list[SimulatedMeter] = [
        OmniPower(
            load=HouseholdLoad(seed=args.seed),
            wrong_key_every=args.wrong_key_every,
            interval_s=interval(OMNIPOWER_INTERVAL_S),
        )
    ]
    if args.water:
        meters.append(WaterMeter(interval_s=interval(WATER_INTERVAL_S)))
    if args.heat:
        meters.append(HeatMeter(interval_s=interval(HEAT_INTERVAL_S)))
    neighbour_ids = random.Random(args.seed + 1)
    for index in range(args.neighbours):
        meter_id = f"{neighbour_ids.randrange(10**8):08d}"
        key = bytes(a ^ (index + 1) for a in OMNIPOWER_KEY)
        load = HouseholdLoad(seed=args.seed + 2 + index)
        meters.append(
            OmniPower(meter_id, key, load=load, interval_s=interval(OMNIPOWER_INTERVAL_S))
        )
    return meters


async def _run(args: argparse.Namespace) -> None:
    if args.replay:
        emulator_source: dict[str, Any] = {
            "telegrams": load_telegrams(args.replay),
            "interval_s": 1.0 if args.interval is None else args.interval,
            "replay_radio": args.replay_radio,
        }
    else:
        emulator_source = {"meters": simulated_meters(args), "status_file": args.status_file}
    emulator = Im871aEmulator(
        args.link,
        rssi_dbm=args.rssi,
        power_up_link_mode=None if args.link_mode == "none" else hci.LinkMode(args.link_mode),
        repeat=not args.once,
        garbage_every=args.garbage_every,
        **emulator_source,
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
    try:
        asyncio.run(_run(args))
    except TelegramFileError as err:
        raise SystemExit(f"im871a_emulator: {err}") from None


if __name__ == "__main__":
    main()
