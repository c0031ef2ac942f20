"""Restore after restart, availability window, and totals that never go down."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.wmbus.const import CONF_PORT, CONF_UNAVAILABLE_AFTER_MIN, DOMAIN
from custom_components.wmbus.issues import total_decreased_issue_id
from tests.components.conftest import (
    METER_ID,
    STICK_SERIAL,
    meter_subentry,
    state,
)
from tests.conftest import omnipower_captures
from tests.helpers import wait_until
from tools import simulated_meters
from tools.emulators.im871a import Im871aEmulator
from tools.simulated_meters import (
    HEAT_ID,
    HEAT_KEY,
    OMNIPOWER_ID,
    OMNIPOWER_KEY,
    WATER_ID,
    WATER_KEY,
    HeatMeter,
    OmniPower,
    WaterMeter,
)

ENERGY = "sensor.house_meter_energy_imported"
POWER = "sensor.house_meter_power_imported"


async def test_values_are_restored_after_a_restart(
    hass: HomeAssistant, config_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """The sensors a meter had come back at once, before its first telegram, with values."""
    hass_storage[f"{DOMAIN}.meter_fields.{config_entry.entry_id}"] = {
        "version": 1,
        "key": f"{DOMAIN}.meter_fields.{config_entry.entry_id}",
        "data": {METER_ID: {"fixed": ["energy_imported", "power_imported"], "fields": []}},
    }
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(ENERGY, "1.5"),
                {"native_value": 1.5, "native_unit_of_measurement": "kWh"},
            ),
            (State(POWER, "42"), {"native_value": 42, "native_unit_of_measurement": "W"}),
        ],
    )
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, ENERGY) == "1.5"
    assert state(hass, POWER) == "42"


async def test_meter_goes_unavailable_when_silent_and_comes_back(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    emulator.send_telegram(captures[0])
    await wait_until(lambda: state(hass, ENERGY) == "2.06", hass=hass)

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=14))
    await hass.async_block_till_done()
    assert state(hass, ENERGY) == "2.06"

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=16))
    await hass.async_block_till_done()
    assert state(hass, ENERGY) == STATE_UNAVAILABLE

    emulator.send_telegram(captures[1])
    await wait_until(lambda: state(hass, ENERGY) == "2.15", hass=hass)


async def test_availability_window_is_an_option(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    hass.config_entries.async_update_entry(
        setup_entry, options={**setup_entry.options, CONF_UNAVAILABLE_AFTER_MIN: 2}
    )
    await hass.async_block_till_done()
    emulator.send_telegram(captures[0])
    await wait_until(lambda: state(hass, ENERGY) == "2.06", hass=hass)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=3))
    await hass.async_block_till_done()
    assert state(hass, ENERGY) == STATE_UNAVAILABLE


async def test_a_lower_total_is_held_back_with_one_warning_and_a_repair_that_accepts_it(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    """A replaced or reset meter: held back once, then the user accepts its new total."""
    issue_id = total_decreased_issue_id(setup_entry.entry_id, METER_ID, "energy_imported")
    # Replay order: the last capture (2.84 kWh) first, then older ones (2.06 ... 2.5 kWh).
    emulator.send_telegram(captures[-1])
    await wait_until(lambda: state(hass, ENERGY) == "2.84", hass=hass)
    for telegram in captures[:3]:
        await _send_and_wait(hass, setup_entry, emulator, telegram)
    assert state(hass, ENERGY) == "2.84"
    lower = [r for r in caplog.records if "went down" in r.getMessage()]
    assert [r.levelname for r in lower] == ["WARNING"], "one warning per episode"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_key == "total_decreased"
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["previous"] == "2.84"

    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"]["meter_name"] == "House meter"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    # The meter's latest total (the third capture's) is taken, and values flow again.
    assert state(hass, ENERGY) == str(
        omnipower_captures()[2]["expected"]["total_energy_consumption_kwh"]
    )
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await _send_and_wait(hass, setup_entry, emulator, captures[3])
    assert state(hass, ENERGY) == str(
        omnipower_captures()[3]["expected"]["total_energy_consumption_kwh"]
    )
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_lower_total_episode_ends_by_itself_when_the_meter_passes_the_old_total(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A stray telegram from the past: the issue goes with the next higher total."""
    issue_id = total_decreased_issue_id(setup_entry.entry_id, METER_ID, "energy_imported")
    emulator.send_telegram(captures[2])
    await wait_until(lambda: state(hass, ENERGY) not in (None, "unknown"), hass=hass)
    emulator.send_telegram(captures[0])
    await wait_until(
        lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None, hass=hass
    )
    emulator.send_telegram(captures[-1])
    await wait_until(lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is None, hass=hass)
    assert state(hass, ENERGY) == "2.84"
    assert "is back above" in caplog.text


async def _send_and_wait(
    hass: HomeAssistant, entry: MockConfigEntry, emulator: Im871aEmulator, telegram: bytes
) -> None:
    """Send one telegram and wait until the gateway has handed its reading to the sensors."""
    meter = entry.runtime_data.hub.meters[METER_ID]
    before = meter.last_reading
    emulator.send_telegram(telegram)
    await wait_until(lambda: meter.last_reading is not before, hass=hass)


async def test_a_meter_from_before_stored_fields_keeps_its_energy_sensors(
    hass: HomeAssistant, config_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """Upgrade: no fields stored yet, but the entity registry knows the meter's sensors."""
    config_entry.add_to_hass(hass)
    entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{METER_ID}_energy_imported",
        suggested_object_id="house_meter_energy_imported",
        config_entry=config_entry,
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, ENERGY) == "unknown"
    assert state(hass, POWER) is None  # not in the registry: it comes with the first telegram


async def test_a_restart_with_the_next_total_the_same_or_higher_raises_nothing(
    hass: HomeAssistant,
    emulator: Im871aEmulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    issue_registry: ir.IssueRegistry,
) -> None:
    """scripts/develop restarted: restored totals, then the restarted emulator's meters.

    An hour of the emulated water and heat meters and the OmniPower, a restart (the entry's
    states and fields restored, the emulator's meters new), and their next telegrams: no
    "went down" warning and no repair issue. The emulated meters used to start again from
    fixed totals, or from their clock average below what the last run had metered.
    """
    now_s = [1_765_000_000.0]
    monkeypatch.setattr(simulated_meters, "wall_clock_s", lambda: now_s[0])
    meters = (OmniPower(), WaterMeter(), HeatMeter())
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        unique_id=STICK_SERIAL,
        subentries_data=[
            meter_subentry(OMNIPOWER_ID, OMNIPOWER_KEY.hex().upper(), "House meter"),
            meter_subentry(WATER_ID, WATER_KEY.hex().upper(), "Water"),
            meter_subentry(HEAT_ID, HEAT_KEY.hex().upper(), "Heat"),
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    async def hear(meter: OmniPower | WaterMeter | HeatMeter, elapsed_s: float) -> None:
        runtime = entry.runtime_data.hub.meters[meter.meter_id]
        before = runtime.last_reading
        emulator.send_telegram(meter.telegram(elapsed_s))
        await wait_until(lambda: runtime.last_reading is not before, hass=hass)

    for _ in range(30):  # an hour, in 2-minute steps
        for meter in meters:
            await hear(meter, 120.0)
    totals = {s.entity_id: s.state for s in hass.states.async_all("sensor")}
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert {e: state(hass, e) for e in totals} == totals  # restored
    now_s[0] += 3600.0 + 60.0
    for meter in (OmniPower(), WaterMeter(), HeatMeter()):
        await hear(meter, 16.0)
    assert "went down" not in caplog.text
    assert not [i for (domain, i) in issue_registry.issues if domain == DOMAIN]


async def test_a_reload_keeps_the_sensors_of_meters_heard_just_before(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    """A new port or link mode reloads the entry: the fields found a moment ago survive it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        unique_id=STICK_SERIAL,
        subentries_data=[meter_subentry(WATER_ID, WATER_KEY.hex().upper(), "Water")],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    runtime = entry.runtime_data.hub.meters[WATER_ID]
    emulator.send_telegram(WaterMeter().telegram(16.0))
    await wait_until(lambda: runtime.last_reading is not None, hass=hass)
    shown = state(hass, "sensor.water_volume")
    assert shown not in (None, "unavailable")
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, "sensor.water_volume") == shown
