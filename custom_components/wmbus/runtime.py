"""What a running stick entry holds (``entry.runtime_data``): the hub and the ReCalc bridge.

Both are built in ``lifecycle.async_setup_entry``; the platforms, diagnostics and flows reach
them here, never through ``hass.data``. The hub does not know the bridge: the bridge subscribes
to the hub's readings like any entity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .gateway import Gateway
    from .recalc.bridge import RecalcBridge


@dataclass(slots=True)
class WmbusRuntime:
    """The running pieces of one stick entry."""

    hub: Gateway
    recalc: RecalcBridge | None = None
    """None only between the hub's start and the bridge's (setup builds both)."""


type WmbusConfigEntry = ConfigEntry[WmbusRuntime]


def bridge_of(entry: WmbusConfigEntry) -> RecalcBridge:
    """The ReCalc bridge of a running entry (created in setup, before the platforms)."""
    bridge = entry.runtime_data.recalc
    if bridge is None:
        raise LookupError("the entry has no ReCalc bridge")
    return bridge
