"""Receivers: one folder per radio behind one interface (:class:`Radio`), and the registry.

Everything above this package sees :class:`Radio`, :class:`RadioFrame`, :class:`RadioIdentity`,
:class:`LinkMode` and the registry's functions, never a radio's own framing or commands.
"""

from __future__ import annotations

from .base import (
    FrameCallback,
    NoRadioFound,
    NotThisRadio,
    QuietCallback,
    Radio,
    RadioDisconnected,
    RadioError,
    RadioFrame,
    RadioIdentity,
    RadioKind,
    RadioState,
    RadioTimeout,
    StateCallback,
    UsbMatch,
)
from .link_modes import LinkMode
from .registry import (
    NETWORK_RADIOS,
    build_radio,
    detect_radio,
    identify,
    kinds_for_usb,
    network_radio_kinds,
    radio_for_address,
    radio_kind,
    radio_kinds,
)

__all__ = [
    "NETWORK_RADIOS",
    "FrameCallback",
    "LinkMode",
    "NoRadioFound",
    "NotThisRadio",
    "QuietCallback",
    "Radio",
    "RadioDisconnected",
    "RadioError",
    "RadioFrame",
    "RadioIdentity",
    "RadioKind",
    "RadioState",
    "RadioTimeout",
    "StateCallback",
    "UsbMatch",
    "build_radio",
    "detect_radio",
    "identify",
    "kinds_for_usb",
    "network_radio_kinds",
    "radio_for_address",
    "radio_kind",
    "radio_kinds",
]
