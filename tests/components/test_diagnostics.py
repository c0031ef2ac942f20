"""Diagnostics carry what a maintainer needs and never an AES key."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus.const import (
    CONF_AES_KEY,
    CONF_METER_ID,
    CONF_ORIGIN,
    DOMAIN,
    ORIGIN_USER,
    SUBENTRY_METER,
)
from custom_components.wmbus.diagnostics import (
    async_get_config_entry_diagnostics,
    async_get_device_diagnostics,
)
from custom_components.wmbus.ha_compat import device_of_entry
from tests.components.conftest import METER_ID, METER_KEY, state
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator


def _assert_no_key(diagnostics: dict[str, Any]) -> None:
    text = json.dumps(diagnostics, default=str).lower()
    assert METER_KEY.lower() not in text
    # Not even split up: no 8-digit run of the key appears anywhere.
    assert not any(METER_KEY.lower()[i : i + 8] in text for i in range(0, 25, 4))


async def test_entry_diagnostics_redact_keys(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    emulator.send_telegram(captures[4])
    await wait_until(
        lambda: setup_entry.runtime_data.hub.meters[METER_ID].last_reading is not None, hass=hass
    )
    diagnostics = await async_get_config_entry_diagnostics(hass, setup_entry)
    _assert_no_key(diagnostics)
    assert diagnostics["entry"]["subentries"][0]["data"]["aes_key"] == "**REDACTED**"
    assert diagnostics["stick"]["device_info"]["model"] == "iM871A"
    assert (
        diagnostics["meters"][METER_ID]["last_reading"]["values"]["total_energy_consumption_kwh"]
        == 2.15
    )
    assert diagnostics["heard"][0]["id"] == METER_ID


async def test_device_diagnostics_redact_keys(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
    device_registry: dr.DeviceRegistry,
) -> None:
    emulator.send_telegram(captures[4])
    await wait_until(
        lambda: setup_entry.runtime_data.hub.meters[METER_ID].last_reading is not None, hass=hass
    )
    device = device_of_entry(device_registry, (DOMAIN, METER_ID), setup_entry.entry_id)
    assert device is not None
    diagnostics = await async_get_device_diagnostics(hass, setup_entry, device)
    _assert_no_key(diagnostics)
    assert diagnostics["meter_id"] == METER_ID
    assert diagnostics["last_reading"]["frame"] == "long"
    assert device.manufacturer == "Kamstrup"
    assert device.serial_number == METER_ID


async def test_meter_device_hangs_off_the_stick(
    hass: HomeAssistant, setup_entry: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    stick = device_of_entry(device_registry, (DOMAIN, setup_entry.unique_id), setup_entry.entry_id)
    meter = device_of_entry(device_registry, (DOMAIN, METER_ID), setup_entry.entry_id)
    assert stick is not None
    assert stick.manufacturer == "IMST"
    assert stick.sw_version == "0x15"
    assert meter is not None
    assert meter.via_device_id == stick.id
    assert meter.name == "House meter"


async def test_meter_device_hangs_off_the_stick_without_the_deprecated_via_device(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
    device_registry: dr.DeviceRegistry,
) -> None:
    """DeviceInfo's via_device is deprecated from 2026.8: the link is set by device id."""
    emulator.send_telegram(captures[4])
    await wait_until(lambda: state(hass, "sensor.house_meter_energy_imported") == "2.15", hass=hass)
    entity = hass.data["sensor"].get_entity("sensor.house_meter_energy_imported")
    assert "via_device" not in entity.device_info
    # A meter added while the entry runs is linked too.
    hass.config_entries.async_add_subentry(
        setup_entry,
        ConfigSubentry(
            data=MappingProxyType(
                {CONF_METER_ID: "11111111", CONF_AES_KEY: METER_KEY, CONF_ORIGIN: ORIGIN_USER}
            ),
            subentry_type=SUBENTRY_METER,
            title="Garage meter",
            unique_id="11111111",
        ),
    )
    await hass.async_block_till_done()
    stick = device_of_entry(device_registry, (DOMAIN, setup_entry.unique_id), setup_entry.entry_id)
    garage = device_of_entry(device_registry, (DOMAIN, "11111111"), setup_entry.entry_id)
    assert stick is not None
    assert garage is not None
    assert garage.via_device_id == stick.id
    assert garage.name == "Garage meter"
    assert garage.serial_number == "11111111"
    # Its diagnostic sensors are there at once; its values come with its first telegram.
    assert er.async_get(hass).async_get_entity_id("sensor", DOMAIN, "11111111_rssi")
