"""What every emulated radio shares: a pty, a serial line's rate, meters and replayed files.

A radio's emulator (one module per radio beside this one) subclasses :class:`PtyRadioEmulator`
and speaks its own protocol through three hooks: ``_on_host_bytes`` (requests from the host),
``_encode_telegram`` (a telegram the radio hears, as the radio hands it to the host, or None if
its link mode does not hear that mode) and ``_power_up`` (RAM state as after power-up: at start
and after an unplug). Everything else is here: the pty whose slave end is symlinked at a path
(the host opens it as it would ``/dev/ttyUSB0``), the line rate (bytes never leave faster than
the radio's serial line), an output buffer that loses bytes when full (no flow control, as on a
USB-serial bridge), the simulated meters each at its own interval, a replayed telegram file, a
status file, and the faults tests need (garbage, flipped bits, unplug, a radio that stops
answering).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Sequence
import contextlib
import json
import os
from pathlib import Path
import random
import tty
from typing import Any, ClassVar, Final, Literal, Self

from custom_components.wmbus.protocol.radios.link_modes import LinkMode
from tools.simulated_meters import SimulatedMeter

OUTPUT_BUFFER_MAX_BYTES: Final = 1024  # as a USB-serial bridge's buffer: no flow control
type RadioMode = Literal["c", "t", "any"]
RADIO_MODES: Final[tuple[RadioMode, ...]] = ("c", "t", "any")


def hears(link_mode: LinkMode | None, mode: RadioMode) -> bool:
    """Whether a radio listening in ``link_mode`` hears a telegram sent in ``mode``."""
    if link_mode is None:
        return False
    if mode == "any":
        return True
    return link_mode.hears_c if mode == "c" else link_mode.hears_t


class PtyRadioEmulator(ABC):
    """An emulated radio behind a pty whose slave end is symlinked at ``link``."""

    NAME: ClassVar[str]
    BYTES_PER_S: ClassVar[float]  # the serial line: baud / 10 (8N1)
    FLIP_SKIP_BYTES: ClassVar[int] = 0  # ``flip_bits`` leaves this many leading bytes alone

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
        repeat: bool = True,
        garbage_every: int = 0,
        seed: int = 0,
        **radio_options: Any,
    ) -> None:
        """Prepare an emulator; ``start()`` creates the pty.

        interval_s: replay ``telegrams`` every that many seconds (None: only on demand).
        replay_radio: the mode the replayed telegrams are sent in (C, T, or heard in any mode).
        repeat: start over at the end of ``telegrams``.
        meters: simulated meters, each sending at its own interval from ``start()`` on.
        status_file: JSON file rewritten after every simulated telegram with each meter's last
            values (blocking writes: only for the command line, not inside a host's loop).
        radio_options: what the radio's own emulator takes (its quirks).
        """
        if radio_options:
            raise TypeError(f"{self.NAME} emulator has no options {sorted(radio_options)}")
        self.link = Path(link)
        self.telegrams = list(telegrams)
        self.interval_s = interval_s
        self.replay_radio: RadioMode = replay_radio
        self.meters = list(meters)
        self.status_file = None if status_file is None else Path(status_file)
        self.rssi_dbm = rssi_dbm
        self.repeat = repeat
        self.garbage_every = garbage_every
        self._random = random.Random(seed)
        self.requests: list[Any] = []
        self.frames_sent = 0
        self.bytes_lost = 0
        self._answering = True
        self._flip_next = 0
        self._master: int | None = None
        self._slave: int | None = None
        self._output = bytearray()
        self._writer_registered = False
        self._replay_task: asyncio.Task[None] | None = None
        self._meter_tasks: list[asyncio.Task[None]] = []
        self._started_at = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- hooks of a radio's emulator --------------------------------------------------------

    @abstractmethod
    def _on_host_bytes(self, data: bytes) -> None:
        """Bytes the host wrote: parse requests (incrementally) and answer with ``_write``."""

    @abstractmethod
    def _encode_telegram(self, telegram: bytes, rssi_dbm: float, mode: RadioMode) -> bytes | None:
        """``telegram`` (L + data, no CRCs) as the radio hands it over; None if not heard."""

    @abstractmethod
    def _power_up(self) -> None:
        """Put RAM state back to power-up defaults (start, and plugging in again)."""

    # --- state seen by tests ----------------------------------------------------------------

    @property
    def answering(self) -> bool:
        """Host requests get responses."""
        return self._answering

    @property
    def plugged(self) -> bool:
        """The pty exists and the link points at it."""
        return self._master is not None

    @property
    def now(self) -> float:
        """The emulator's clock (the event loop's)."""
        assert self._loop is not None
        return self._loop.time()

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Create the pty and the link; start replaying if an interval is set."""
        self._loop = asyncio.get_running_loop()
        self._started_at = self._loop.time()
        self._power_up()
        self._plug()
        if self.interval_s is not None and self.telegrams:
            self._replay_task = self._loop.create_task(self._replay(), name=f"{self.NAME} replay")
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

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- faults and on-demand traffic -------------------------------------------------------

    def send_telegram(self, telegram: bytes, mode: RadioMode | None = None) -> bool:
        """Let the radio hear ``telegram`` now (L + data, sent in ``mode``, C by default).

        False if the radio's link mode does not hear it.
        """
        return self._emit(telegram, mode or "c") > 0

    def inject_garbage(self, data: bytes) -> None:
        """Write raw bytes to the host, as line noise would."""
        self._write(data)

    def flip_bits(self, count: int) -> None:
        """Flip ``count`` random bits of the next telegram as the radio hands it over."""
        self._flip_next = count

    def stop_answering(self, silent: bool = True) -> None:
        """Ignore (or, with False, answer again) host requests; telegrams continue."""
        self._answering = not silent

    async def unplug(self, seconds: float) -> None:
        """Remove the device (link and pty) and bring it back at the same path after ``seconds``.

        Like a real unplug, RAM state is lost: the radio comes back as after power-up.
        Returns once it is plugged in again.
        """
        self._unplug()
        await asyncio.sleep(seconds)
        self._power_up()
        self._plug()

    # --- pty --------------------------------------------------------------------------------

    def _plug(self) -> None:
        master, slave = os.openpty()
        # Raw, no echo: the host sees exactly the bytes written here, as on a UART.
        tty.setraw(slave)
        tty.setraw(master)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
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
        self._on_host_bytes(data)

    def _write(self, data: bytes) -> None:
        """Send bytes to the host (a radio's answers and telegrams)."""
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

    # --- telegrams --------------------------------------------------------------------------

    def _emit(self, telegram: bytes, mode: RadioMode) -> int:
        """Hand one telegram to the host if the radio hears it; return the bytes sent."""
        if not telegram:
            return 0
        encoded = self._encode_telegram(telegram, self.rssi_dbm, mode)
        if encoded is None:
            return 0
        if self._flip_next:
            damaged = bytearray(encoded)
            for _ in range(self._flip_next):
                position = self._random.randrange(self.FLIP_SKIP_BYTES, len(damaged))
                damaged[position] ^= 1 << self._random.randrange(8)
            self._flip_next = 0
            encoded = bytes(damaged)
        self._write(encoded)
        self.frames_sent += 1
        if self.garbage_every and self.frames_sent % self.garbage_every == 0:
            self._write(self._random.randbytes(16))
        return len(encoded)

    async def _replay(self) -> None:
        assert self._loop is not None
        interval = self.interval_s or 0.0
        next_at = self._loop.time()
        while True:
            for telegram in self.telegrams:
                sent = self._emit(telegram, self.replay_radio)
                # Never faster than the serial line; idle a little if nothing was heard.
                step = max(interval, sent / self.BYTES_PER_S) or 0.05
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
        await asyncio.sleep(first_after_s)
        previous_at = next_at = self._loop.time()
        while True:
            now = self._loop.time()
            # The meter sends whether or not anyone listens; the radio may not hear it.
            self._emit(meter.telegram(now - previous_at), meter.radio_mode)
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
