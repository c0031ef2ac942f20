"""Asyncio side of the radio stick: owns the serial port, matches responses, delivers frames.

:class:`Stick` is the radio-agnostic interface the rest of the integration uses (a second radio,
the iU891A, speaks another framing). :class:`Im871aStick` implements it for the IMST iM871A and
its 169 MHz sibling iM170A over the HCI codec in :mod:`.hci`.

Lifecycle: ``open()`` connects once and raises if that fails (so a caller can retry later);
after that the stick keeps itself connected: when the port disappears (unplug, I/O error, EOF)
it reports DISCONNECTED, retries with jittered exponential backoff, redoes the handshake and
reports CONNECTED again. ``close()`` stops everything and releases the port.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
import contextlib
from datetime import UTC, datetime
from enum import StrEnum
import logging
import random
import time
from typing import Final, NamedTuple, Protocol

from . import hci
from .serial_port import SerialLink, open_serial_link

_LOGGER = logging.getLogger(__name__)

RESPONSE_TIMEOUT_S: Final = 1.0
RECONNECT_INITIAL_DELAY_S: Final = 1.0
RECONNECT_MAX_DELAY_S: Final = 60.0
RECONNECT_JITTER: Final = 0.2  # +-20 % so several sticks (or HA restarts) do not retry in step
FRAME_QUEUE_SIZE: Final = 1000
# A stick that has sent nothing for this long is pinged; no answer counts as a lost port.
# (OmniPower meters send every ~15 s, so a healthy stick near one is rarely idle this long.)
HEALTH_CHECK_IDLE_S: Final = 60.0


# --- errors ---------------------------------------------------------------------------------


class StickError(Exception):
    """The stick could not be opened or did not behave as an iM871A."""


class StickTimeout(StickError):
    """A request got no response in time."""


class NotAnIm871a(StickError):
    """The device answered but is not an iM871A/iM170A."""

    def __init__(self, device_info: hci.DeviceInfo) -> None:
        super().__init__(f"device at the port is {device_info.model}, not an iM871A or iM170A")
        self.device_info = device_info


class StickDisconnected(StickError):
    """The port went away (or was closed) while a request was waiting."""


# --- public data ----------------------------------------------------------------------------


class RadioFrame(NamedTuple):
    """One wM-Bus telegram heard by the radio: L-field + payload, link-layer CRCs removed.

    A NamedTuple rather than a frozen dataclass: as immutable, and made in half the time,
    which counts on the read path (one per telegram, ``tools.soak``).
    """

    telegram: bytes
    rssi_dbm: float | None
    received_at: datetime


class StickState(StrEnum):
    """Connection state reported to ``on_state``."""

    CLOSED = "closed"  # never opened, or closed by the owner
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # lost; reconnecting in the background


class StickIdentity(Protocol):
    """What any radio stick can say about itself (hci.DeviceInfo satisfies it)."""

    @property
    def model(self) -> str:
        """Model name."""

    @property
    def firmware(self) -> str:
        """Firmware version."""

    @property
    def serial_number(self) -> str | None:
        """Hardware identity, if the stick has one."""

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly view."""


FrameCallback = Callable[[RadioFrame], None]
StateCallback = Callable[[StickState], None]
OpenSerial = Callable[
    [str, Callable[[bytes], None], Callable[[Exception | None], None]], Awaitable[SerialLink]
]


class Stick(ABC):
    """A wireless M-Bus receiver: open it, get RadioFrames, close it."""

    @property
    @abstractmethod
    def state(self) -> StickState:
        """Current connection state."""

    @property
    @abstractmethod
    def device_info(self) -> StickIdentity | None:
        """Identity read during the last handshake (None before the first one)."""

    @property
    @abstractmethod
    def counters(self) -> Mapping[str, int]:
        """Frames received and bytes/frames dropped by reason."""

    @abstractmethod
    async def open(self) -> None:
        """Connect and configure the radio; raise StickError or OSError if that fails."""

    @abstractmethod
    async def close(self) -> None:
        """Stop receiving and reconnecting; release the port. Safe to call twice."""

    @abstractmethod
    def frames(self) -> AsyncIterator[RadioFrame]:
        """Iterate over received frames until the stick is closed."""


class Im871aStick(Stick):
    """IMST iM871A (or iM170A) on a serial port."""

    def __init__(
        self,
        port: str,
        link_mode: hci.LinkMode = hci.LinkMode.C1a,
        on_frame: FrameCallback | None = None,
        on_state: StateCallback | None = None,
        *,
        response_timeout_s: float = RESPONSE_TIMEOUT_S,
        reconnect_initial_delay_s: float = RECONNECT_INITIAL_DELAY_S,
        reconnect_max_delay_s: float = RECONNECT_MAX_DELAY_S,
        health_check_idle_s: float = HEALTH_CHECK_IDLE_S,
        open_serial: OpenSerial = open_serial_link,
    ) -> None:
        """Create the stick; nothing happens until ``open()``.

        ``on_frame`` and ``on_state`` are called in the event loop and must not block.
        """
        self.port = port
        self.link_mode = link_mode
        self._on_frame = on_frame
        self._on_state = on_state
        self._response_timeout_s = response_timeout_s
        self._reconnect_initial_delay_s = reconnect_initial_delay_s
        self._reconnect_max_delay_s = reconnect_max_delay_s
        self._health_check_idle_s = health_check_idle_s
        self._open_serial = open_serial
        self._last_frame_at = 0.0  # time.monotonic(), the clock asyncio's loop uses
        self._frames_received = 0

        self._state = StickState.CLOSED
        self._device_info: hci.DeviceInfo | None = None
        self._configuration: hci.StickConfiguration | None = None
        self._link: SerialLink | None = None
        self._lost = asyncio.Event()
        self._decoder = hci.FrameDecoder()
        self._request_lock = asyncio.Lock()
        self._pending: dict[tuple[int, int], asyncio.Future[hci.HciFrame]] = {}
        self._supervisor: asyncio.Task[None] | None = None
        self._queues: set[asyncio.Queue[RadioFrame | None]] = set()
        self._counts: Counter[str] = Counter()

    # --- public ---------------------------------------------------------------------------

    @property
    def state(self) -> StickState:
        """Current connection state."""
        return self._state

    @property
    def device_info(self) -> hci.DeviceInfo | None:
        """Device info read during the last handshake."""
        return self._device_info

    @property
    def configuration(self) -> hci.StickConfiguration | None:
        """Configuration read back after setting the link mode."""
        return self._configuration

    @property
    def counters(self) -> Mapping[str, int]:
        """``frames_received``, ``reconnects``, decoder drops (``dropped_<reason>``), ..."""
        counts = dict(self._counts)
        counts["frames_received"] = self._frames_received
        for reason, count in self._decoder.dropped.items():
            counts[f"dropped_{reason}"] = count
        return counts

    async def open(self) -> None:
        """Connect, check the module, set the link mode; start the reconnect supervisor."""
        if self._supervisor is not None:
            return
        self._set_state(StickState.CONNECTING)
        try:
            await self._connect()
        except BaseException:
            self._set_state(StickState.CLOSED)
            raise
        self._set_state(StickState.CONNECTED)
        self._supervisor = asyncio.get_running_loop().create_task(
            self._supervise(), name=f"im871a supervisor {self.port}"
        )

    async def close(self) -> None:
        """Stop the supervisor, close the port, end every frames() iterator."""
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        await self._disconnect()
        for queue in self._queues:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        if self._state is not StickState.CLOSED:
            self._set_state(StickState.CLOSED)

    async def frames(self) -> AsyncGenerator[RadioFrame]:
        """Yield received frames until ``close()``; a slow consumer loses the oldest ones."""
        queue: asyncio.Queue[RadioFrame | None] = asyncio.Queue(FRAME_QUEUE_SIZE)
        self._queues.add(queue)
        try:
            while (frame := await queue.get()) is not None:
                yield frame
        finally:
            self._queues.discard(queue)

    async def request(self, command: hci.Command) -> hci.HciFrame:
        """Send ``command`` and wait for its response; one request at a time."""
        async with self._request_lock:
            link = self._link
            if link is None or self._lost.is_set():
                raise StickDisconnected(f"cannot send {command.name}: port {self.port} not open")
            key = (command.endpoint, command.response_msg_id)
            future: asyncio.Future[hci.HciFrame] = asyncio.get_running_loop().create_future()
            self._pending[key] = future
            try:
                link.write(command.encode())
                async with asyncio.timeout(self._response_timeout_s):
                    return await future
            except TimeoutError:
                raise StickTimeout(
                    f"no response to {command.name} within {self._response_timeout_s:g} s"
                ) from None
            finally:
                if self._pending.get(key) is future:
                    del self._pending[key]

    # --- connection -----------------------------------------------------------------------

    async def _connect(self, *, configure: bool = True) -> None:
        self._decoder.reset()
        self._lost.clear()
        self._last_frame_at = time.monotonic()
        self._link = await self._open_serial(self.port, self._on_data, self._on_lost)
        try:
            await self._identify()
            if configure:
                await self._configure()
        except BaseException:
            await self._disconnect()
            raise

    async def _identify(self) -> None:
        await self.request(hci.ping())
        info = hci.DeviceInfo.parse((await self.request(hci.get_device_info())).payload)
        if not info.is_supported:
            raise NotAnIm871a(info)
        self._device_info = info

    async def _configure(self) -> None:
        await self.request(hci.set_configuration(self.link_mode))
        response = await self.request(hci.get_configuration())
        config = hci.parse_configuration(response.payload)
        if config.link_mode is not None and config.link_mode != self.link_mode.code:
            raise StickError(
                f"stick kept link mode 0x{config.link_mode:02x} after being set to "
                f"{self.link_mode} (0x{self.link_mode.code:02x})"
            )
        self._configuration = config
        _LOGGER.debug("stick on %s: %s, link mode %s", self.port, self._device_info, self.link_mode)

    async def _disconnect(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            try:
                await link.close()
            except (OSError, TimeoutError):
                _LOGGER.debug("closing %s failed", self.port, exc_info=True)
        self._fail_pending(StickDisconnected(f"port {self.port} closed"))

    async def _watch_health(self) -> None:
        """Return when the port is lost or the stick stops answering a ping when idle.

        A port can stay open while the module behind it hangs (seen with USB hubs and
        brown-outs); only a request tells. The ping is sent only after a quiet spell, so a
        stick busy delivering telegrams is never disturbed.
        """
        while not self._lost.is_set():
            quiet_s = time.monotonic() - self._last_frame_at
            if quiet_s < self._health_check_idle_s:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._health_check_idle_s - quiet_s):
                        await self._lost.wait()
                continue
            try:
                await self.request(hci.ping())
            except StickTimeout as err:
                _LOGGER.warning("stick on %s stopped answering (%s); reconnecting", self.port, err)
                self._counts["health_check_failures"] += 1
                self._lost.set()
            except StickDisconnected:
                return

    async def _supervise(self) -> None:
        while True:
            await self._watch_health()
            await self._disconnect()
            self._set_state(StickState.DISCONNECTED)
            delay = self._reconnect_initial_delay_s
            while True:
                jitter = 1.0 + random.uniform(-RECONNECT_JITTER, RECONNECT_JITTER)
                await asyncio.sleep(delay * jitter)
                try:
                    await self._connect()
                except (StickError, OSError, hci.HciPayloadError) as err:
                    # State stays DISCONNECTED through the retries: one report per outage.
                    _LOGGER.debug("reconnecting to %s failed: %s", self.port, err)
                    delay = min(delay * 2, self._reconnect_max_delay_s)
                    continue
                break
            self._counts["reconnects"] += 1
            self._set_state(StickState.CONNECTED)

    # --- callbacks from the serial link -----------------------------------------------------

    def _on_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            _LOGGER.warning("lost the stick on %s: %s", self.port, exc)
        self._lost.set()
        self._fail_pending(StickDisconnected(f"port {self.port} went away"))

    def _on_data(self, data: bytes) -> None:
        # Called by the transport for every read, about once per telegram: kept to the few
        # steps a telegram needs, as the read path's budget is 1.3x a bare reader (tools.soak).
        frames = self._decoder.feed(data)
        if not frames:
            return
        self._last_frame_at = time.monotonic()
        for frame in frames:
            telegram = frame.telegram
            if telegram is not None:
                self._deliver(RadioFrame(telegram, frame.rssi_dbm, datetime.now(UTC)))
                continue
            future = self._pending.pop((frame.endpoint, frame.msg_id), None)
            if future is not None and not future.done():
                future.set_result(frame)
            else:
                self._counts["unexpected_frames"] += 1

    def _deliver(self, radio_frame: RadioFrame) -> None:
        self._frames_received += 1
        if self._on_frame is not None:
            try:
                self._on_frame(radio_frame)
            except Exception:
                _LOGGER.exception("frame callback failed")
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
                self._counts["frames_dropped_slow_consumer"] += 1
            queue.put_nowait(radio_frame)

    def _fail_pending(self, error: StickError) -> None:
        pending = list(self._pending.values())
        self._pending.clear()
        for future in pending:
            if not future.done():
                future.set_exception(error)

    def _set_state(self, state: StickState) -> None:
        if state is self._state:
            return
        self._state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                _LOGGER.exception("state callback failed")


async def probe(
    port: str,
    *,
    response_timeout_s: float = RESPONSE_TIMEOUT_S,
    open_serial: OpenSerial = open_serial_link,
) -> hci.DeviceInfo:
    """Check that ``port`` holds an iM871A/iM170A (for a config flow): ping, device info, close.

    Raises OSError if the port cannot be opened, StickTimeout if nothing answers, NotAnIm871a.
    """
    stick = Im871aStick(port, response_timeout_s=response_timeout_s, open_serial=open_serial)
    await stick._connect(configure=False)
    info = stick.device_info
    await stick._disconnect()
    assert info is not None
    return info
