"""Receivers on the network: TCP and UDP listeners and MQTT payloads, lines of text each.

``lines`` is the pure codec (hex lines, rtl_wmbus lines, rtl_433 JSON events), ``radio`` the
listeners. These are not probed on serial ports and have no USB ids: the registry lists them
apart (``NETWORK_RADIOS``) and builds them by name from an address (a port, or a topic filter).
"""

from __future__ import annotations

from typing import Any, Final

from ..base import RadioKind, driver_factory
from ..link_modes import LinkMode
from .lines import (
    MAX_LINE_BYTES,
    FeedFormat,
    FeedRejected,
    FeedResult,
    FeedTelegram,
    LineSplitter,
    RejectReason,
    describe_stream,
    parse_line,
    parse_message,
    parse_rtl_433_event,
)

# A gateway sets its own link mode; the one listed is what ESPHome and rtl_wmbus listen in.
_GATEWAY_MODES: Final = (LinkMode.C1T1,)


# Loaded when a feed is built (the listeners need asyncio); named, not imported, so the driver
# module can use this package's KINDS without the two importing each other.
_DRIVER: Final = f"{__name__}.radio"
_build_tcp = driver_factory(_DRIVER, "TcpFeedRadio")
_build_udp = driver_factory(_DRIVER, "UdpFeedRadio")
_build_mqtt = driver_factory(_DRIVER, "FeedRadio")


def _kind(name: str, title: str, factory: Any) -> RadioKind:
    return RadioKind(
        name=name,
        maker="network",
        title=title,
        link_modes=_GATEWAY_MODES,
        default_link_mode=LinkMode.C1T1,
        usb=(),
        factory=factory,
        describe_stream=describe_stream,
        probe_order=1000,  # never probed: not in RADIO_PACKAGES
    )


KINDS: Final[dict[str, RadioKind]] = {
    "tcp": _kind("tcp", "TCP feed (hex or rtl_wmbus lines)", _build_tcp),
    "udp": _kind("udp", "UDP feed (hex or rtl_wmbus lines)", _build_udp),
    "mqtt": _kind("mqtt", "MQTT feed (hex, rtl_wmbus lines, rtl_433 JSON)", _build_mqtt),
}

__all__ = [
    "KINDS",
    "MAX_LINE_BYTES",
    "FeedFormat",
    "FeedRejected",
    "FeedResult",
    "FeedTelegram",
    "LineSplitter",
    "RejectReason",
    "describe_stream",
    "parse_line",
    "parse_message",
    "parse_rtl_433_event",
]
