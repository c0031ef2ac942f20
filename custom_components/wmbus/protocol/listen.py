"""The command line's ``listen``: sticks and network feeds at once, each telegram printed once.

Sources: serial radios (``--port``, detected or named), TCP and UDP listeners (``--tcp``,
``--udp``) and MQTT topics (``--mqtt HOST:PORT --topic T``). The same telegram heard by several
of them within the duplicate window (:class:`~.duplicates.DuplicateFilter`) is printed once,
after the window, with every receiver that heard it and the RSSI each reported; with one source
each frame is printed as soon as it is heard, as before there were several.

MQTT is read with paho-mqtt, imported only when ``--mqtt`` is given: this is a debugging tool
outside Home Assistant. The integration itself never opens an MQTT client of its own (Home
Assistant's MQTT integration hands it the payloads).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
from typing import Any

from .duplicates import DUPLICATE_WINDOW_S, DuplicateFilter
from .radios import (
    LinkMode,
    Radio,
    RadioError,
    RadioFrame,
    build_radio,
    detect_radio,
    radio_for_address,
    radio_kind,
)

type Describe = Callable[[bytes], dict[str, Any]]
type Emit = Callable[[dict[str, Any]], None]

MQTT_CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Sources:
    """What to listen to."""

    ports: Sequence[str] = ()
    tcp: Sequence[str] = ()
    udp: Sequence[str] = ()
    mqtt: str | None = None  # HOST:PORT
    topics: Sequence[str] = ()

    def count(self) -> int:
        """How many receivers these make (each MQTT topic is one)."""
        return len(self.ports) + len(self.tcp) + len(self.udp) + len(self.topics)


@dataclass(slots=True)
class _Heard:
    """One telegram and the frames of every receiver that heard it in the window."""

    frames: list[RadioFrame] = field(default_factory=list)


class MqttSource:
    """Topics of a broker read with paho-mqtt; each topic filter feeds one FeedRadio."""

    def __init__(self, broker: str, radios: Sequence[Any]) -> None:
        host, _, port = broker.rpartition(":")
        self.host = host or "127.0.0.1"
        try:
            self.port = int(port)
        except ValueError:
            raise ValueError(f"--mqtt wants HOST:PORT, got {broker!r}") from None
        self._radios = list(radios)
        self._client: Any = None

    async def start(self) -> None:
        """Connect, subscribe to every topic and wait until the broker confirmed."""
        import paho.mqtt.client as mqtt  # noqa: PLC0415 - only --mqtt needs it
        from paho.mqtt.enums import CallbackAPIVersion  # noqa: PLC0415

        loop = asyncio.get_running_loop()
        subscribed = loop.create_future()
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self._client = client
        pending = {radio.topic_filter for radio in self._radios}

        def on_connect(_client: Any, _userdata: Any, _flags: Any, reason: Any, _p: Any) -> None:
            if reason.is_failure:
                loop.call_soon_threadsafe(_fail, f"broker refused: {reason}")
                return
            for radio in self._radios:
                client.subscribe(radio.topic_filter, qos=0)

        def on_subscribe(*_args: Any) -> None:
            loop.call_soon_threadsafe(_confirmed)

        def _confirmed() -> None:
            if pending:  # after a reconnect paho subscribes again: nothing left to wait for
                pending.pop()
            if not pending and not subscribed.done():
                subscribed.set_result(None)

        def _fail(message: str) -> None:
            if not subscribed.done():
                subscribed.set_exception(RadioError(message))

        for radio in self._radios:
            client.message_callback_add(radio.topic_filter, self._handler(loop, radio))
        client.on_connect = on_connect
        client.on_subscribe = on_subscribe
        try:
            await asyncio.to_thread(client.connect, self.host, self.port)
        except OSError as err:
            raise RadioError(
                f"cannot reach the MQTT broker {self.host}:{self.port}: {err}"
            ) from err
        client.loop_start()
        async with asyncio.timeout(MQTT_CONNECT_TIMEOUT_S):
            await subscribed

    @staticmethod
    def _handler(loop: asyncio.AbstractEventLoop, radio: Any) -> Callable[..., None]:
        def on_message(_client: Any, _userdata: Any, message: Any) -> None:
            # paho's network thread: hand the payload to the event loop.
            loop.call_soon_threadsafe(radio.feed, message.topic, bytes(message.payload))

        return on_message

    async def stop(self) -> None:
        """Disconnect."""
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            await asyncio.to_thread(client.loop_stop)


class Listener:
    """Opens the sources, merges their frames, prints each telegram once."""

    def __init__(
        self,
        sources: Sources,
        *,
        describe: Describe,
        outcomes: Callable[[], dict[str, int]],
        emit: Emit,
        radio_name: str | None = None,
        link_mode: str | None = None,
        window_s: float = DUPLICATE_WINDOW_S,
        sdr_options: Mapping[str, Any] | None = None,
        print_line: Callable[[RadioFrame, str], None] | None = None,
    ) -> None:
        """Prepare the sources; nothing is opened until ``open()``.

        ``sdr_options`` go to SDR radios only; ``print_line`` (a frame and its radio's link
        mode) replaces the JSON record of each telegram, e.g. by an rtl_wmbus line.
        """
        self._sources = sources
        self._describe = describe
        self.outcomes = outcomes
        self._emit = emit
        self._radio_name = radio_name
        self._link_mode = link_mode
        self._window_s = window_s
        self._sdr_options = dict(sdr_options or {})
        self._print_line = print_line
        self._modes: dict[str, str] = {}
        self._single = sources.count() == 1
        self._duplicates: DuplicateFilter[object] = DuplicateFilter(window_s)
        self._pending: dict[bytes, _Heard] = {}
        self._radios: list[Radio] = []
        self._mqtt: MqttSource | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def radios(self) -> list[Radio]:
        """Every opened receiver."""
        return self._radios

    async def open(self) -> None:
        """Open every source and print what each is; raise if one cannot be opened."""
        self._loop = asyncio.get_running_loop()
        for port in self._sources.ports:
            # An address with a scheme (rtl_tcp://, rtlsdr://) names its radio; a serial port
            # is probed unless --radio names it.
            named = radio_for_address(port) or self._radio_name
            kind = radio_kind(named) if named is not None else (await detect_radio(port))[0]
            mode = kind.default_link_mode if self._link_mode is None else LinkMode(self._link_mode)
            options = {} if kind.probe_on_serial else self._sdr_options
            await self._open(
                build_radio(kind.name, port, link_mode=mode, on_frame=self._heard, **options)
            )
        for address in self._sources.tcp:
            await self._open(build_radio("tcp", address, on_frame=self._heard))
        for address in self._sources.udp:
            await self._open(build_radio("udp", address, on_frame=self._heard))
        if self._sources.topics:
            if self._sources.mqtt is None:
                raise ValueError("--topic needs --mqtt HOST:PORT")
            feeds = [
                build_radio("mqtt", topic, on_frame=self._heard) for topic in self._sources.topics
            ]
            for radio in feeds:
                await radio.open()
                self._radios.append(radio)
            self._mqtt = MqttSource(self._sources.mqtt, feeds)
            await self._mqtt.start()
            for radio in feeds:
                self._announce(radio, broker=self._sources.mqtt)

    async def _open(self, radio: Radio) -> None:
        await radio.open()
        self._radios.append(radio)
        self._modes[radio.receiver] = str(radio.link_mode)
        self._announce(radio)

    def _announce(self, radio: Radio, **extra: str) -> None:
        identity = radio.identity
        assert identity is not None
        self._emit({"radio": {**identity.as_dict(), "link_mode": str(radio.link_mode), **extra}})

    async def close(self) -> None:
        """Close every source; print what is still gathered."""
        if self._mqtt is not None:
            await self._mqtt.stop()
        for radio in self._radios:
            await radio.close()
        for telegram in list(self._pending):
            self._flush(telegram)

    def counts(self) -> dict[str, Any]:
        """Counters: one radio's as before, several by receiver with the duplicates dropped."""
        if self._single and self._radios:
            return {"radio": dict(self._radios[0].counters)}
        return {
            "radios": {radio.receiver: dict(radio.counters) for radio in self._radios},
            "duplicates_dropped": self._duplicates.duplicates,
        }

    def _heard(self, frame: RadioFrame) -> None:
        if self._single:
            self._print([frame])
            return
        assert self._loop is not None
        if self._duplicates.first(frame.telegram, self._loop.time()):
            self._pending[frame.telegram] = _Heard([frame])
            self._loop.call_later(self._window_s, self._flush, frame.telegram)
            return
        heard = self._pending.get(frame.telegram)
        if heard is not None:  # else: a copy after the telegram was printed, dropped
            heard.frames.append(frame)

    def _flush(self, telegram: bytes) -> None:
        heard = self._pending.pop(telegram, None)
        if heard is not None:
            self._print(heard.frames)

    def _print(self, frames: list[RadioFrame]) -> None:
        if self._print_line is not None:
            self._print_line(frames[0], self._modes.get(frames[0].receiver, ""))
            return
        record = self._describe(frames[0].telegram)
        receivers: dict[str, float | None] = {}
        for frame in frames:
            receivers.setdefault(frame.receiver, frame.rssi_dbm)
        levels = [rssi for rssi in receivers.values() if rssi is not None]
        record["rssi_dbm"] = max(levels) if levels else None
        record["received_at"] = frames[0].received_at.isoformat()
        record["receivers"] = [
            {"receiver": receiver, "rssi_dbm": rssi} for receiver, rssi in receivers.items()
        ]
        self._emit(record)


async def run(listener: Listener, seconds: float | None, emit: Emit) -> int:
    """Open, listen until ``seconds`` or cancelled, close and print the counts."""
    try:
        await listener.open()
    except (OSError, RadioError, ValueError, TimeoutError) as error:
        emit({"error": "radio", "message": str(error) or type(error).__name__})
        with contextlib.suppress(Exception):
            await listener.close()
        return 1
    try:
        if seconds is None:
            await asyncio.Event().wait()
        else:
            await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        pass  # a signal asked to stop: end as cleanly as when --seconds elapsed
    finally:
        await listener.close()
        emit({"counts": listener.outcomes(), **listener.counts()})
    return 0
