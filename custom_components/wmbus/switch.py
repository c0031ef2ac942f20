"""The "ReCalc mirroring" switch: off after ReCalc's STOP, on again by the user."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .entity import WmbusStickEntity, add_recalc_entities_while_enabled
from .recalc.bridge import RecalcBridge, signal_recalc
from .runtime import bridge_of

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .runtime import WmbusConfigEntry

# Pushed by the bridge; nothing to poll.
PARALLEL_UPDATES = 0

RECALC_MIRRORING = SwitchEntityDescription(
    key="recalc_mirroring",
    translation_key="recalc_mirroring",
    entity_category=EntityCategory.CONFIG,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WmbusConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One switch per stick with ReCalc turned on."""
    add_recalc_entities_while_enabled(
        hass,
        entry,
        async_add_entities,
        Platform.SWITCH,
        descriptions=(RECALC_MIRRORING,),
        create=lambda description: RecalcMirroringSwitch(entry, description),
    )


class RecalcMirroringSwitch(WmbusStickEntity, SwitchEntity):
    """On: the bridge publishes and takes commands. Off: paused (its state is persisted)."""

    def __init__(self, entry: WmbusConfigEntry, description: SwitchEntityDescription) -> None:
        super().__init__(entry, description)
        self.bridge: RecalcBridge = bridge_of(entry)

    @property
    def is_on(self) -> bool:
        """Not paused."""
        return not self.bridge.paused

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Resume after a STOP or a manual pause."""
        self.bridge.set_paused(False)
        self.async_write_ha_state()

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Pause as STOP does: nothing is published, commands are ignored."""
        self.bridge.set_paused(True)
        self.async_write_ha_state()

    async def async_added_to_hass(self) -> None:
        """Follow the bridge's state."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_recalc(self._entry_id), self.async_write_ha_state
            )
        )
