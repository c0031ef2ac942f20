"""An RTL-SDR behind rtl_tcp in Home Assistant: typed in the flow, then a receiver as any."""

from __future__ import annotations

from collections.abc import AsyncIterator
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USB, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service_info.usb import UsbServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus.const import CONF_LINK_MODE, CONF_PORT, CONF_RADIO, DOMAIN
from tests.components.conftest import meter_subentry, state
from tests.helpers import wait_until
from tools.rtl_tcp_emulator import RtlTcpEmulator, SynthesisedAir

ENERGY = "sensor.house_meter_energy_imported"

pytestmark = pytest.mark.usefixtures("socket_enabled")


def _no_ports() -> list[object]:
    return []


@pytest.fixture
async def rtl_tcp_server(
    hass: HomeAssistant, captures: list[bytes]
) -> AsyncIterator[RtlTcpEmulator]:
    """An rtl_tcp server whose air carries OmniPower 32666857's first capture every 0.3 s."""
    air = SynthesisedAir(telegrams=captures[:1], interval_s=0.3, first_after_s=0.1)
    async with RtlTcpEmulator(air) as server:
        yield server


async def _user_flow(hass: HomeAssistant, port: str) -> dict[str, object]:
    with patch("serial.tools.list_ports.comports", _no_ports):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PORT: port}
        )
    return dict(result)


async def test_an_rtl_tcp_address_typed_in_the_flow(
    hass: HomeAssistant, rtl_tcp_server: RtlTcpEmulator
) -> None:
    result = await _user_flow(hass, rtl_tcp_server.address)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "RTL2832U SDR (R820T) via rtl_tcp"
    assert result["data"] == {CONF_PORT: rtl_tcp_server.address, CONF_RADIO: "rtl_tcp"}


async def test_a_server_that_is_not_rtl_tcp_is_named_as_such(hass: HomeAssistant) -> None:
    async with RtlTcpEmulator(SynthesisedAir(), header=b"SSH-2.0-Open") as server:
        result = await _user_flow(hass, server.address)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "not_rtl_tcp"}
    assert "SSH-" in str(result["description_placeholders"])


async def test_a_malformed_address_and_a_closed_port(hass: HomeAssistant) -> None:
    result = await _user_flow(hass, "rtl_tcp://host:99999")
    assert result["errors"] == {"base": "invalid_address"}
    async with RtlTcpEmulator(SynthesisedAir()) as server:
        address = server.address
    result = await _user_flow(hass, address)
    assert result["errors"] == {"base": "cannot_connect"}


async def test_an_rtl_tcp_receiver_reads_the_omnipower(
    hass: HomeAssistant, rtl_tcp_server: RtlTcpEmulator
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="RTL-SDR",
        data={CONF_PORT: rtl_tcp_server.address, CONF_RADIO: "rtl_tcp"},
        subentries_data=[meter_subentry()],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_until(lambda: state(hass, ENERGY) == "2.06", timeout_s=15, hass=hass)
    device = next(
        d
        for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if d.manufacturer == "Realtek"
    )
    assert device.model == "RTL2832U SDR (R820T) via rtl_tcp"
    gateway = entry.runtime_data.hub
    assert gateway.stick.counters["frames_received"] >= 1
    (heard,) = gateway.heard.values()  # the heard list, with the SDR's level as its RSSI
    assert heard.rssi_dbm is not None
    assert heard.rssi_dbm < 0
    # The options offer what the SDR can do: C1 and T1 at once, nothing else.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    (link_mode,) = (key for key in schema if key == CONF_LINK_MODE)
    assert schema[link_mode].config["options"] == ["c1t1"]
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_an_rtl_sdr_plugged_in_is_offered(hass: HomeAssistant) -> None:
    discovery = UsbServiceInfo(
        device="/dev/bus/usb/001/004",
        vid="0BDA",
        pid="2838",
        serial_number="00000001",
        manufacturer="Realtek",
        description="RTL2838UHIDIR",
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=discovery
    )
    assert result["step_id"] == "usb_confirm"
    assert result["description_placeholders"] is not None
    assert result["description_placeholders"]["port"] == "rtlsdr://serial=00000001"
