"""The bridges between Home Assistant releases, and the check that no deprecated call is left."""

from __future__ import annotations

from typing import Any

from homeassistant.components import usb
from homeassistant.components.usb.models import USBDevice
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, frame
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus.const import CONF_PORT, DOMAIN
from custom_components.wmbus.ha_compat import device_of_entry
from tests.conftest import usage_reports

NEWEST_ONLY = pytest.mark.skipif(
    not hasattr(usb, "async_register_serial_port_scanner"),
    reason="serial port scanners exist from Home Assistant 2026.10",
)
# usb.SerialDevice and usb.async_register_serial_port_scanner exist from 2026.10 only, so mypy
# on older releases has no such names: the NEWEST_ONLY test reaches them through this handle.
usb_from_2026_10: Any = usb


async def test_a_deprecated_call_reported_by_home_assistant_is_caught(
    hass: HomeAssistant, caplog: pytest.LogCaptureFixture
) -> None:
    await async_get_integration(hass, DOMAIN)
    frame.report_usage("calls something deprecated", integration_domain=DOMAIN)
    reports = usage_reports(caplog.records)
    assert len(reports) == 1
    assert "custom integration 'wmbus' calls something deprecated" in reports[0]
    caplog.clear()  # the autouse check would fail this test otherwise


async def test_device_lookup_is_per_config_entry(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry
) -> None:
    ours = MockConfigEntry(domain=DOMAIN, unique_id="ours")
    other = MockConfigEntry(domain=DOMAIN, unique_id="other")
    ours.add_to_hass(hass)
    other.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=ours.entry_id, identifiers={(DOMAIN, "32666857")}
    )
    assert device_of_entry(device_registry, (DOMAIN, "32666857"), ours.entry_id) == device
    assert device_of_entry(device_registry, (DOMAIN, "32666857"), other.entry_id) is None
    assert device_of_entry(device_registry, (DOMAIN, "11111111"), ours.entry_id) is None


@NEWEST_ONLY
async def test_user_step_offers_ports_that_other_integrations_register(
    hass: HomeAssistant,
) -> None:
    proxy = usb_from_2026_10.SerialDevice(
        device="esphome-hass://esphome/garage-proxy?port_name=uart1",
        serial_number=None,
        manufacturer="ESPHome",
        description="Garage serial proxy",
    )
    stick = USBDevice(
        device="/dev/serial/by-id/usb-IMST_iM871A-if00",
        serial_number="00c0ffee",
        manufacturer="IMST",
        description="iM871A",
        vid="10C4",
        pid="87ED",
    )
    await async_setup_component(hass, "usb", {})
    remove = usb_from_2026_10.async_register_serial_port_scanner(hass, lambda _hass: [proxy, stick])
    try:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    finally:
        remove()
    assert result["data_schema"] is not None
    values = [
        option["value"] for option in result["data_schema"].schema[CONF_PORT].config["options"]
    ]
    labels = {
        option["value"]: option["label"]
        for option in result["data_schema"].schema[CONF_PORT].config["options"]
    }
    assert "Garage serial proxy" in labels[proxy.device]
    assert values[0] == stick.device  # a stable local path first, preselected
    assert result["data_schema"]({})[CONF_PORT] == stick.device
    assert values[-1] == proxy.device  # then local devices, then other integrations' ports
