"""Base entities: one for a meter (device per meter subentry), one for the stick itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription

from .const import CONF_METER_ID, DOMAIN
from .meter_identity import identifier_for
from .recalc.bridge import signal_recalc
from .runtime import bridge_of
from .signals import MeterReading, signal_meter, signal_stick

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .gateway import Gateway
    from .runtime import WmbusConfigEntry


def stick_identifier(entry: WmbusConfigEntry) -> tuple[str, str]:
    """Device registry identifier of the stick: its hardware id, not its port."""
    return (DOMAIN, entry.unique_id or entry.entry_id)


def stick_device_info(entry: WmbusConfigEntry) -> DeviceInfo:
    """The radio's device, described from what it answered when opened (else its kind)."""
    gateway = entry.runtime_data.hub
    identity = gateway.identity
    kind = gateway.radio_kind
    return DeviceInfo(
        identifiers={stick_identifier(entry)},
        name=identity.model if identity else kind.title,
        manufacturer=identity.maker if identity else kind.maker,
        model=identity.model if identity else kind.title,
        sw_version=identity.firmware if identity else None,
        serial_number=identity.serial_number if identity else None,
    )


def receiver_identifier(entry: WmbusConfigEntry, subentry_id: str) -> tuple[str, str]:
    """Device registry identifier of a receiver subentry's radio."""
    return (DOMAIN, f"{entry.unique_id or entry.entry_id}_receiver_{subentry_id}")


def receiver_device_info(entry: WmbusConfigEntry, subentry_id: str) -> DeviceInfo:
    """A further receiver's device: named by its subentry, described by its kind."""
    subentry = entry.subentries[subentry_id]
    receiver = entry.runtime_data.hub.receivers.get(subentry_id)
    identity = receiver.radio.identity if receiver is not None else None
    kind = receiver.kind if receiver is not None else None
    return DeviceInfo(
        identifiers={receiver_identifier(entry, subentry_id)},
        name=subentry.title,
        manufacturer=identity.maker if identity else (kind.maker if kind else None),
        model=identity.model if identity else (kind.title if kind else None),
        sw_version=identity.firmware if identity and identity.firmware else None,
        serial_number=identity.serial_number if identity else None,
    )


class WmbusMeterEntity(Entity):
    """An entity of one meter; pushed by the gateway, never polled."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        entry: WmbusConfigEntry,
        subentry: ConfigSubentry,
        description: EntityDescription,
    ) -> None:
        self.entity_description = description
        self.gateway: Gateway = entry.runtime_data.hub
        self.meter_id: str = subentry.data[CONF_METER_ID]
        """The 8 digits, as the user knows the meter (logs, repair texts)."""
        self.identifier = identifier_for(subentry)
        """The meter in Home Assistant: its digits unless another meter has them too."""
        self._attr_unique_id = f"{self.identifier}_{description.key}"
        # The device is registered (name, serial number, hung off the stick by device id, as
        # DeviceInfo's via_device is deprecated from 2026.8) when the meter is configured;
        # manufacturer and model follow from the first decoded telegram.
        self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, self.identifier)})
        self._entry_id = entry.entry_id

    @property
    def available(self) -> bool:
        """Unavailable once the meter has been silent longer than the configured window."""
        meter = self.gateway.meters.get(self.identifier)
        return meter is not None and meter.available

    async def async_added_to_hass(self) -> None:
        """Follow the meter's readings."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_meter(self._entry_id, self.identifier), self._handle_reading
            )
        )

    @callback
    def _handle_reading(self, reading: MeterReading | None) -> None:
        """Take a new reading (or None: only availability changed) and write the state."""
        if reading is not None:
            self.apply_reading(reading)
        self.async_write_ha_state()

    @callback
    def apply_reading(self, reading: MeterReading) -> None:
        """Update the native value from a reading; subclasses decide what they show."""


class WmbusStickEntity(Entity):
    """An entity describing the stick; follows its connection."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: WmbusConfigEntry, description: EntityDescription) -> None:
        self.entity_description = description
        self.gateway: Gateway = entry.runtime_data.hub
        self._attr_unique_id = f"{entry.unique_id or entry.entry_id}_{description.key}"
        self._attr_device_info = stick_device_info(entry)
        self._entry_id = entry.entry_id

    @property
    def receiver_connected(self) -> bool:
        """Whether the radio this entity describes is connected."""
        return self.gateway.connected

    async def async_added_to_hass(self) -> None:
        """Follow the stick's connection."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_stick(self._entry_id), self.async_write_ha_state
            )
        )


class WmbusReceiverEntity(WmbusStickEntity):
    """An entity describing a further receiver (a ``receiver`` subentry's radio)."""

    def __init__(
        self, entry: WmbusConfigEntry, subentry_id: str, description: EntityDescription
    ) -> None:
        super().__init__(entry, description)
        self.subentry_id = subentry_id
        self._attr_unique_id = (
            f"{entry.unique_id or entry.entry_id}_receiver_{subentry_id}_{description.key}"
        )
        self._attr_device_info = DeviceInfo(identifiers={receiver_identifier(entry, subentry_id)})

    @property
    def receiver_connected(self) -> bool:
        """Whether this receiver is open and hearing."""
        return self.gateway.receiver_connected(self.subentry_id)


def add_recalc_entities_while_enabled[D: EntityDescription](
    hass: HomeAssistant,
    entry: WmbusConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    platform: str,
    *,
    descriptions: Sequence[D],
    create: Callable[[D], Entity],
) -> None:
    """The stick's ReCalc entities exist only while ReCalc is turned on in its options.

    On a stick without ReCalc they were clutter: two diagnostic sensors counting nothing and
    a switch that was always unavailable. They are added when the options turn ReCalc on,
    and leave the entity registry (and so Home Assistant) when they turn it off; the same
    happens at setup to those an earlier version registered on every stick.
    """
    bridge = bridge_of(entry)
    registry = er.async_get(hass)
    stick = entry.unique_id or entry.entry_id
    unique_ids = [f"{stick}_{description.key}" for description in descriptions]
    added: list[bool] = []  # one element while the entities are in Home Assistant

    @callback
    def follow_options() -> None:
        if bridge.enabled:
            if not added:
                added.append(True)
                async_add_entities(create(description) for description in descriptions)
            return
        added.clear()
        for unique_id in unique_ids:
            if entity_id := registry.async_get_entity_id(platform, DOMAIN, unique_id):
                registry.async_remove(entity_id)

    follow_options()
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_recalc(entry.entry_id), follow_options)
    )
