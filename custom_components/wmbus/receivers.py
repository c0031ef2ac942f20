"""The receivers of one home: the entry's own radio plus one per ``receiver`` subentry.

The config entry keeps its own radio in its data (so an installation from before there were
several receivers upgrades with nothing to do); every further receiver is a config subentry of
type ``receiver`` holding the same two keys, the radio's registry name and its address: a
serial port, a TCP or UDP listening address, or an MQTT topic filter. The hub owns one
:class:`Receiver` per radio; the frames of all of them go through one duplicate filter before
the decoder (``gateway``).

An MQTT receiver subscribes through Home Assistant's MQTT integration
(``homeassistant.components.mqtt.async_subscribe``, Home Assistant developer docs "MQTT"),
never a client of its own, and hands each message to ``FeedRadio.feed``. That package is
imported only once an MQTT entry is loaded: importing it needs its client library, which Home
Assistant installs only then (the ReCalc bridge does the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

from .protocol.radios import Radio, RadioError, RadioKind
from .protocol.radios.feeds.radio import FeedRadio, parse_listen_address

if TYPE_CHECKING:
    from homeassistant.components.mqtt import ReceiveMessage

MQTT_DOMAIN: Final = "mqtt"
NETWORK_SCHEMES: Final = ("tcp", "udp", "mqtt")
# A receiver subentry whose radio could not be opened (a port taken, MQTT not set up yet) is
# tried again this often; the entry and its other receivers run meanwhile.
RECEIVER_RETRY_S: Final = 60.0


@dataclass(slots=True)
class Receiver:
    """One radio of the hub and what the hub tracks for it."""

    subentry_id: str | None
    """None for the entry's own radio."""
    kind: RadioKind
    address: str
    radio: Radio
    issue_key: str
    """Keys its repair issues: the entry id for the entry's own radio (as before)."""
    title: str
    stick_issue_timer: CALLBACK_TYPE | None = None
    lost_at: datetime | None = None
    unsubscribe: CALLBACK_TYPE | None = field(default=None, repr=False)
    retry: CALLBACK_TYPE | None = field(default=None, repr=False)


def parse_network_address(text: str) -> tuple[str, str] | None:
    """``udp://:9011``, ``tcp://0.0.0.0:9022``, ``mqtt://rtl_433/+/events`` -> (kind, address).

    None when ``text`` names no network receiver (it is then a serial port). The address comes
    back normalised (``host:port``, or the topic filter). Raises ValueError saying what is
    wrong with a network address.
    """
    scheme, sep, rest = text.strip().partition("://")
    if not sep or scheme.lower() not in NETWORK_SCHEMES:
        return None
    kind = scheme.lower()
    if kind == "mqtt":
        check_topic_filter(rest)
        return kind, rest
    host, port = parse_listen_address(rest, kind)
    if port == 0:
        raise ValueError(f"a {kind} receiver needs a port to listen on")
    return kind, f"{host}:{port}"


def check_topic_filter(topic_filter: str) -> None:
    """Raise ValueError unless ``topic_filter`` is a valid MQTT topic filter.

    MQTT 3.1.1 section 4.7: ``+`` fills a whole level, ``#`` only the whole last one.
    """
    if not topic_filter or "\0" in topic_filter:
        raise ValueError("an MQTT topic filter is needed")
    levels = topic_filter.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            raise ValueError(f"'#' must be the whole last level: {topic_filter!r}")
        if "+" in level and level != "+":
            raise ValueError(f"'+' must be a whole level: {topic_filter!r}")


def mqtt_loaded(hass: HomeAssistant) -> bool:
    """Whether Home Assistant's MQTT integration has a loaded entry."""
    return any(
        entry.state is ConfigEntryState.LOADED
        for entry in hass.config_entries.async_entries(MQTT_DOMAIN)
    )


async def async_subscribe_feed(hass: HomeAssistant, radio: FeedRadio) -> CALLBACK_TYPE:
    """Subscribe ``radio``'s topic filter through Home Assistant's MQTT integration.

    Raises RadioError when MQTT is not set up (the caller retries or reports not ready).
    Payloads are taken as bytes (``encoding=None``): a feed may be hex, a line or JSON, and
    ``FeedRadio.feed`` tells them apart per message.
    """
    if not mqtt_loaded(hass):
        raise RadioError("Home Assistant's MQTT integration is not set up")
    from homeassistant.components import mqtt  # noqa: PLC0415 - see the module docstring

    @callback
    def received(message: ReceiveMessage) -> None:
        payload = message.payload
        radio.feed(message.topic, bytes(payload) if isinstance(payload, bytearray) else payload)

    return await mqtt.async_subscribe(hass, radio.topic_filter, received, qos=0, encoding=None)
