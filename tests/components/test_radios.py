"""Every radio behind the same integration: found by talking to it, shown as itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USB, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.service_info.usb import UsbServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus.const import (
    CONF_LINK_MODE,
    CONF_PORT,
    CONF_QUIET_AFTER_MIN,
    CONF_RADIO,
    DOMAIN,
)
from custom_components.wmbus.issues import quiet_radio_issue_id
from custom_components.wmbus.protocol.radios import detect_radio, radio_kind
from tests.components.conftest import meter_subentry, state
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator
from tools.emulators.iu891a import Iu891aEmulator

ENERGY = "sensor.house_meter_energy_imported"


def _no_ports() -> list[object]:
    return []


@pytest.fixture
async def iu891a(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[Iu891aEmulator]:
    """An emulated iU891A-XL that streams from power-up, as the real one does."""
    async with Iu891aEmulator(tmp_path / "ttyACM0", rssi_dbm=-64.0) as running:
        yield running


async def test_an_iu891a_is_found_without_naming_it(
    hass: HomeAssistant, iu891a: Iu891aEmulator
) -> None:
    with patch("serial.tools.list_ports.comports", _no_ports):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PORT: str(iu891a.link)}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "iU891A-XL"
    assert result["data"] == {CONF_PORT: str(iu891a.link), CONF_RADIO: "iu891a"}


async def test_an_iu891a_reads_a_meter_and_shows_who_it_is(
    hass: HomeAssistant, iu891a: Iu891aEmulator, captures: list[bytes]
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="iU891A-XL",
        data={CONF_PORT: str(iu891a.link), CONF_RADIO: "iu891a"},
        subentries_data=[meter_subentry()],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    iu891a.send_telegram(captures[0])
    await wait_until(lambda: state(hass, ENERGY) == "2.06", hass=hass)
    device = next(
        d
        for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if d.model == "iU891A-XL"
    )
    assert (device.manufacturer, device.model) == ("IMST", "iU891A-XL")
    assert device.sw_version
    gateway = entry.runtime_data.hub
    assert gateway.stick.counters["frames_received"] >= 1


@pytest.mark.parametrize("radio", ["im871a", "iu891a"])
async def test_options_offer_only_the_link_modes_the_radio_can_set(
    hass: HomeAssistant, tmp_path: Path, radio: str
) -> None:
    emulator_type = Im871aEmulator if radio == "im871a" else Iu891aEmulator
    async with emulator_type(tmp_path / radio) as emulator:
        entry = MockConfigEntry(
            domain=DOMAIN, data={CONF_PORT: str(emulator.link), CONF_RADIO: radio}
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        result = await hass.config_entries.options.async_init(entry.entry_id)
        schema = result["data_schema"]
        assert schema is not None
        selector = schema.schema[CONF_LINK_MODE]
        kind = radio_kind(radio)
        assert selector.config["options"] == [str(mode) for mode in kind.link_modes]
        await hass.config_entries.async_unload(entry.entry_id)


async def test_an_entry_from_before_there_were_other_radios_is_an_im871a(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    """Nothing to do for the user on update: the entry has no radio and needs none."""
    assert CONF_RADIO not in setup_entry.data
    assert setup_entry.runtime_data.hub.radio_kind.name == "im871a"
    assert setup_entry.runtime_data.hub.link_mode == "c1a"
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), setup_entry.entry_id)
    assert any((d.manufacturer, d.model) == ("IMST", "iM871A") for d in devices)


async def test_a_quiet_radio_is_restarted_then_repaired_and_the_repair_goes_by_itself(
    hass: HomeAssistant, emulator: Im871aEmulator, captures: list[bytes]
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_PORT: str(emulator.link)},
        options={CONF_QUIET_AFTER_MIN: 0.01},  # 0.6 s, so the test need not wait 30 minutes
        subentries_data=[meter_subentry()],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    emulator.send_telegram(captures[0])
    await wait_until(lambda: state(hass, ENERGY) == "2.06", hass=hass)
    issues = ir.async_get(hass)
    issue_id = quiet_radio_issue_id(entry.entry_id)
    await wait_until(lambda: issues.async_get_issue(DOMAIN, issue_id) is not None, 10.0, hass=hass)
    assert entry.runtime_data.hub.stick.counters["restarts"] == 1
    emulator.send_telegram(captures[1])
    await wait_until(lambda: issues.async_get_issue(DOMAIN, issue_id) is None, hass=hass)
    assert state(hass, ENERGY) == "2.15"


async def test_a_plugged_in_iu891a_is_offered_and_probed_as_one(
    hass: HomeAssistant, iu891a: Iu891aEmulator
) -> None:
    discovery = UsbServiceInfo(
        device=str(iu891a.link),
        vid="04B4",
        pid="0003",
        serial_number="IMS2899",
        manufacturer="IMST",
        description="iU891A",
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=discovery
    )
    assert result["step_id"] == "usb_confirm"
    asked_first: list[object] = []

    async def detect(port: str, *, first: list[str]) -> object:
        asked_first.append(first)
        return await detect_radio(port, first=first)

    with patch("custom_components.wmbus.config_flow.detect_radio", detect):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_RADIO] == "iu891a"
    # Probed first as what its USB ids and strings say it is.
    assert asked_first == [["iu891a"]]
