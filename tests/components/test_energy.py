"""The energy sensors pass Home Assistant's own Energy dashboard validation."""

from __future__ import annotations

from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.energy.validate import async_validate
from homeassistant.components.recorder.core import Recorder
from homeassistant.components.recorder.statistics import async_list_statistic_ids
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from tests.components.conftest import state
from tests.components.energy_sources import grid_source
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator

IMPORTED = "sensor.house_meter_energy_imported"
EXPORTED = "sensor.house_meter_energy_exported"


async def test_energy_validation_finds_no_issue_and_totals_are_summable(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    assert await async_setup_component(hass, "energy", {})
    emulator.send_telegram(captures[4])
    await wait_until(lambda: state(hass, IMPORTED) == "2.15", hass=hass)
    await async_wait_recording_done(hass)
    # Compile the current 5-minute period now instead of waiting for the recorder's timer.
    now = dt_util.utcnow()
    do_adhoc_statistics(
        hass, start=now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    )
    await async_wait_recording_done(hass)

    manager = await async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [grid_source(IMPORTED, EXPORTED)],
            # EnergyPreferencesUpdate inherits this key as required (a total=False subclass
            # does not make inherited keys optional): no devices, as on a fresh install.
            "device_consumption": [],
        }
    )
    validation = await async_validate(hass)
    assert validation.as_dict()["energy_sources"] == [[]]

    statistics = await async_list_statistic_ids(hass, {IMPORTED, EXPORTED})
    assert {s["statistic_id"]: s["has_sum"] for s in statistics} == {
        IMPORTED: True,
        EXPORTED: True,
    }
    assert all(s["statistics_unit_of_measurement"] == "kWh" for s in statistics)
