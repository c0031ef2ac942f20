"""What every radio on a serial port shares: the port, requests, reconnecting, going quiet.

A radio folder implements a few hooks (:class:`SerialRadio`'s abstract methods: feed bytes to
its codec, identify, configure, ping) and inherits the lifecycle:

- ``open()`` connects once and raises if that fails (so a caller can retry later). After that
  the radio keeps itself connected: when the port disappears (unplug, I/O error, EOF) it reports
  DISCONNECTED, retries with jittered exponential backoff, identifies and configures the radio
  again and reports CONNECTED. ``close()`` stops everything and releases the port.
- A radio that has sent nothing for ``health_check_idle_s`` is pinged; no answer counts as a
  lost port (a port can stay open while the module behind it hangs: USB hubs, brown-outs).
- A radio that used to hear telegrams and then hears none for ``quiet_after_s`` (default 30
  minutes) is re-initialised once, with one log line: its restart command if it has one, then
  the port reopened and the radio configured afresh. iU891A sticks are reported to stop
  hearing for days with no error (wmbusmeters issues #2047, #1753, #1630). If it stays quiet
  for another ``quiet_after_s``, ``on_quiet(True)`` tells the owner (a repair issue); the next
  telegram clears it with ``on_quiet(False)``.
"""

from __future__ import annotations

from abc import abstractmethod
import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Mapping
import contextlib
from datetime import UTC, datetime
import logging
import math
import random
import time
from typing import Any, ClassVar, Final

from .base import (
    FrameCallback,
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
from .link_modes import LinkMode
from .serial_port import DataCallback, LostCallback, SerialLink, open_serial_link

_LOGGER = logging.getLogger(__name__)

RESPONSE_TIMEOUT_S: Final = 1.0
RECONNECT_INITIAL_DELAY_S: Final = 1.0
RECONNECT_MAX_DELAY_S: Final = 60.0
RECONNECT_JITTER: Final = 0.2  # +-20 % so several radios (or HA restarts) do not retry in step
FRAME_QUEUE_SIZE: Final = 1000
# A radio that has sent nothing for this long is pinged; no answer counts as a lost port.
# (OmniPower meters send every ~15 s, so a healthy radio near one is rarely idle this long.)
HEALTH_CHECK_IDLE_S: Final = 60.0
# A radio that used to hear telegrams and hears none for this long is re-initialised.
QUIET_AFTER_S: Final = 30 * 60.0
# After a restart command, the module reboots before it answers again (iM871A: ~500 ms).
RESTART_SETTLE_S: Final = 1.0

type OpenSerial = Callable[[str, int, DataCallback, LostCallback], Awaitable[SerialLink]]


class SerialRadio(Radio):
    """A radio behind a serial port (local, ``socket://`` or another integration's port)."""

    BAUD_RATE: ClassVar[int]

    def __init__(
        self,
        port: str,
        link_mode: LinkMode | None = None,
        on_frame: FrameCallback | None = None,
        on_state: StateCallback | None = None,
        *,
        on_quiet: QuietCallback | None = None,
        response_timeout_s: float = RESPONSE_TIMEOUT_S,
        reconnect_initial_delay_s: float = RECONNECT_INITIAL_DELAY_S,
        reconnect_max_delay_s: float = RECONNECT_MAX_DELAY_S,
        health_check_idle_s: float = HEALTH_CHECK_IDLE_S,
        quiet_after_s: float | None = QUIET_AFTER_S,
        restart_settle_s: float = RESTART_SETTLE_S,
        open_serial: OpenSerial = open_serial_link,
    ) -> None:
        """Create the radio; nothing happens until ``open()``.

        Callbacks are called in the event loop and must not block. ``quiet_after_s`` None
        turns the quiet watch off.
        """
        if link_mode is None:
            link_mode = self.kind.default_link_mode
        if link_mode not in self.kind.link_modes:
            raise ValueError(f"{self.kind.title} cannot listen in link mode {link_mode}")
        self.port = port
        self._link_mode = link_mode
        self._on_frame = on_frame
        self._on_state = on_state
        self._on_quiet = on_quiet
        self._response_timeout_s = response_timeout_s
        self._reconnect_initial_delay_s = reconnect_initial_delay_s
        self._reconnect_max_delay_s = reconnect_max_delay_s
        self._health_check_idle_s = health_check_idle_s
        self._quiet_after_s = math.inf if quiet_after_s is None else quiet_after_s
        self._restart_settle_s = restart_settle_s
        self._open_serial = open_serial
        self._last_frame_at = 0.0  # time.monotonic(), the clock asyncio's loop uses
        self._last_telegram_at = 0.0
        self._frames_received = 0
        self._quiet_restarted = False
        self._quiet = False

        self._state = RadioState.CLOSED
        self._identity: RadioIdentity | None = None
        self._link: SerialLink | None = None
        self._lost = asyncio.Event()
        self._request_lock = asyncio.Lock()
        self._pending: dict[Hashable, asyncio.Future[Any]] = {}
        self._supervisor: asyncio.Task[None] | None = None
        self._queues: set[asyncio.Queue[RadioFrame | None]] = set()
        self._counts: Counter[str] = Counter()

    # --- hooks of a radio folder ----------------------------------------------------------

    @abstractmethod
    def _reset_codec(self) -> None:
        """Forget a partial frame (the port was just opened)."""

    @abstractmethod
    def _on_data(self, data: bytes) -> None:
        """Feed bytes read from the port: ``_deliver`` telegrams, ``_resolve`` responses.

        Called for every read, about once per telegram: keep it to the few steps a telegram
        needs (the read path's budget is 1.3x a bare reader of the same framing).
        """

    @abstractmethod
    async def _identify(self) -> RadioIdentity:
        """Ask the radio who it is; raise NotThisRadio if it is another kind."""

    @abstractmethod
    async def _configure(self) -> None:
        """Set the link mode (volatile settings only: never wear the radio's flash)."""

    async def _ping(self) -> None:
        """Check the radio still answers; raise RadioTimeout if not. Default: identify."""
        await self._identify()

    async def _send_restart(self) -> None:
        """Send the radio's restart command, if it has one (before a quiet re-initialisation)."""

    def _codec_counters(self) -> Mapping[str, int]:
        """The codec's own counters (bytes dropped by reason), merged into ``counters``."""
        return {}

    # --- public ---------------------------------------------------------------------------

    @property
    def receiver(self) -> str:
        """The port: names this receiver in every frame."""
        return self.port

    @property
    def state(self) -> RadioState:
        """Current connection state."""
        return self._state

    @property
    def identity(self) -> RadioIdentity | None:
        """Identity read during the last handshake."""
        return self._identity

    @property
    def link_mode(self) -> LinkMode:
        """The link mode it listens in once configured."""
        return self._link_mode

    @property
    def quiet(self) -> bool:
        """Whether it went quiet and stayed quiet after being re-initialised."""
        return self._quiet

    @property
    def counters(self) -> Mapping[str, int]:
        """``frames_received``, ``reconnects``, ``restarts``, codec drops (``dropped_<reason>``)."""
        counts = dict(self._counts)
        counts["frames_received"] = self._frames_received
        for reason, count in self._codec_counters().items():
            counts[f"dropped_{reason}"] = count
        return counts

    async def open(self) -> None:
        """Connect, identify, configure; start the supervisor."""
        if self._supervisor is not None:
            return
        self._set_state(RadioState.CONNECTING)
        try:
            await self._connect()
        except BaseException:
            self._set_state(RadioState.CLOSED)
            raise
        self._set_state(RadioState.CONNECTED)
        self._supervisor = asyncio.get_running_loop().create_task(
            self._supervise(), name=f"{self.kind.name} supervisor {self.port}"
        )

    async def identify_only(self) -> RadioIdentity:
        """Open the port, ask who is there, close it again: a probe that changes nothing."""
        await self._connect(configure=False)
        identity = self._identity
        await self._disconnect()
        if identity is None:  # pragma: no cover - _identify either sets it or raises
            raise RadioError(f"{self.kind.title} at {self.port} gave no identity")
        return identity

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
        if self._state is not RadioState.CLOSED:
            self._set_state(RadioState.CLOSED)

    async def frames(self) -> AsyncGenerator[RadioFrame]:
        """Yield received frames until ``close()``; a slow consumer loses the oldest ones."""
        queue: asyncio.Queue[RadioFrame | None] = asyncio.Queue(FRAME_QUEUE_SIZE)
        self._queues.add(queue)
        try:
            while (frame := await queue.get()) is not None:
                yield frame
        finally:
            self._queues.discard(queue)

    # --- requests -------------------------------------------------------------------------

    async def _transact(self, request: bytes, key: Hashable, name: str) -> Any:
        """Write ``request`` and wait for the response ``_resolve``d under ``key``."""
        async with self._request_lock:
            link = self._link
            if link is None or self._lost.is_set():
                raise RadioDisconnected(f"cannot send {name}: port {self.port} not open")
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._pending[key] = future
            try:
                link.write(request)
                async with asyncio.timeout(self._response_timeout_s):
                    return await future
            except TimeoutError:
                raise RadioTimeout(
                    f"no response to {name} within {self._response_timeout_s:g} s"
                ) from None
            finally:
                if self._pending.get(key) is future:
                    del self._pending[key]

    def _write(self, data: bytes) -> None:
        """Write without waiting for an answer (commands the radio does not confirm)."""
        link = self._link
        if link is None or self._lost.is_set():
            raise RadioDisconnected(f"port {self.port} not open")
        link.write(data)

    def _resolve(self, key: Hashable, response: object) -> bool:
        """Hand ``response`` to the request waiting under ``key``; False if none waits."""
        future = self._pending.pop(key, None)
        if future is None or future.done():
            self._counts["unexpected_frames"] += 1
            return False
        future.set_result(response)
        return True

    def _deliver(self, telegram: bytes, rssi_dbm: float | None) -> None:
        """One telegram heard: to the callback and every frames() iterator."""
        self._frames_received += 1
        self._last_telegram_at = time.monotonic()
        if self._quiet_restarted:
            self._end_quiet()
        radio_frame = RadioFrame(telegram, rssi_dbm, datetime.now(UTC), self.port)
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

    # --- connection -----------------------------------------------------------------------

    async def _connect(self, *, configure: bool = True) -> None:
        self._reset_codec()
        self._lost.clear()
        self._last_frame_at = self._last_telegram_at = time.monotonic()
        self._link = await self._open_serial(
            self.port, self.BAUD_RATE, self._on_data_received, self._on_lost
        )
        try:
            self._identity = await self._identify()
            if configure:
                await self._configure()
                _LOGGER.debug(
                    "%s on %s: %s, link mode %s",
                    self.kind.name,
                    self.port,
                    self._identity,
                    self._link_mode,
                )
        except BaseException:
            await self._disconnect()
            raise

    def _on_data_received(self, data: bytes) -> None:
        self._on_data(data)

    async def _disconnect(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            try:
                await link.close()
            except (OSError, TimeoutError):
                _LOGGER.debug("closing %s failed", self.port, exc_info=True)
        self._fail_pending(RadioDisconnected(f"port {self.port} closed"))

    async def _watch(self) -> bool:
        """Return when the port is lost (False) or a quiet radio is to be restarted (True)."""
        while not self._lost.is_set():
            now = time.monotonic()
            health_due = self._last_frame_at + self._health_check_idle_s
            quiet_due = (
                self._last_telegram_at + self._quiet_after_s
                if self._frames_received and not self._quiet
                else math.inf
            )
            due = min(health_due, quiet_due)
            if now < due:
                # Looked at again within one quiet period at most: a first telegram may arrive
                # meanwhile and start the quiet watch (the wait is not woken per telegram).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(due - now, self._quiet_after_s)):
                        await self._lost.wait()
                continue
            if now >= quiet_due:
                if not self._quiet_restarted:
                    _LOGGER.warning(
                        "%s on %s has heard no telegram for %.0f min; re-initialising it",
                        self.kind.title,
                        self.port,
                        self._quiet_after_s / 60,
                    )
                    self._quiet_restarted = True
                    self._counts["quiet_restarts"] += 1
                    return True
                self._quiet = True
                if self._on_quiet is not None:
                    self._on_quiet(True)
                continue
            try:
                await self._ping()
            except RadioTimeout as err:
                _LOGGER.warning(
                    "%s on %s stopped answering (%s); reconnecting", self.kind.title, self.port, err
                )
                self._counts["health_check_failures"] += 1
                self._lost.set()
            except RadioDisconnected:
                return False
            else:
                self._last_frame_at = time.monotonic()
        return False

    def _end_quiet(self) -> None:
        self._quiet_restarted = False
        if self._quiet:
            self._quiet = False
            if self._on_quiet is not None:
                self._on_quiet(False)

    async def _restart(self) -> bool:
        """Re-initialise a quiet radio without reporting an outage; False if that failed."""
        with contextlib.suppress(RadioError, OSError):
            await self._send_restart()
        await self._disconnect()
        await asyncio.sleep(self._restart_settle_s)
        try:
            await self._connect()
        except (RadioError, OSError, ValueError) as err:
            _LOGGER.debug("re-initialising %s failed: %s", self.port, err)
            return False
        self._counts["restarts"] += 1
        return True

    async def _supervise(self) -> None:
        while True:
            if await self._watch() and await self._restart():
                continue
            await self._disconnect()
            self._set_state(RadioState.DISCONNECTED)
            delay = self._reconnect_initial_delay_s
            while True:
                jitter = 1.0 + random.uniform(-RECONNECT_JITTER, RECONNECT_JITTER)
                await asyncio.sleep(delay * jitter)
                try:
                    await self._connect()
                except (RadioError, OSError, ValueError) as err:
                    # State stays DISCONNECTED through the retries: one report per outage.
                    _LOGGER.debug("reconnecting to %s failed: %s", self.port, err)
                    delay = min(delay * 2, self._reconnect_max_delay_s)
                    continue
                break
            self._counts["reconnects"] += 1
            self._set_state(RadioState.CONNECTED)

    # --- callbacks from the serial link -----------------------------------------------------

    def _on_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            _LOGGER.warning("lost the %s on %s: %s", self.kind.title, self.port, exc)
        self._lost.set()
        self._fail_pending(RadioDisconnected(f"port {self.port} went away"))

    def _fail_pending(self, error: RadioError) -> None:
        pending = list(self._pending.values())
        self._pending.clear()
        for future in pending:
            if not future.done():
                future.set_exception(error)

    def _set_state(self, state: RadioState) -> None:
        if state is self._state:
            return
        self._state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                _LOGGER.exception("state callback failed")
