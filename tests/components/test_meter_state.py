"""Restore after restart, availability window, and totals that never go down."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)

from custom_components.wmbus.const import CONF_UNAVAILABLE_AFTER_MIN
from tests.components.conftest import wait_for
from tools.im871a_emulator import Im871aEmulator

ENERGY = "sensor.house_meter_energy_imported"
POWER = "sensor.house_meter_power_imported"


async def test_values_are_restored_after_a_restart(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
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
    assert hass.states.get(ENERGY).state == "1.5"
    assert hass.states.get(POWER).state == "42"


async def test_meter_goes_unavailable_when_silent_and_comes_back(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    emulator.send_telegram(captures[0])
    await wait_for(hass, lambda: hass.states.get(ENERGY).state == "2.06")

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=14))
    await hass.async_block_till_done()
    assert hass.states.get(ENERGY).state == "2.06"

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=16))
    await hass.async_block_till_done()
    assert hass.states.get(ENERGY).state == STATE_UNAVAILABLE

    emulator.send_telegram(captures[1])
    await wait_for(hass, lambda: hass.states.get(ENERGY).state == "2.15")


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
    await wait_for(hass, lambda: hass.states.get(ENERGY).state == "2.06")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=3))
    await hass.async_block_till_done()
    assert hass.states.get(ENERGY).state == STATE_UNAVAILABLE


async def test_a_lower_total_is_ignored(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Replay order: the last capture (2.84 kWh) first, then an older one (2.15 kWh).
    emulator.send_telegram(captures[-1])
    await wait_for(hass, lambda: hass.states.get(ENERGY).state == "2.84")
    emulator.send_telegram(captures[1])
    await wait_for(hass, lambda: "lower than the previous" in caplog.text)
    assert hass.states.get(ENERGY).state == "2.84"
