"""Binary sensors: the stick's connection, and the alarm and error flags of meters.

A meter's problem sensors come from the fields its profile (or its records) mark as problems;
they are on while the flags the meter sends are not zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.restore_state import RestoreEntity

from .entity import WmbusMeterEntity, WmbusReceiverEntity, WmbusStickEntity
from .ha_compat import BinarySensorDeviceClass
from .meter_fields import MeterField
from .meter_identity import identifier_for
from .signals import (
    MeterReading,
    NewFields,
    signal_meter_added,
    signal_new_fields,
    signal_receiver_added,
)

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .runtime import WmbusConfigEntry

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
    """Add the stick's connectivity sensor and each meter's problem sensors."""
    async_add_entities([WmbusConnectedSensor(entry, CONNECTED)])
    gateway = entry.runtime_data.hub

    @callback
    def add_receiver(subentry_id: str) -> None:
        async_add_entities(
            [WmbusReceiverConnectedSensor(entry, subentry_id, CONNECTED)],
            config_subentry_id=subentry_id,
        )

    for subentry_id in gateway.receiver_subentries():
        add_receiver(subentry_id)
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_receiver_added(entry.entry_id), add_receiver)
    )

    def problem_sensors(
        subentry: ConfigSubentry, fields: Iterable[MeterField]
    ) -> list[WmbusProblemSensor]:
        return [
            WmbusProblemSensor(entry, subentry, meter_field)
            for meter_field in fields
            if meter_field.kind == "problem"
        ]

    @callback
    def add_meter(subentry_id: str) -> None:
        subentry = entry.subentries[subentry_id]
        meter = gateway.meters[identifier_for(subentry)]
        if entities := problem_sensors(subentry, meter.fields.values()):
            async_add_entities(entities, config_subentry_id=subentry_id)

    @callback
    def add_fields(new: NewFields) -> None:
        meter = gateway.meters.get(new.identifier)
        if meter is None or meter.subentry_id not in entry.subentries:
            return
        subentry = entry.subentries[meter.subentry_id]
        if entities := problem_sensors(subentry, new.fields):
            async_add_entities(entities, config_subentry_id=meter.subentry_id)

    for subentry_id in gateway.meter_subentries():
        add_meter(subentry_id)
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_meter_added(entry.entry_id), add_meter)
    )
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_new_fields(entry.entry_id), add_fields)
    )


class WmbusConnectedSensor(WmbusStickEntity, BinarySensorEntity):
    """On while the stick is open and configured; off while it is being reconnected."""

    @property
    def is_on(self) -> bool:
        """Read from the stick on every state write."""
        return self.receiver_connected


class WmbusReceiverConnectedSensor(WmbusReceiverEntity, WmbusConnectedSensor):
    """On while a further receiver is open (listening, subscribed or its stick configured)."""


class WmbusProblemSensor(WmbusMeterEntity, BinarySensorEntity, RestoreEntity):
    """On while the meter reports the alarm or error its field stands for."""

    def __init__(
        self, entry: WmbusConfigEntry, subentry: ConfigSubentry, meter_field: MeterField
    ) -> None:
        super().__init__(entry, subentry, meter_field.binary_sensor_description())
        self._field_key = meter_field.key
        meter = self.gateway.meters.get(self.identifier)
        if meter is not None and meter.last_reading is not None:
            self.apply_reading(meter.last_reading)

    async def async_added_to_hass(self) -> None:
        """Restore the last state until the meter is heard again."""
        await super().async_added_to_hass()
        last = await self.async_get_last_state() if self._attr_is_on is None else None
        if last is not None and last.state in (STATE_ON, STATE_OFF):
            self._attr_is_on = last.state == STATE_ON

    @callback
    def apply_reading(self, reading: MeterReading) -> None:
        """Flags other than zero mean a problem."""
        value = reading.fields.get(self._field_key)
        if value is not None:
            self._attr_is_on = value != 0
