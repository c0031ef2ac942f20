"""Wireless M-Bus: meters read over the air by any supported receiver, in Home Assistant.

Home Assistant is imported only when Home Assistant calls in (the work is in ``lifecycle.py``):
this package also carries ``protocol/``, which must import, and run as a command line
(``python -m custom_components.wmbus.protocol``), on a machine without Home Assistant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .runtime import WmbusConfigEntry


async def async_setup_entry(hass: HomeAssistant, entry: WmbusConfigEntry) -> bool:
    """Open the stick and start delivering readings."""
    from .lifecycle import async_setup_entry  # noqa: PLC0415 - see the module docstring

    return await async_setup_entry(hass, entry)


async def async_unload_entry(hass: HomeAssistant, entry: WmbusConfigEntry) -> bool:
    """Unload the platforms; the stick closes with the entry's unload callbacks."""
    from .lifecycle import async_unload_entry  # noqa: PLC0415 - see the module docstring

    return await async_unload_entry(hass, entry)


async def async_remove_entry(hass: HomeAssistant, entry: WmbusConfigEntry) -> None:
    """Leave nothing behind for a stick that no longer exists."""
    from .lifecycle import async_remove_entry  # noqa: PLC0415 - see the module docstring

    await async_remove_entry(hass, entry)
