"""Binary sensor: whether the stick is connected (always available, it is the answer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined, unused-ignore]
    BinarySensorDeviceClass,  # 2026.10 defines it in .const and re-exports it implicitly
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant

from .entity import WmbusStickEntity

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from . import WmbusConfigEntry

PARALLEL_UPDATES = 0

CONNECTED = BinarySensorEntityDescription(
    key="connected",
    translation_key="connected",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WmbusConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the stick's connectivity sensor."""
    async_add_entities([WmbusConnectedSensor(entry, CONNECTED)])


class WmbusConnectedSensor(WmbusStickEntity, BinarySensorEntity):
    """On while the stick is open and configured; off while it is being reconnected."""

    @property
    def is_on(self) -> bool:
        """Read from the stick on every state write."""
        return self.gateway.connected
