"""Sensors: energy and power per meter (Energy dashboard), diagnostics per meter and stick."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
import logging
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import (
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    EntityCategory,
    UnitOfEnergy,
    UnitOfPower,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .const import DOMAIN
from .entity import (
    WmbusMeterEntity,
    WmbusReceiverEntity,
    WmbusStickEntity,
    add_recalc_entities_while_enabled,
)
from .gateway import Gateway
from .issues import total_decreased_issue_id
from .meter_fields import MeterField
from .meter_identity import identifier_for
from .recalc.bridge import RecalcBridge, signal_recalc
from .runtime import bridge_of
from .signals import (
    MeterReading,
    NewFields,
    signal_accept_total,
    signal_counters,
    signal_meter_added,
    signal_meter_rssi,
    signal_new_fields,
    signal_receiver_added,
)

if TYPE_CHECKING:
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .runtime import WmbusConfigEntry

_LOGGER = logging.getLogger(__name__)

# Pushed by the gateway; nothing to poll or rate-limit.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class MeterSensorDescription(SensorEntityDescription):
    """A meter sensor; ``value_fn`` picks its value out of a reading (None: not carried)."""

    value_fn: Callable[[MeterReading], float | int | None]
    restore: bool = True


def _value(name: str) -> Callable[[MeterReading], float | int | None]:
    def pick(reading: MeterReading) -> float | int | None:
        return reading.reading.values.get(name)

    return pick


# OmniPower's energy and power (the sensors and entity ids they have always had); a meter gets
# each once its telegrams carry the value. Other values get sensors from their fields.
METER_SENSORS: tuple[MeterSensorDescription, ...] = (
    MeterSensorDescription(
        key="energy_imported",
        translation_key="energy_imported",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=_value("total_energy_consumption_kwh"),
    ),
    MeterSensorDescription(
        key="energy_exported",
        translation_key="energy_exported",
        device_class=SensorDeviceClass.ENERGY,
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=_value("total_energy_production_kwh"),
    ),
    MeterSensorDescription(
        key="power_imported",
        translation_key="power_imported",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=_value("current_power_consumption_w"),
    ),
    MeterSensorDescription(
        key="power_exported",
        translation_key="power_exported",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        value_fn=_value("current_power_production_w"),
    ),
)
FIXED_SENSORS: Final[Mapping[str, MeterSensorDescription]] = {
    description.key: description for description in METER_SENSORS
}
"""The energy and power sensors of OmniPower's values (meter_fields.FIXED_VALUE_KEYS)."""

RSSI = MeterSensorDescription(
    key="rssi",
    translation_key="rssi",
    device_class=SensorDeviceClass.SIGNAL_STRENGTH,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
    value_fn=lambda reading: reading.rssi_dbm,
)

# Replaces the "Last telegram" timestamp sensor of earlier versions: a timestamp that changes
# with every telegram is a logbook entry every ~15 s (the logbook only leaves out sensors with a
# unit or state class), and "when was the meter last heard" is every entity's last_reported.
# A counter with a state class is what Home Assistant treats as continuous: no logbook entries.
TELEGRAMS = SensorEntityDescription(
    key="telegrams",
    translation_key="meter_telegrams",
    state_class=SensorStateClass.TOTAL_INCREASING,
    entity_category=EntityCategory.DIAGNOSTIC,
    entity_registry_enabled_default=False,
)
REMOVED_METER_SENSOR_KEYS: Final = ("last_telegram",)

# A further receiver's frames: every telegram it heard, copies heard by others included (the
# entry's "telegrams received" counts each telegram once).
RECEIVER_FRAMES = SensorEntityDescription(
    key="telegrams_received",
    translation_key="telegrams_received",
    state_class=SensorStateClass.TOTAL_INCREASING,
    entity_category=EntityCategory.DIAGNOSTIC,
)


@dataclass(frozen=True, kw_only=True)
class StickSensorDescription(SensorEntityDescription):
    """A stick sensor computed from the gateway."""

    value_fn: Callable[[Gateway], Any]
    attributes_fn: Callable[[Gateway], dict[str, Any]] | None = None
    counter: bool = False


# Outcomes that are not rejections: decoded, or simply another household's meter.
NOT_REJECTED = frozenset({"decoded", "no_key"})

STICK_SENSORS: tuple[StickSensorDescription, ...] = (
    StickSensorDescription(
        key="firmware",
        translation_key="firmware",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda gw: gw.identity.firmware if gw.identity else None,
    ),
    StickSensorDescription(
        key="telegrams_received",
        translation_key="telegrams_received",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda gw: sum(gw.outcomes.values()),
        counter=True,
        attributes_fn=lambda gw: {"meters_heard": len(gw.heard)},
    ),
    StickSensorDescription(
        key="telegrams_rejected",
        translation_key="telegrams_rejected",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda gw: sum(n for k, n in gw.outcomes.items() if k not in NOT_REJECTED),
        counter=True,
        attributes_fn=lambda gw: {
            k: n for k, n in sorted(gw.outcomes.items()) if k not in NOT_REJECTED
        },
    ),
)


@dataclass(frozen=True, kw_only=True)
class RecalcSensorDescription(SensorEntityDescription):
    """A diagnostic of the ReCalc bridge's outbox."""

    value_fn: Callable[[RecalcBridge], int]


# Counts of messages, without a unit: a unit from strings.json is shown in English whatever
# the user's language (Home Assistant takes it from the default language), so the names say
# what is counted.
RECALC_SENSORS: tuple[RecalcSensorDescription, ...] = (
    RecalcSensorDescription(
        key="recalc_outbox",
        translation_key="recalc_outbox",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda bridge: len(bridge.outbox),
    ),
    RecalcSensorDescription(
        key="recalc_dropped",
        translation_key="recalc_dropped",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda bridge: bridge.outbox.dropped,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: WmbusConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the stick's sensors, each meter's sensors, and those of meters added later."""
    async_add_entities(WmbusStickSensor(entry, description) for description in STICK_SENSORS)
    add_recalc_entities_while_enabled(
        hass,
        entry,
        async_add_entities,
        SENSOR_DOMAIN,
        descriptions=RECALC_SENSORS,
        create=lambda description: RecalcSensor(entry, description),
    )

    entity_registry = er.async_get(hass)
    gateway = entry.runtime_data.hub

    def field_sensors(
        subentry: ConfigSubentry, fields: Iterable[MeterField], fixed: Iterable[str]
    ) -> list[SensorEntity]:
        entities: list[SensorEntity] = [
            WmbusMeterSensor(entry, subentry, FIXED_SENSORS[key]) for key in sorted(fixed)
        ]
        entities.extend(
            WmbusMeterSensor(entry, subentry, field_description(meter_field))
            for meter_field in fields
            if meter_field.kind == "sensor"
        )
        return entities

    @callback
    def add_meter(subentry_id: str) -> None:
        subentry = entry.subentries[subentry_id]
        identifier = identifier_for(subentry)
        for key in REMOVED_METER_SENSOR_KEYS:
            if entity_id := entity_registry.async_get_entity_id(
                SENSOR_DOMAIN, DOMAIN, f"{identifier}_{key}"
            ):
                entity_registry.async_remove(entity_id)
        meter = gateway.meters[identifier]
        entities = field_sensors(subentry, meter.fields.values(), meter.fixed)
        entities.append(WmbusRssiSensor(entry, subentry, RSSI))
        entities.append(WmbusTelegramCounter(entry, subentry, TELEGRAMS))
        async_add_entities(entities, config_subentry_id=subentry_id)

    @callback
    def add_fields(new: NewFields) -> None:
        meter = gateway.meters.get(new.identifier)
        if meter is None or meter.subentry_id not in entry.subentries:
            return
        subentry = entry.subentries[meter.subentry_id]
        if entities := field_sensors(subentry, new.fields, new.fixed):
            async_add_entities(entities, config_subentry_id=meter.subentry_id)

    for subentry_id in gateway.meter_subentries():
        add_meter(subentry_id)

    @callback
    def add_receiver(subentry_id: str) -> None:
        async_add_entities(
            [WmbusReceiverFramesSensor(entry, subentry_id, RECEIVER_FRAMES)],
            config_subentry_id=subentry_id,
        )

    for subentry_id in gateway.receiver_subentries():
        add_receiver(subentry_id)
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_receiver_added(entry.entry_id), add_receiver)
    )
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_meter_added(entry.entry_id), add_meter)
    )
    entry.async_on_unload(
        async_dispatcher_connect(hass, signal_new_fields(entry.entry_id), add_fields)
    )


def field_description(meter_field: MeterField) -> MeterSensorDescription:
    """A sensor for one of a meter's fields (found in its telegrams)."""
    key = meter_field.key
    return MeterSensorDescription(
        **meter_field.sensor_hints(),
        value_fn=lambda reading: reading.fields.get(key),
    )


class WmbusMeterSensor(WmbusMeterEntity, RestoreSensor):
    """A meter quantity; restored across restarts, totals never go backwards."""

    entity_description: MeterSensorDescription

    def __init__(
        self,
        entry: WmbusConfigEntry,
        subentry: ConfigSubentry,
        description: MeterSensorDescription,
    ) -> None:
        super().__init__(entry, subentry, description)
        self._subentry_id = subentry.subentry_id
        # The latest total a meter sent below the one shown, while that episode lasts.
        self._refused_total: float | None = None
        meter = self.gateway.meters.get(self.identifier)
        if meter is not None and meter.last_reading is not None:
            self.apply_reading(meter.last_reading)

    async def async_added_to_hass(self) -> None:
        """Restore the last value so the Energy dashboard sees no gap after a restart."""
        await super().async_added_to_hass()
        if self.entity_description.state_class is SensorStateClass.TOTAL_INCREASING:
            self.async_on_remove(
                async_dispatcher_connect(
                    self.hass,
                    signal_accept_total(
                        self._entry_id, self.identifier, self.entity_description.key
                    ),
                    self._accept_lower_total,
                )
            )
        if self._attr_native_value is not None or not self.entity_description.restore:
            return
        if (last := await self.async_get_last_sensor_data()) is not None:
            self._attr_native_value = last.native_value

    @callback
    def apply_reading(self, reading: MeterReading) -> None:
        """Take the value this sensor shows; a total that would go down is held back.

        A lower total starts an episode: one warning and a repair issue whose fix accepts the
        meter's new total (a replaced or reset meter). Until then the last good total stays,
        because the recorder would count a drop of more than 10 % as a reset and add the whole
        new total again. The episode ends by itself if the meter climbs past the old total.
        """
        value = self.entity_description.value_fn(reading)
        if value is None:
            return
        previous = self._attr_native_value
        if (
            self.entity_description.state_class is SensorStateClass.TOTAL_INCREASING
            and isinstance(previous, int | float)
            and isinstance(value, int | float)
            and value < previous
        ):
            if self._refused_total is None:
                self._start_lower_total_episode(previous, value)
            self._refused_total = value
            return
        if self._refused_total is not None:
            _LOGGER.info(
                "Meter %s: %s is back above %s; the lower values were ignored",
                self.meter_id,
                self.entity_description.key,
                previous,
            )
            self._end_lower_total_episode()
        self._attr_native_value = value

    def _start_lower_total_episode(self, previous: float, value: float) -> None:
        _LOGGER.warning(
            "Meter %s: %s went down from %s to %s; keeping %s until the new total is accepted "
            "in the repair issue (a replaced or reset meter) or the meter passes it again",
            self.meter_id,
            self.entity_description.key,
            previous,
            value,
            previous,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key="total_decreased",
            translation_placeholders={
                "meter_name": self._meter_name(),
                "meter_id": self.meter_id,
                "entity_id": self.entity_id or self.entity_description.key,
                "previous": str(previous),
                "value": str(value),
            },
            data={
                "flow": "total_decreased",
                "entry_id": self._entry_id,
                # The identifier (the digits, but for a second meter with the same digits);
                # named meter_id as in issues stored before.
                "meter_id": self.identifier,
                "key": self.entity_description.key,
            },
        )

    def _end_lower_total_episode(self) -> None:
        self._refused_total = None
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)

    def _meter_name(self) -> str:
        subentry = self.gateway.entry.subentries.get(self._subentry_id)
        return subentry.title if subentry is not None else self.meter_id

    @property
    def _issue_id(self) -> str:
        return total_decreased_issue_id(
            self._entry_id, self.identifier, self.entity_description.key
        )

    @callback
    def _accept_lower_total(self) -> None:
        """The repair's fix: the meter's latest total becomes the sensor's total."""
        if self._refused_total is None:
            return
        _LOGGER.info(
            "Meter %s: %s accepted as the new total %s",
            self.meter_id,
            self.entity_description.key,
            self._refused_total,
        )
        self._attr_native_value = self._refused_total
        self._end_lower_total_episode()
        self.async_write_ha_state()

    async def async_will_remove_from_hass(self) -> None:
        """A sensor that is gone (unloaded, meter removed) asks nothing of the user."""
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
        await super().async_will_remove_from_hass()


class WmbusTelegramCounter(WmbusMeterEntity, RestoreSensor):
    """Telegrams decoded from the meter; counts on across restarts."""

    _attr_native_value: int = 0

    async def async_added_to_hass(self) -> None:
        """Continue from the restored count (counting only telegrams heard from now on)."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float):
            self._attr_native_value += int(last.native_value)

    @callback
    def apply_reading(self, reading: MeterReading) -> None:
        """One more telegram."""
        self._attr_native_value += 1


class WmbusRssiSensor(WmbusMeterSensor):
    """The RSSI of the meter's latest telegram, and each receiver's RSSI of it as attributes.

    A telegram heard by several receivers is delivered once (by the first); the copies only
    add their receiver's RSSI here, so the user sees which receiver hears the meter best.
    """

    # They change with every telegram: kept out of the recorder's history.
    _unrecorded_attributes = frozenset({"receivers", "best_receiver"})

    async def async_added_to_hass(self) -> None:
        """Also follow the copies heard by the other receivers."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_meter_rssi(self._entry_id, self.identifier),
                self.async_write_ha_state,
            )
        )

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """``receivers``: {receiver: RSSI in dBm}; ``best_receiver``: the strongest."""
        meter = self.gateway.meters.get(self.identifier)
        if meter is None or not meter.rssi_by_receiver:
            return None
        rssi = dict(meter.rssi_by_receiver)
        known = {name: value for name, value in rssi.items() if value is not None}
        best = max(known, key=lambda name: known[name]) if known else None
        return {"receivers": rssi, "best_receiver": best}


class WmbusReceiverFramesSensor(WmbusReceiverEntity, SensorEntity):
    """Telegrams a further receiver heard; its other counters (drops by reason) as attributes."""

    async def async_added_to_hass(self) -> None:
        """Follow the hub's paced counter signal as well as the connection."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_counters(self._entry_id), self.async_write_ha_state
            )
        )

    @property
    def available(self) -> bool:
        """A receiver's entities follow its connection."""
        return self.receiver_connected

    def _counters(self) -> Mapping[str, int]:
        receiver = self.gateway.receivers.get(self.subentry_id)
        return receiver.radio.counters if receiver is not None else {}

    @property
    def native_value(self) -> int:
        """Frames the receiver delivered."""
        return int(self._counters().get("frames_received", 0))

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Everything else the radio counts (messages, drops by reason)."""
        return {k: n for k, n in sorted(self._counters().items()) if k != "frames_received"}


class WmbusStickSensor(WmbusStickEntity, SensorEntity):
    """Firmware and telegram counters of the stick."""

    entity_description: StickSensorDescription

    async def async_added_to_hass(self) -> None:
        """Counters follow the gateway's paced counter signal as well as the connection."""
        await super().async_added_to_hass()
        if self.entity_description.counter:
            self.async_on_remove(
                async_dispatcher_connect(
                    self.hass, signal_counters(self._entry_id), self.async_write_ha_state
                )
            )

    @property
    def available(self) -> bool:
        """The stick's entities follow its connection."""
        return self.gateway.connected

    @property
    def native_value(self) -> Any:
        """Computed from the gateway on every state write."""
        return self.entity_description.value_fn(self.gateway)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Per-reason breakdown where it helps troubleshooting."""
        if self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(self.gateway)


class RecalcSensor(WmbusStickEntity, SensorEntity):
    """Outbox size and dropped messages of the ReCalc bridge (they work while it is paused)."""

    entity_description: RecalcSensorDescription

    def __init__(self, entry: WmbusConfigEntry, description: RecalcSensorDescription) -> None:
        super().__init__(entry, description)
        self.bridge: RecalcBridge = bridge_of(entry)

    @property
    def native_value(self) -> int:
        """Read from the bridge on every state write."""
        return self.entity_description.value_fn(self.bridge)

    async def async_added_to_hass(self) -> None:
        """Follow the bridge's outbox."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_recalc(self._entry_id), self.async_write_ha_state
            )
        )
