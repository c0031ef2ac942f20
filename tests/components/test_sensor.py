"""Meter sensors fed by the emulated stick replaying real captures."""

from __future__ import annotations

from collections import Counter

from homeassistant.components.recorder.core import Recorder
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.wmbus.const import DOMAIN
from custom_components.wmbus.gateway import COUNTERS_INTERVAL
from tests.components.conftest import METER_ID, entity_state, state
from tests.conftest import omnipower_captures, vector
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator

ENERGY_IMPORTED = "sensor.house_meter_energy_imported"
ENERGY_EXPORTED = "sensor.house_meter_energy_exported"
POWER_IMPORTED = "sensor.house_meter_power_imported"
POWER_EXPORTED = "sensor.house_meter_power_exported"


async def test_values_match_the_vectors(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    for capture in omnipower_captures():
        emulator.send_telegram(bytes.fromhex(capture["telegram_hex"]))
        expected = capture["expected"]
        await wait_until(
            lambda kwh=expected["total_energy_consumption_kwh"]: (
                state(hass, ENERGY_IMPORTED) == str(kwh)
            ),
            hass=hass,
        )
        assert (
            float(entity_state(hass, POWER_IMPORTED).state)
            == expected["current_power_consumption_w"]
        )
        assert float(entity_state(hass, ENERGY_EXPORTED).state) == expected.get(
            "total_energy_production_kwh", 0.0
        )
        assert float(entity_state(hass, POWER_EXPORTED).state) == expected.get(
            "current_power_production_w", 0
        )


async def test_energy_sensor_is_fit_for_the_energy_dashboard(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    emulator.send_telegram(bytes.fromhex(omnipower_captures()[0]["telegram_hex"]))
    await wait_until(lambda: state(hass, ENERGY_IMPORTED) not in (None, "unknown"), hass=hass)
    attributes = entity_state(hass, ENERGY_IMPORTED).attributes
    assert attributes["device_class"] == "energy"
    assert attributes["state_class"] == "total_increasing"
    assert attributes["unit_of_measurement"] == "kWh"
    assert entity_state(hass, POWER_IMPORTED).attributes["state_class"] == "measurement"


async def test_rssi_is_diagnostic_and_disabled_by_default(
    hass: HomeAssistant, setup_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    entry = entity_registry.async_get("sensor.house_meter_signal_strength")
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert entry.entity_category == "diagnostic"


async def test_stick_sensors_follow_the_connection(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    assert entity_state(hass, "binary_sensor.im871a_connected").state == "on"
    assert entity_state(hass, "sensor.im871a_firmware").state == "0x15"
    await emulator.unplug(1.0)
    await wait_until(
        lambda: entity_state(hass, "binary_sensor.im871a_connected").state == "off", hass=hass
    )
    assert entity_state(hass, "sensor.im871a_firmware").state == STATE_UNAVAILABLE
    await wait_until(
        lambda: entity_state(hass, "binary_sensor.im871a_connected").state == "on", hass=hass
    )


async def test_telegram_counters_are_written_at_a_steady_pace(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    received = "sensor.im871a_telegrams_received"
    rejected = "sensor.im871a_telegrams_rejected"
    emulator.send_telegram(captures[4])
    emulator.send_telegram(captures[4])  # a repeat: rejected as a duplicate
    emulator.send_telegram(bytes.fromhex(vector("noise-real-64005012-3f")["telegram_hex"]))
    await wait_until(lambda: sum(setup_entry.runtime_data.hub.outcomes.values()) == 3, hass=hass)
    assert state(hass, received) == "0"  # not one state write per telegram
    async_fire_time_changed(hass, dt_util.utcnow() + COUNTERS_INTERVAL)
    await hass.async_block_till_done()
    assert state(hass, received) == "3"
    assert state(hass, rejected) == "1"
    assert entity_state(hass, rejected).attributes["duplicate"] == 1


async def test_meter_entities_stay_out_of_the_logbook_and_change_only_with_their_value(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
    entity_registry: er.EntityRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A telegram every ~15 s must not become an Activity entry every ~15 s."""
    config_entry.add_to_hass(hass)
    # The diagnostic sensors that are off by default are checked too.
    for key, object_id in (("rssi", "signal_strength"), ("telegrams", "telegrams")):
        entity_registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{METER_ID}_{key}",
            suggested_object_id=f"house_meter_{object_id}",
            config_entry=config_entry,
        )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    hass.config.components.add("frontend")  # the harness has no frontend build; logbook wants one
    assert await async_setup_component(hass, "logbook", {})
    start = dt_util.utcnow()
    changes: list[Event[EventStateChangedData]] = []

    @callback
    def collect(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"].startswith("sensor.house_meter_"):
            changes.append(event)

    hass.bus.async_listen(EVENT_STATE_CHANGED, collect)
    telegrams = captures[:8]
    meter = config_entry.runtime_data.hub.meters[METER_ID]
    for telegram in telegrams:
        before = meter.last_reading
        emulator.send_telegram(telegram)
        await wait_until(lambda before=before: meter.last_reading is not before, hass=hass)
    assert state(hass, "sensor.house_meter_telegrams") == str(len(telegrams))
    assert hass.states.get("sensor.house_meter_last_telegram") is None
    for event in changes:
        old, new = event.data["old_state"], event.data["new_state"]
        assert new is not None
        # (old is None: the sensor was added with the first telegram carrying its value.)
        assert old is None or old.state != new.state, f"{new.entity_id} changed, same value"
    by_entity = Counter(event.data["entity_id"] for event in changes)
    assert by_entity["sensor.house_meter_signal_strength"] == 1  # the emulator's RSSI is constant
    assert by_entity["sensor.house_meter_telegrams"] == len(telegrams)

    await async_wait_recording_done(hass)
    client = await hass_client()
    response = await client.get(f"/api/logbook/{start.isoformat()}")
    assert response.status == 200
    entries = await response.json()
    assert [e for e in entries if e.get("entity_id", "").startswith("sensor.house_meter_")] == []


async def test_the_old_last_telegram_sensor_is_removed_on_upgrade(
    hass: HomeAssistant, config_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    config_entry.add_to_hass(hass)
    old = entity_registry.async_get_or_create(
        "sensor", DOMAIN, f"{METER_ID}_last_telegram", config_entry=config_entry
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert entity_registry.async_get(old.entity_id) is None
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, f"{METER_ID}_telegrams")
