"""The integration is found and loaded by Home Assistant's loader."""

from pathlib import Path
import sys
from typing import Any

from homeassistant import components as ha_components
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.loader import async_get_integration
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus import field_store
from custom_components.wmbus.const import CONF_PORT, DOMAIN
from custom_components.wmbus.ha_compat import device_of_entry
from custom_components.wmbus.issues import stick_issue_id
from tests.components.conftest import state
from tests.conftest import omnipower_captures
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator

ENERGY = "sensor.house_meter_energy_imported"
CONNECTED = "binary_sensor.im871a_connected"


async def test_integration_is_discovered(hass: HomeAssistant) -> None:
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.name == "Wireless M-Bus"
    assert integration.config_flow is True
    assert integration.dependencies == ["file_upload", "usb"]
    assert integration.after_dependencies == ["mqtt"]
    assert integration.iot_class == "local_push"


async def test_absent_stick_retries_setup(hass: HomeAssistant, tmp_path: Path) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_PORT: str(tmp_path / "no-stick")}, unique_id="absent"
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY


def _state_of(entry: ConfigEntry[Any]) -> ConfigEntryState:
    """The entry's state, read afresh: mypy keeps ``entry.state`` narrowed across awaits."""
    return entry.state


async def test_unload_leaves_nothing_running(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    gateway = setup_entry.runtime_data.hub
    emulator.send_telegram(bytes.fromhex(omnipower_captures()[4]["telegram_hex"]))
    await wait_until(lambda: state(hass, "sensor.house_meter_energy_imported") == "2.15", hass=hass)
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert setup_entry.state is ConfigEntryState.NOT_LOADED
    assert gateway.stick.state == "closed"
    assert all(meter.expiry is None for meter in gateway.meters.values())
    assert state(hass, "sensor.house_meter_energy_imported") == STATE_UNAVAILABLE
    # Loading again works on the same port: the first instance let go of it.
    assert await hass.config_entries.async_setup(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert _state_of(setup_entry) is ConfigEntryState.LOADED


async def test_a_stick_without_recalc_loads_where_mqtt_cannot_be_imported(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Home Assistant installs MQTT's client library (paho-mqtt) only when an MQTT entry is set
    # up; before that its mqtt package cannot be imported (seen on 2026.11.0 black box).
    monkeypatch.delattr(ha_components, "mqtt", raising=False)
    monkeypatch.setitem(sys.modules, "homeassistant.components.mqtt", None)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert _state_of(config_entry) is ConfigEntryState.LOADED
    emulator.send_telegram(captures[0])
    await wait_until(lambda: state(hass, ENERGY) == "2.06", hass=hass)


async def test_unplug_and_replug_resumes_values(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    emulator.send_telegram(captures[0])
    await wait_until(lambda: state(hass, ENERGY) == "2.06", hass=hass)
    await emulator.unplug(1.0)
    await wait_until(lambda: state(hass, CONNECTED) == "off", hass=hass)
    await wait_until(lambda: state(hass, CONNECTED) == "on", hass=hass)
    emulator.send_telegram(captures[1])
    await wait_until(lambda: state(hass, ENERGY) == "2.15", hass=hass)
    assert setup_entry.state is ConfigEntryState.LOADED


async def test_removing_a_meter_removes_its_entities_live(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    gateway = setup_entry.runtime_data.hub
    subentry_id = next(iter(setup_entry.subentries))
    assert device_of_entry(device_registry, (DOMAIN, "32666857"), setup_entry.entry_id) is not None
    hass.config_entries.async_remove_subentry(setup_entry, subentry_id)
    await hass.async_block_till_done()
    assert hass.states.get(ENERGY) is None
    assert entity_registry.async_get(ENERGY) is None
    assert device_of_entry(device_registry, (DOMAIN, "32666857"), setup_entry.entry_id) is None
    assert "32666857" not in gateway.decoder
    assert gateway.stick.state == "connected"  # not reopened


async def test_removing_the_stick_leaves_no_repair_behind(
    hass: HomeAssistant, setup_entry: MockConfigEntry, issue_registry: ir.IssueRegistry
) -> None:
    issue_id = stick_issue_id(setup_entry.entry_id)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="stick_disconnected",
        translation_placeholders={"port": "x"},
    )
    await hass.config_entries.async_remove(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_removing_the_stick_removes_the_meters_fields(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(field_store, "FIELDS_SAVE_DELAY_S", 0)
    key = f"{DOMAIN}.meter_fields.{setup_entry.entry_id}"
    emulator.send_telegram(bytes.fromhex(omnipower_captures()[4]["telegram_hex"]))
    await wait_until(lambda: state(hass, "sensor.house_meter_energy_imported") == "2.15", hass=hass)
    await wait_until(lambda: key in hass_storage, hass=hass)
    assert hass_storage[key]["data"]["32666857"]["profile"] == "omnipower"
    assert hass_storage[key]["data"]["32666857"]["fixed"] == [
        "energy_exported",
        "energy_imported",
        "power_exported",
        "power_imported",
    ]
    await hass.config_entries.async_remove(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage
