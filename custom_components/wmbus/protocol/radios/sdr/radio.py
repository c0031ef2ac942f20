"""An RTL-SDR as a wireless M-Bus receiver: IQ from ``rtl_tcp`` or a local dongle, demodulated.

Two sources of the same cu8 samples (rtl_sdr's format): an ``rtl_tcp`` server over TCP (the
usual way to share a dongle; protocol in :mod:`.rtl_tcp`) and a dongle on this machine through
pyrtlsdr (``rtlsdr.RtlSdr``, which needs librtlsdr: pyrtlsdrlib ships it as a wheel).

Threads, so that Home Assistant's event loop never waits for the signal work:

- the event loop reads blocks of samples (rtl_tcp: ``StreamReader.readexactly``; a local dongle:
  ``read_bytes`` in a dedicated one-thread executor) and puts them on a bounded queue;
- one worker thread takes blocks off that queue and runs :class:`.demod.Demodulator` (plain
  numpy, which releases the GIL in its array work); frames with good block CRCs go back to the
  loop with ``call_soon_threadsafe``.

Memory is bounded: the queue holds ``queue_blocks`` blocks (default 16 of 128 Ki samples, about
1.3 s at 1.6 MS/s and 4 MiB). A worker that falls behind loses whole blocks, newest first
(counted in ``blocks_dropped`` and ``samples_dropped``, one warning per episode); after a gap
the worker starts a fresh demodulator, so no burst is stitched across missing samples.

``rssi_dbm`` of each frame is *not* dBm: an RTL-SDR has no calibrated input. It carries the
burst's level in dB relative to the dongle's full scale (dBFS, :attr:`.demod.DemodulatedFrame.
level_dbfs`) at the gain in use: higher is stronger, it compares meters heard at the same gain,
and with the tuner's automatic gain (the default) it moves when the gain does.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
import contextlib
from datetime import UTC, datetime
import logging
import math
import queue
import random
import threading
import time
from typing import Any, Final, Protocol

from ..base import (
    FrameCallback,
    NotThisRadio,
    QuietCallback,
    Radio,
    RadioDisconnected,
    RadioError,
    RadioFrame,
    RadioIdentity,
    RadioState,
    RadioTimeout,
    StateCallback,
)
from ..link_modes import LinkMode
from . import RTL_TCP_KIND, RTLSDR_KIND, rtl_tcp
from .demod import CHANNEL_HZ, DemodulatedFrame, Demodulator

_LOGGER = logging.getLogger(__name__)

DEFAULT_SAMPLE_RATE: Final = 1.6e6
DEFAULT_CENTER_HZ: Final = CHANNEL_HZ
BLOCK_SAMPLES: Final = 1 << 17  # 82 ms at 1.6 MS/s: a frame spans at most one boundary
QUEUE_BLOCKS: Final = 16
CONNECT_TIMEOUT_S: Final = 5.0
STALL_TIMEOUT_S: Final = 5.0  # connected, yet no samples for this long: the source is lost
RECONNECT_INITIAL_DELAY_S: Final = 1.0
RECONNECT_MAX_DELAY_S: Final = 60.0
RECONNECT_JITTER: Final = 0.2
FRAME_QUEUE_SIZE: Final = 1000
QUIET_AFTER_S: Final = 30 * 60.0

type DemodulatorFactory = Callable[[float, float], Demodulator]


class IqSource(Protocol):
    """Where the samples come from: opened, read block by block, closed."""

    async def open(self) -> RadioIdentity:
        """Connect and tune; raise RadioError or OSError if that fails."""

    async def read(self) -> bytes:
        """The next block of cu8 samples; RadioDisconnected when the source is gone."""

    async def close(self) -> None:
        """Release the source; safe to call twice."""


class RtlTcpSource:
    """Samples from an rtl_tcp server."""

    def __init__(self, radio: SdrRadio, host: str, port: int) -> None:
        self._radio = radio
        self._host = host
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> RadioIdentity:
        """Connect, check the ``RTL0`` header (NotThisRadio if absent), send the tuning."""
        radio = self._radio
        try:
            async with asyncio.timeout(radio.connect_timeout_s):
                reader, writer = await asyncio.open_connection(
                    self._host, self._port, limit=radio.block_bytes
                )
        except TimeoutError:
            raise RadioTimeout(
                f"no connection to {radio.port} within {radio.connect_timeout_s:g} s"
            ) from None
        self._reader, self._writer = reader, writer
        try:
            async with asyncio.timeout(radio.connect_timeout_s):
                header = await reader.readexactly(rtl_tcp.HEADER_SIZE)
            info = rtl_tcp.parse_header(header)
        except TimeoutError:
            await self.close()
            raise NotThisRadio("an rtl_tcp server", "no header in time") from None
        except asyncio.IncompleteReadError as err:
            await self.close()
            raise NotThisRadio(
                "an rtl_tcp server", f"closed after {len(err.partial)} bytes"
            ) from None
        except rtl_tcp.NotRtlTcp as err:
            await self.close()
            raise NotThisRadio("an rtl_tcp server", str(err)) from None
        writer.write(b"".join(radio.tuning_commands()))
        await writer.drain()
        return RadioIdentity(
            radio=radio.kind.name,
            maker="Realtek",
            model=f"RTL2832U SDR ({info.tuner_name}) via rtl_tcp",
            firmware="rtl_tcp",
            details={
                "tuner": info.tuner_name,
                "gain_count": info.gain_count,
                **radio.tuning(),
            },
        )

    async def read(self) -> bytes:
        """One block; a closed connection or ``stall_timeout_s`` without samples is a loss."""
        reader = self._reader
        if reader is None:
            raise RadioDisconnected(f"{self._radio.port} not open")
        try:
            async with asyncio.timeout(self._radio.stall_timeout_s):
                return await reader.readexactly(self._radio.block_bytes)
        except TimeoutError:
            raise RadioDisconnected(
                f"no samples from {self._radio.port} for {self._radio.stall_timeout_s:g} s"
            ) from None
        except (asyncio.IncompleteReadError, ConnectionError) as err:
            raise RadioDisconnected(f"{self._radio.port} closed the connection ({err})") from None

    async def close(self) -> None:
        """Close the connection (rtl_tcp then waits for its next client)."""
        writer, self._writer = self._writer, None
        self._reader = None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()


class RtlSdrSource:
    """Samples from a dongle on this machine, through pyrtlsdr (blocking calls in one thread)."""

    def __init__(self, radio: SdrRadio, device: str) -> None:
        self._radio = radio
        self._device = device
        self._sdr: Any = None
        self._executor: ThreadPoolExecutor | None = None

    def _open_blocking(self) -> Any:
        try:
            from rtlsdr import RtlSdr  # noqa: PLC0415 - optional, and loads librtlsdr
        except ImportError as err:
            raise RadioError(
                "a local RTL-SDR needs pyrtlsdr and pyrtlsdrlib (which ships librtlsdr): "
                f"pip install pyrtlsdr pyrtlsdrlib ({err})"
            ) from None
        radio = self._radio
        if self._device.startswith("serial="):
            index = RtlSdr.get_device_index_by_serial(self._device.removeprefix("serial="))
        else:
            index = int(self._device or "0")
        sdr = RtlSdr(device_index=index)
        try:
            sdr.sample_rate = radio.sample_rate
            sdr.center_freq = radio.center_hz
            if radio.ppm:  # librtlsdr refuses to "change" the correction to what it is
                sdr.freq_correction = radio.ppm
            sdr.gain = "auto" if radio.gain_db is None else radio.gain_db
        except BaseException:
            sdr.close()
            raise
        return sdr

    async def open(self) -> RadioIdentity:
        """Open and tune the dongle in the source's own thread (USB calls block)."""
        loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="wmbus-rtlsdr")
        try:
            self._sdr = await loop.run_in_executor(self._executor, self._open_blocking)
        except (OSError, ValueError, RadioError):
            await self.close()
            raise
        except Exception as err:  # pyrtlsdr's LibUSBError and friends
            await self.close()
            raise RadioError(f"cannot open the RTL-SDR {self._device or '0'}: {err}") from None
        radio = self._radio
        return RadioIdentity(
            radio=radio.kind.name,
            maker="Realtek",
            model="RTL2832U SDR",
            firmware="librtlsdr",
            details=radio.tuning(),
        )

    async def read(self) -> bytes:
        """One block, read in the source's thread; an unplugged dongle raises there."""
        sdr, executor = self._sdr, self._executor
        if sdr is None or executor is None:
            raise RadioDisconnected(f"{self._radio.port} not open")
        try:
            data = await asyncio.get_running_loop().run_in_executor(
                executor, sdr.read_bytes, self._radio.block_bytes
            )
        except Exception as err:  # unplugged: librtlsdr reports it as an I/O error
            raise RadioDisconnected(f"the RTL-SDR stopped: {err}") from None
        return bytes(data)

    async def close(self) -> None:
        """Close the dongle in its thread, then end the thread."""
        sdr, self._sdr = self._sdr, None
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if sdr is not None:
            with contextlib.suppress(Exception):
                await asyncio.get_running_loop().run_in_executor(executor, sdr.close)
        executor.shutdown(wait=False)


class SdrRadio(Radio):
    """An RTL-SDR: samples from a source, demodulated in a worker thread (T1 and C1 at once)."""

    def __init__(
        self,
        port: str,
        link_mode: LinkMode | None = None,
        on_frame: FrameCallback | None = None,
        on_state: StateCallback | None = None,
        *,
        on_quiet: QuietCallback | None = None,
        response_timeout_s: float = CONNECT_TIMEOUT_S,
        reconnect_initial_delay_s: float = RECONNECT_INITIAL_DELAY_S,
        reconnect_max_delay_s: float = RECONNECT_MAX_DELAY_S,
        quiet_after_s: float | None = QUIET_AFTER_S,
        sample_rate: float = DEFAULT_SAMPLE_RATE,
        center_hz: float = DEFAULT_CENTER_HZ,
        gain_db: float | None = None,
        ppm: int = 0,
        block_samples: int = BLOCK_SAMPLES,
        queue_blocks: int = QUEUE_BLOCKS,
        stall_timeout_s: float = STALL_TIMEOUT_S,
        demodulator_factory: DemodulatorFactory = Demodulator,
        **_serial_options: Any,
    ) -> None:
        """Create the radio; nothing happens until ``open()``.

        ``gain_db`` None is the tuner's automatic gain; ``ppm`` the dongle's crystal error.
        Serial-only options (``health_check_idle_s`` ...) are accepted and ignored, so that the
        integration builds every kind alike. Callbacks run in the event loop.
        """
        if link_mode is None:
            link_mode = self.kind.default_link_mode
        if link_mode not in self.kind.link_modes:
            raise ValueError(f"{self.kind.title} cannot listen in link mode {link_mode}")
        Demodulator(sample_rate, center_hz)  # ValueError now for a rate or tuning it cannot use
        self.port = port
        self._link_mode = link_mode
        self._on_frame = on_frame
        self._on_state = on_state
        self._on_quiet = on_quiet
        self.connect_timeout_s = response_timeout_s
        self._reconnect_initial_delay_s = reconnect_initial_delay_s
        self._reconnect_max_delay_s = reconnect_max_delay_s
        self._quiet_after_s = math.inf if quiet_after_s is None else quiet_after_s
        self.sample_rate = float(sample_rate)
        self.center_hz = float(center_hz)
        self.gain_db = gain_db
        self.ppm = int(ppm)
        self.block_bytes = 2 * int(block_samples)
        self.stall_timeout_s = stall_timeout_s
        self._demodulator_factory = demodulator_factory

        self._state = RadioState.CLOSED
        self._identity: RadioIdentity | None = None
        self._source: IqSource | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._blocks: queue.Queue[tuple[int, bytes] | None] = queue.Queue(queue_blocks)
        self._worker: threading.Thread | None = None
        self._sequence = 0
        self._dropping = False
        self._queues: set[asyncio.Queue[RadioFrame | None]] = set()
        self._counts: Counter[str] = Counter()
        self._frames_received = 0
        self._last_telegram_at = 0.0
        self._quiet = False

    # --- what a subclass says ---------------------------------------------------------------

    def _make_source(self) -> IqSource:
        raise NotImplementedError

    # --- public ---------------------------------------------------------------------------

    @property
    def receiver(self) -> str:
        """The address or device: names this receiver in every frame."""
        return self.port

    @property
    def state(self) -> RadioState:
        """Current connection state."""
        return self._state

    @property
    def identity(self) -> RadioIdentity | None:
        """What the source said when it was last opened."""
        return self._identity

    @property
    def link_mode(self) -> LinkMode:
        """Always C1 and T1 at once: the demodulator hears both."""
        return self._link_mode

    @property
    def quiet(self) -> bool:
        """Whether it used to hear telegrams and has heard none for ``quiet_after_s``."""
        return self._quiet

    @property
    def counters(self) -> Mapping[str, int]:
        """Frames received and dropped (bad CRC, slow consumer), samples dropped, reconnects."""
        counts = dict(self._counts)
        counts["frames_received"] = self._frames_received
        return counts

    def tuning(self) -> dict[str, object]:
        """The settings sent to the dongle (identity details, diagnostics)."""
        return {
            "sample_rate": self.sample_rate,
            "center_hz": self.center_hz,
            "gain_db": "auto" if self.gain_db is None else self.gain_db,
            "ppm": self.ppm,
        }

    def tuning_commands(self) -> list[bytes]:
        """The rtl_tcp commands that set the dongle up as this radio needs it."""
        commands = [
            rtl_tcp.set_sample_rate(self.sample_rate),
            rtl_tcp.set_frequency(self.center_hz),
            rtl_tcp.set_freq_correction(self.ppm),
            rtl_tcp.set_agc_mode(False),
            rtl_tcp.set_gain_mode(self.gain_db is not None),
        ]
        if self.gain_db is not None:
            commands.append(rtl_tcp.set_gain(self.gain_db))
        return commands

    def diagnostics(self) -> dict[str, Any]:
        """Tuning and how full the worker's queue is."""
        return {**self.tuning(), "queued_blocks": self._blocks.qsize()}

    async def open(self) -> None:
        """Connect to the source, start the worker and the reader."""
        if self._supervisor is not None:
            return
        self._set_state(RadioState.CONNECTING)
        try:
            await self._connect()
        except BaseException:
            self._set_state(RadioState.CLOSED)
            raise
        self._start_worker()
        self._set_state(RadioState.CONNECTED)
        self._supervisor = asyncio.get_running_loop().create_task(
            self._supervise(), name=f"{self.kind.name} reader {self.port}"
        )

    async def identify_only(self) -> RadioIdentity:
        """Connect, read who is there, disconnect (the config flow's check)."""
        await self._connect()
        identity = self._identity
        await self._disconnect()
        assert identity is not None
        return identity

    async def close(self) -> None:
        """Stop reading, stop the worker, end every frames() iterator."""
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        await self._disconnect()
        worker, self._worker = self._worker, None
        if worker is not None:
            while True:  # what waits is not wanted any more: the stop mark goes first
                try:
                    self._blocks.get_nowait()
                except queue.Empty:
                    break
            self._blocks.put_nowait(None)
            await asyncio.get_running_loop().run_in_executor(None, worker.join, 10.0)
        for frames_queue in self._queues:
            with contextlib.suppress(asyncio.QueueFull):
                frames_queue.put_nowait(None)
        if self._state is not RadioState.CLOSED:
            self._set_state(RadioState.CLOSED)

    async def frames(self) -> AsyncGenerator[RadioFrame]:
        """Yield received frames until ``close()``; a slow consumer loses the oldest ones."""
        frames_queue: asyncio.Queue[RadioFrame | None] = asyncio.Queue(FRAME_QUEUE_SIZE)
        self._queues.add(frames_queue)
        try:
            while (frame := await frames_queue.get()) is not None:
                yield frame
        finally:
            self._queues.discard(frames_queue)

    # --- the event loop's side ----------------------------------------------------------

    async def _connect(self) -> None:
        source = self._make_source()
        self._identity = await source.open()
        self._source = source
        self._sequence += 1  # a gap: the worker starts afresh

    async def _disconnect(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            await source.close()

    async def _supervise(self) -> None:
        while True:
            try:
                await self._pump()
            except (RadioError, OSError) as err:
                _LOGGER.warning("lost the %s at %s: %s", self.kind.title, self.port, err)
            await self._disconnect()
            self._set_state(RadioState.DISCONNECTED)
            delay = self._reconnect_initial_delay_s
            while True:
                jitter = 1.0 + random.uniform(-RECONNECT_JITTER, RECONNECT_JITTER)
                await asyncio.sleep(delay * jitter)
                try:
                    await self._connect()
                except (RadioError, OSError, ValueError) as err:
                    _LOGGER.debug("reconnecting to %s failed: %s", self.port, err)
                    delay = min(delay * 2, self._reconnect_max_delay_s)
                    continue
                break
            self._counts["reconnects"] += 1
            self._set_state(RadioState.CONNECTED)

    async def _pump(self) -> None:
        """Read blocks and hand them to the worker until the source is lost."""
        while (source := self._source) is not None:
            block = await source.read()
            self._sequence += 1
            try:
                self._blocks.put_nowait((self._sequence, block))
            except queue.Full:
                self._counts["blocks_dropped"] += 1
                self._counts["samples_dropped"] += len(block) // 2
                if not self._dropping:
                    self._dropping = True
                    _LOGGER.warning(
                        "%s at %s: the demodulator falls behind; dropping samples",
                        self.kind.title,
                        self.port,
                    )
            else:
                self._dropping = False
            self._check_quiet()

    def _check_quiet(self) -> None:
        quiet = (
            self._frames_received > 0
            and time.monotonic() - self._last_telegram_at > self._quiet_after_s
        )
        if quiet != self._quiet:
            self._quiet = quiet
            if self._on_quiet is not None:
                self._on_quiet(quiet)

    def _deliver(self, frames: list[tuple[bytes, float]], bad_crc: int) -> None:
        """Frames from the worker, in the loop."""
        if bad_crc:
            self._counts["dropped_crc"] += bad_crc
        for telegram, level in frames:
            self._frames_received += 1
            self._last_telegram_at = time.monotonic()
            radio_frame = RadioFrame(telegram, level, datetime.now(UTC), self.port)
            if self._on_frame is not None:
                try:
                    self._on_frame(radio_frame)
                except Exception:
                    _LOGGER.exception("frame callback failed")
            for frames_queue in self._queues:
                if frames_queue.full():
                    frames_queue.get_nowait()
                    self._counts["frames_dropped_slow_consumer"] += 1
                frames_queue.put_nowait(radio_frame)
        if frames and self._quiet:
            self._check_quiet()

    def _set_state(self, state: RadioState) -> None:
        if state is self._state:
            return
        self._state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                _LOGGER.exception("state callback failed")

    # --- the worker thread --------------------------------------------------------------

    def _start_worker(self) -> None:
        if self._worker is not None:
            return
        loop = asyncio.get_running_loop()
        self._worker = threading.Thread(
            target=self._work, args=(loop,), name=f"wmbus-sdr {self.port}", daemon=True
        )
        self._worker.start()

    def _work(self, loop: asyncio.AbstractEventLoop) -> None:
        """Demodulate blocks until the stop mark; never touches the loop's objects directly."""
        demod = self._demodulator_factory(self.sample_rate, self.center_hz)
        expected = -1
        while (item := self._blocks.get()) is not None:
            sequence, block = item
            found: list[DemodulatedFrame] = []
            if sequence != expected:  # a dropped block or a new connection
                found += demod.flush()
                demod = self._demodulator_factory(self.sample_rate, self.center_hz)
            expected = sequence + 1
            try:
                found += demod.feed(block)
            except Exception:  # a bug must not end the receiver: log it, start afresh
                _LOGGER.exception("the SDR demodulator failed on a block")
                demod = self._demodulator_factory(self.sample_rate, self.center_hz)
                continue
            if found:
                self._hand_over(loop, found)

    def _hand_over(self, loop: asyncio.AbstractEventLoop, found: list[DemodulatedFrame]) -> None:
        good = [
            (frame.telegram, round(frame.level_dbfs, 1))
            for frame in found
            if frame.crc_ok and frame.telegram is not None
        ]
        with contextlib.suppress(RuntimeError):  # the loop closed while we worked
            loop.call_soon_threadsafe(self._deliver, good, len(found) - len(good))


class RtlTcpRadio(SdrRadio):
    """An RTL-SDR shared by an rtl_tcp server: ``rtl_tcp://host:port``."""

    kind = RTL_TCP_KIND

    def __init__(self, port: str, *args: Any, **kwargs: Any) -> None:
        self._address = rtl_tcp.parse_address(port)  # ValueError for anything else
        super().__init__(port, *args, **kwargs)

    def _make_source(self) -> IqSource:
        return RtlTcpSource(self, *self._address)


class RtlSdrRadio(SdrRadio):
    """An RTL-SDR on this machine: ``rtlsdr://INDEX`` or ``rtlsdr://serial=SERIAL``."""

    kind = RTLSDR_KIND

    def __init__(self, port: str, *args: Any, **kwargs: Any) -> None:
        self._device = local_device(port)  # ValueError for anything else
        super().__init__(port, *args, **kwargs)

    def _make_source(self) -> IqSource:
        return RtlSdrSource(self, self._device)


def local_device(port: str) -> str:
    """The device part of a local dongle's port: ``rtlsdr://0`` -> ``0``; a bare index too."""
    text = port.strip()
    if text.lower().startswith("rtlsdr://"):
        text = text[len("rtlsdr://") :]
    if text.startswith("serial=") and len(text) > len("serial="):
        return text
    if text.isdigit():
        return text
    raise ValueError(f"{port!r} is not an RTL-SDR (rtlsdr://INDEX or rtlsdr://serial=SERIAL)")
