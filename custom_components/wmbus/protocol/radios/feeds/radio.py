"""Receivers on the network: a TCP listener, a UDP listener, and a feed for MQTT payloads.

A gateway (an ESP32 running SzczepanLeon's ESPHome wM-Bus components, an rtl_wmbus or rtl_433
on another machine) sends each telegram as a line of text (:mod:`.lines`). These radios only
listen: they set no link mode (the gateway does) and cannot be restarted, so a receiver that
used to hear telegrams and then hears none for ``quiet_after_s`` is only reported
(``on_quiet(True)``), and its next telegram clears the report (``on_quiet(False)``).

Every frame names the receiver that heard it: the listener plus the gateway's address
(``udp:9011/192.168.1.40``) or, for MQTT, the topic it came on (``mqtt:wmbus_bridge/telegram``):
one listener or one topic filter collects several gateways, and which of them hears a meter best
is what several receivers in one home need to know. Lines that are not telegrams are counted by
reason (``dropped_<reason>``) and never logged one by one.

- :class:`TcpFeedRadio` accepts any number of clients, each sending lines; ESPHome's
  ``socket_transmitter`` connects, sends one frame and closes (SzczepanLeon/esphome-components
  ``socket_transmitter.cpp``), so a last line without its LF counts when the client closes.
  The wmbusmeters add-on listens on 9022/tcp for the same senders.
- :class:`UdpFeedRadio`: one datagram holds one or more lines (the add-on's 9011/udp).
- :class:`FeedRadio`: what the Home Assistant layer hands MQTT payloads to (``feed(topic,
  payload)``); Home Assistant's MQTT integration owns the subscription, never this package.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Mapping
import contextlib
from datetime import UTC, datetime
import logging
import math
import time
from typing import Any, Final, override

from ..base import (
    FrameCallback,
    QuietCallback,
    Radio,
    RadioError,
    RadioFrame,
    RadioIdentity,
    RadioState,
    StateCallback,
)
from ..link_modes import LinkMode
from . import KINDS
from .lines import FeedTelegram, LineSplitter, RejectReason, parse_line, parse_message

_LOGGER = logging.getLogger(__name__)

FRAME_QUEUE_SIZE: Final = 1000
# A receiver that used to hear telegrams and hears none for this long is reported (as a stick).
QUIET_AFTER_S: Final = 30 * 60.0
# Clients a TCP listener serves at once; ESPHome connects once per frame, so a few at most.
MAX_TCP_CLIENTS: Final = 64
# A client that sends nothing for this long is disconnected (a half-open connection).
TCP_IDLE_TIMEOUT_S: Final = 300.0
# What the owner passes every radio that only a serial one uses: taken and ignored here.
SERIAL_ONLY_OPTIONS: Final = frozenset(
    {
        "response_timeout_s",
        "reconnect_initial_delay_s",
        "reconnect_max_delay_s",
        "health_check_idle_s",
        "restart_settle_s",
        "open_serial",
    }
)
DEFAULT_HOST: Final = "0.0.0.0"  # every interface: a gateway on the LAN must reach it


def parse_listen_address(address: str | int, scheme: str) -> tuple[str, int]:
    """``9011``, ``:9011``, ``host:9011`` or ``udp://host:9011`` -> (host, port).

    Raises ValueError with what was wrong.
    """
    text = str(address).strip()
    prefix = f"{scheme}://"
    if text.lower().startswith(prefix):
        text = text[len(prefix) :]
    host, _, port_text = text.rpartition(":")
    host = host.strip("[]") or DEFAULT_HOST
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"not a {scheme} port: {address!r}") from None
    if not 0 <= port <= 65535:
        raise ValueError(f"a {scheme} port is 0 to 65535, got {port}")
    return host, port


class NetworkRadio(Radio):
    """What every network receiver shares: delivering frames, counters, the quiet watch."""

    def __init__(
        self,
        on_frame: FrameCallback | None = None,
        on_state: StateCallback | None = None,
        *,
        on_quiet: QuietCallback | None = None,
        quiet_after_s: float | None = QUIET_AFTER_S,
        link_mode: LinkMode | None = None,
        **_serial_options: Any,
    ) -> None:
        """Callbacks run in the event loop and must not block; ``quiet_after_s`` None: no watch.

        ``link_mode`` is what the gateway listens in (set there, not here); the options only a
        serial radio uses (:data:`SERIAL_ONLY_OPTIONS`) are taken and do not apply, any other
        is a TypeError.
        """
        unknown = set(_serial_options) - SERIAL_ONLY_OPTIONS
        if unknown:
            raise TypeError(f"{self.kind.title} has no options {sorted(unknown)}")
        if link_mode is not None and link_mode not in self.kind.link_modes:
            raise ValueError(f"{self.kind.title} cannot listen in link mode {link_mode}")
        self._link_mode = link_mode or self.kind.default_link_mode
        self._on_frame = on_frame
        self._on_state = on_state
        self._on_quiet = on_quiet
        self._quiet_after_s = math.inf if quiet_after_s is None else quiet_after_s
        self._state = RadioState.CLOSED
        self._identity: RadioIdentity | None = None
        self._queues: set[asyncio.Queue[RadioFrame | None]] = set()
        self._counts: Counter[str] = Counter()
        self._frames_received = 0
        self._last_telegram_at = 0.0
        self._quiet = False
        self._watch_task: asyncio.Task[None] | None = None
        self._wake_watch = asyncio.Event()

    # --- public ---------------------------------------------------------------------------

    @property
    def state(self) -> RadioState:
        """Current state: CONNECTED while listening."""
        return self._state

    @property
    def identity(self) -> RadioIdentity | None:
        """What it listens on (set by ``open()``)."""
        return self._identity

    @property
    def link_mode(self) -> LinkMode:
        """What the gateways are taken to listen in (they set it themselves)."""
        return self._link_mode

    @property
    def quiet(self) -> bool:
        """Whether it heard telegrams and then none for ``quiet_after_s``."""
        return self._quiet

    @property
    def counters(self) -> Mapping[str, int]:
        """``frames_received``, ``messages``, ``dropped_<reason>`` per reason, and more."""
        counts = dict(self._counts)
        counts["frames_received"] = self._frames_received
        return counts

    async def frames(self) -> AsyncGenerator[RadioFrame]:
        """Yield received frames until ``close()``; a slow consumer loses the oldest ones."""
        queue: asyncio.Queue[RadioFrame | None] = asyncio.Queue(FRAME_QUEUE_SIZE)
        self._queues.add(queue)
        try:
            while (frame := await queue.get()) is not None:
                yield frame
        finally:
            self._queues.discard(queue)

    async def open(self) -> None:
        """Start listening; raise RadioError if that fails (the port is taken)."""
        if self._state is RadioState.CONNECTED:
            return
        self._set_state(RadioState.CONNECTING)
        try:
            self._identity = await self._start()
        except BaseException:
            self._set_state(RadioState.CLOSED)
            raise
        self._set_state(RadioState.CONNECTED)
        self._watch_task = asyncio.get_running_loop().create_task(
            self._watch_quiet(), name=f"quiet watch {self.receiver}"
        )

    async def close(self) -> None:
        """Stop listening and end every frames() iterator. Safe to call twice."""
        task, self._watch_task = self._watch_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._stop()
        for queue in self._queues:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        self._set_state(RadioState.CLOSED)

    def diagnostics(self) -> dict[str, Any]:
        """Where it listens."""
        return {"receiver": self.receiver}

    # --- for the listeners ------------------------------------------------------------------

    async def _start(self) -> RadioIdentity:
        """Start listening; the identity says where."""
        return self._make_identity()

    async def _stop(self) -> None:
        """Stop listening."""

    def _make_identity(self, **details: object) -> RadioIdentity:
        return RadioIdentity(
            radio=self.kind.name,
            maker=self.kind.maker,
            model=self.kind.title,
            firmware="",
            details={"receiver": self.receiver, **details},
        )

    def _take_lines(self, lines: list[bytes], source: str) -> None:
        for line in lines:
            self._take_results(parse_line(line), source)

    def _take_results(self, results: list[Any], source: str) -> None:
        self._counts["messages"] += 1
        for result in results:
            if isinstance(result, FeedTelegram):
                self._deliver(result, source)
            else:
                self._counts[f"dropped_{result.reason}"] += 1

    def _deliver(self, result: FeedTelegram, source: str) -> None:
        self._frames_received += 1
        self._last_telegram_at = time.monotonic()
        if self._quiet:
            self._quiet = False
            self._wake_watch.set()
            if self._on_quiet is not None:
                self._on_quiet(False)
        frame = RadioFrame(result.telegram, result.rssi_dbm, datetime.now(UTC), source)
        if self._on_frame is not None:
            try:
                self._on_frame(frame)
            except Exception:
                _LOGGER.exception("frame callback failed")
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
                self._counts["frames_dropped_slow_consumer"] += 1
            queue.put_nowait(frame)

    async def _watch_quiet(self) -> None:
        """Report a receiver that heard telegrams and then none for ``quiet_after_s``."""
        while True:
            if not self._frames_received or self._quiet:
                # Looked at again within one quiet period (or when a telegram ends the quiet).
                self._wake_watch.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(self._quiet_after_s, 3600.0)):
                        await self._wake_watch.wait()
                continue
            due = self._last_telegram_at + self._quiet_after_s
            now = time.monotonic()
            if now < due:
                await asyncio.sleep(due - now)
                continue
            self._quiet = True
            self._counts["quiet_reports"] += 1
            _LOGGER.warning(
                "%s has heard no telegram for %.0f min", self.receiver, self._quiet_after_s / 60
            )
            if self._on_quiet is not None:
                self._on_quiet(True)

    def _set_state(self, state: RadioState) -> None:
        if state is self._state:
            return
        self._state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                _LOGGER.exception("state callback failed")


class FeedRadio(NetworkRadio):
    """MQTT payloads handed in by the Home Assistant layer (``feed(topic, payload)``).

    ``topic_filter`` is the subscription the owner made (wildcards allowed); each frame names
    the topic it came on. Home Assistant's MQTT integration owns the connection.
    """

    kind = KINDS["mqtt"]

    def __init__(self, topic_filter: str, *args: Any, **kwargs: Any) -> None:
        """See :class:`NetworkRadio`."""
        if not topic_filter or "\0" in topic_filter:
            raise ValueError("an MQTT topic filter is needed")
        super().__init__(*args, **kwargs)
        self.topic_filter = topic_filter

    @property
    def receiver(self) -> str:
        """``mqtt:<topic filter>``; frames carry ``mqtt:<topic>``."""
        return f"mqtt:{self.topic_filter}"

    def feed(self, topic: str, payload: bytes | str) -> None:
        """One MQTT message; telegrams go out as frames, the rest is counted."""
        if self._state is not RadioState.CONNECTED:
            self._counts["dropped_closed"] += 1
            return
        self._take_results(parse_message(payload), f"mqtt:{topic}")


class _TcpClient(asyncio.Protocol):
    """One sender's connection: lines until it closes."""

    def __init__(self, radio: TcpFeedRadio) -> None:
        self._radio = radio
        self._splitter = LineSplitter()
        self._transport: asyncio.Transport | None = None
        self._source = radio.receiver
        self._idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        radio = self._radio
        if len(radio.clients) >= MAX_TCP_CLIENTS:
            radio.count("tcp_clients_refused")
            transport.abort()
            return
        self._transport = transport
        peer = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) and peer else "?"
        self._source = f"{radio.receiver}/{host}"
        radio.clients.add(transport)
        radio.count("tcp_connections")
        self._arm_idle()

    def _arm_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        loop = asyncio.get_running_loop()
        self._idle = loop.call_later(self._radio.idle_timeout_s, self._on_idle)

    def _on_idle(self) -> None:
        if self._transport is not None:
            self._radio.count("tcp_idle_disconnects")
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        self._arm_idle()
        self._radio.take_lines(self._splitter.feed(data), self._source)
        self._count_too_long()

    def eof_received(self) -> bool:
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle is not None:
            self._idle.cancel()
        if self._transport is None:
            return
        last = self._splitter.finish()
        if last is not None:
            self._radio.take_lines([last], self._source)
        self._count_too_long()
        self._radio.clients.discard(self._transport)
        self._transport = None

    def _count_too_long(self) -> None:
        if self._splitter.too_long:
            self._radio.count(f"dropped_{RejectReason.TOO_LONG}", self._splitter.too_long)
            self._splitter.too_long = 0


class TcpFeedRadio(NetworkRadio):
    """Listens on a TCP port; any number of clients send lines of hex or rtl_wmbus."""

    kind = KINDS["tcp"]

    def __init__(
        self,
        address: str | int,
        *args: Any,
        idle_timeout_s: float = TCP_IDLE_TIMEOUT_S,
        **kwargs: Any,
    ) -> None:
        """``address``: a port, ``host:port`` or ``tcp://host:port`` (host default: all)."""
        self.host, self.port = parse_listen_address(address, "tcp")
        super().__init__(*args, **kwargs)
        self.idle_timeout_s = idle_timeout_s
        self.clients: set[asyncio.Transport] = set()
        self._server: asyncio.Server | None = None

    @property
    def receiver(self) -> str:
        """``tcp:<port>``; frames add the sender's address."""
        return f"tcp:{self.port}"

    def count(self, name: str, amount: int = 1) -> None:
        """Add to one of the counters (for the connections)."""
        self._counts[name] += amount

    def take_lines(self, lines: list[bytes], source: str) -> None:
        """Lines a client sent."""
        self._take_lines(lines, source)

    @override
    async def _start(self) -> RadioIdentity:
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: _TcpClient(self), self.host, self.port, reuse_address=True
            )
        except OSError as err:
            raise RadioError(f"cannot listen on tcp {self.host}:{self.port}: {err}") from err
        if self.port == 0:
            self.port = int(self._server.sockets[0].getsockname()[1])
        return self._make_identity(listen=f"{self.host}:{self.port}")

    @override
    async def _stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for transport in list(self.clients):
            transport.close()
        self.clients.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await server.wait_closed()


class _UdpEndpoint(asyncio.DatagramProtocol):
    def __init__(self, radio: UdpFeedRadio) -> None:
        self._radio = radio

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._radio.take_datagram(data, addr[0] if addr else "?")

    def error_received(self, exc: Exception) -> None:
        self._radio.count("udp_errors")


class UdpFeedRadio(NetworkRadio):
    """Listens on a UDP port; one datagram holds one or more lines of hex or rtl_wmbus."""

    kind = KINDS["udp"]

    def __init__(self, address: str | int, *args: Any, **kwargs: Any) -> None:
        """``address``: a port, ``host:port`` or ``udp://host:port`` (host default: all)."""
        self.host, self.port = parse_listen_address(address, "udp")
        super().__init__(*args, **kwargs)
        self._transport: asyncio.DatagramTransport | None = None

    @property
    def receiver(self) -> str:
        """``udp:<port>``; frames add the sender's address."""
        return f"udp:{self.port}"

    def count(self, name: str, amount: int = 1) -> None:
        """Add to one of the counters."""
        self._counts[name] += amount

    def take_datagram(self, data: bytes, host: str) -> None:
        """One datagram from ``host``."""
        self._take_results(parse_message(data), f"{self.receiver}/{host}")

    @override
    async def _start(self) -> RadioIdentity:
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpEndpoint(self), local_addr=(self.host, self.port)
            )
        except OSError as err:
            raise RadioError(f"cannot listen on udp {self.host}:{self.port}: {err}") from err
        self._transport = transport
        if self.port == 0:
            self.port = int(transport.get_extra_info("sockname")[1])
        return self._make_identity(listen=f"{self.host}:{self.port}")

    @override
    async def _stop(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
            # The socket itself is closed by a callback the loop runs next (asyncio's
            # selector transports close with call_soon): let it, so that the port is free
            # for whoever opens it right after (a reload, or the config flow's check).
            await asyncio.sleep(0)
