"""Several receivers in one home: two emulated sticks and a UDP feed on one entry.

The same telegram heard by every receiver is decoded, counted and delivered once (to the
meter's sensors and to the reading listeners, which is what the ReCalc bridge is); each
receiver's RSSI is kept for the meter; a stick unplugged loses no reading while another
receiver hears the meter; receivers come and go live through their subentries.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
import socket
from types import MappingProxyType
from unittest.mock import patch

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryData,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.wmbus.const import (
    CONF_PORT,
    CONF_QUIET_AFTER_MIN,
    CONF_RADIO,
    DOMAIN,
    SUBENTRY_RECEIVER,
)
from custom_components.wmbus.diagnostics import async_get_config_entry_diagnostics
from custom_components.wmbus.gateway import COUNTERS_INTERVAL, Gateway
from custom_components.wmbus.ha_compat import device_of_entry
from custom_components.wmbus.issues import quiet_radio_issue_id
from custom_components.wmbus.signals import MeterReading
from tests.components.conftest import (
    METER_ID,
    STICK_SERIAL,
    entity_state,
    meter_subentry,
    state,
)
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator
from tools.emulators.iu891a import Iu891aEmulator
from tools.feed_sender import UdpSender, encode

pytestmark = pytest.mark.usefixtures("socket_enabled")

RSSI_SENSOR = "sensor.house_meter_signal_strength"
ENERGY_IMPORTED = "sensor.house_meter_energy_imported"
TELEGRAMS_SENSOR = "sensor.house_meter_telegrams"


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def receiver_subentry(kind: str, address: str, title: str) -> ConfigSubentryData:
    """Subentry data of a further receiver."""
    return ConfigSubentryData(
        data=MappingProxyType({CONF_RADIO: kind, CONF_PORT: address}),
        subentry_type=SUBENTRY_RECEIVER,
        title=title,
        unique_id=f"{kind}:{address}",
    )


@pytest.fixture
async def second_stick(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[Iu891aEmulator]:
    """An emulated iU891A in the cellar, hearing the meter weaker than the first stick."""
    async with Iu891aEmulator(tmp_path / "ttyIU891A", rssi_dbm=-85.0) as running:
        yield running


async def _home(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    emulator: Im871aEmulator,
    second_stick: Iu891aEmulator,
    udp_port: int,
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        unique_id=STICK_SERIAL,
        subentries_data=[
            meter_subentry(),
            receiver_subentry("iu891a", str(second_stick.link), "Cellar stick"),
            receiver_subentry("udp", f"127.0.0.1:{udp_port}", "ESP32 gateway"),
        ],
    )
    entry.add_to_hass(hass)
    # The meter's diagnostic sensors are off by default: turned on here to be looked at.
    for key, object_id in (("rssi", "signal_strength"), ("telegrams", "telegrams")):
        entity_registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{METER_ID}_{key}",
            suggested_object_id=f"house_meter_{object_id}",
            config_entry=entry,
        )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_every_reading_once_through_two_sticks_and_a_udp_feed(
    hass: HomeAssistant,
    emulator: Im871aEmulator,
    second_stick: Iu891aEmulator,
    captures: list[bytes],
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    udp_port = _free_udp_port()
    entry = await _home(hass, entity_registry, emulator, second_stick, udp_port)
    gateway: Gateway = entry.runtime_data.hub
    assert set(gateway.receivers) == {None, *gateway.receiver_subentries()}
    await wait_until(
        lambda: all(gateway.receiver_connected(k) for k in gateway.receivers), hass=hass
    )
    readings: list[MeterReading] = []
    entry.async_on_unload(gateway.add_reading_listener(readings.append))
    udp = UdpSender("127.0.0.1", udp_port)
    try:
        for index, telegram in enumerate(captures[:3]):
            emulator.send_telegram(telegram)
            second_stick.send_telegram(telegram)
            await udp.send(encode(telegram, "rtl_wmbus", rssi_dbm=-95.0))
            await wait_until(
                lambda n=index: gateway.outcomes["duplicate"] == 2 * (n + 1), hass=hass
            )
    finally:
        await udp.close()

    # Each telegram decoded, delivered and counted once; its copies only counted as such.
    assert len(readings) == 3
    assert gateway.outcomes["decoded"] == 3
    assert entity_state(hass, TELEGRAMS_SENSOR).state == "3"
    rssi = entity_state(hass, RSSI_SENSOR).attributes
    receivers = rssi["receivers"]
    assert len(receivers) == 3
    assert receivers[str(emulator.link)] == pytest.approx(-60, abs=1)
    assert receivers[str(second_stick.link)] == pytest.approx(-85, abs=1)
    assert [name for name in receivers if name == f"udp:{udp_port}/127.0.0.1"]
    assert rssi["best_receiver"] == str(emulator.link)

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert {r["radio"] for r in diagnostics["receivers"].values()} == {"iu891a", "udp"}
    assert diagnostics["duplicate_filter"]["duplicates"] == 6
    assert len(diagnostics["meters"][METER_ID]["last_reading"]["rssi_by_receiver"]) == 3

    # Each further receiver is a device of its own, with its connection and counter (written
    # at the counters' pace).
    async_fire_time_changed(hass, dt_util.utcnow() + COUNTERS_INTERVAL)
    await hass.async_block_till_done()
    for subentry_id, subentry in gateway.receiver_subentries().items():
        device = device_of_entry(
            device_registry, (DOMAIN, f"{STICK_SERIAL}_receiver_{subentry_id}"), entry.entry_id
        )
        assert device is not None
        assert device.name == subentry.title
        entities = er.async_entries_for_device(entity_registry, device.id)
        assert {e.translation_key for e in entities} == {"connected", "telegrams_received"}
        for registered in entities:
            assert entity_state(hass, registered.entity_id).state in {"on", "3"}


async def test_no_reading_is_lost_while_a_stick_is_unplugged(
    hass: HomeAssistant,
    emulator: Im871aEmulator,
    second_stick: Iu891aEmulator,
    captures: list[bytes],
    entity_registry: er.EntityRegistry,
) -> None:
    udp_port = _free_udp_port()
    entry = await _home(hass, entity_registry, emulator, second_stick, udp_port)
    gateway: Gateway = entry.runtime_data.hub
    await wait_until(
        lambda: all(gateway.receiver_connected(k) for k in gateway.receivers), hass=hass
    )
    readings: list[MeterReading] = []
    entry.async_on_unload(gateway.add_reading_listener(readings.append))
    unplugged = asyncio.create_task(emulator.unplug(1.0))
    await wait_until(lambda: not gateway.connected, hass=hass)
    for index, telegram in enumerate(captures[:4]):
        emulator.send_telegram(telegram)  # unplugged: heard by nobody
        second_stick.send_telegram(telegram)
        await wait_until(lambda n=index: len(readings) == n + 1, hass=hass)
    await unplugged
    await wait_until(lambda: gateway.connected, timeout_s=10, hass=hass)
    emulator.send_telegram(captures[4])
    second_stick.send_telegram(captures[4])
    await wait_until(lambda: gateway.outcomes["duplicate"] == 1, hass=hass)
    assert len(readings) == 5
    assert len({r.reading.access_number for r in readings}) == 5
    assert entity_state(hass, TELEGRAMS_SENSOR).state == "5"


async def test_a_receiver_comes_and_goes_live(
    hass: HomeAssistant,
    emulator: Im871aEmulator,
    second_stick: Iu891aEmulator,
    captures: list[bytes],
    entity_registry: er.EntityRegistry,
) -> None:
    udp_port = _free_udp_port()
    entry = await _home(hass, entity_registry, emulator, second_stick, udp_port)
    gateway: Gateway = entry.runtime_data.hub
    stick = gateway.stick
    udp_id = next(
        sid for sid, sub in gateway.receiver_subentries().items() if sub.data[CONF_RADIO] == "udp"
    )
    assert hass.config_entries.async_remove_subentry(entry, udp_id)
    await hass.async_block_till_done()
    assert udp_id not in gateway.receivers
    assert gateway.stick is stick  # the entry's own radio was not reopened

    other_port = _free_udp_port()
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=MappingProxyType({CONF_RADIO: "udp", CONF_PORT: f"127.0.0.1:{other_port}"}),
            subentry_type=SUBENTRY_RECEIVER,
            title="Attic ESP32",
            unique_id=f"udp:127.0.0.1:{other_port}",
        ),
    )
    await hass.async_block_till_done()
    new_id = next(
        sid
        for sid, sub in gateway.receiver_subentries().items()
        if sub.data[CONF_PORT] == f"127.0.0.1:{other_port}"
    )
    await wait_until(lambda: gateway.receiver_connected(new_id), hass=hass)
    readings: list[MeterReading] = []
    entry.async_on_unload(gateway.add_reading_listener(readings.append))
    udp = UdpSender("127.0.0.1", other_port)
    try:
        await udp.send(encode(captures[0], "hex"))
        await wait_until(lambda: len(readings) == 1, hass=hass)
    finally:
        await udp.close()
    assert gateway.stick is stick


def _no_ports() -> list[object]:
    return []


async def test_a_home_with_only_a_network_receiver_is_set_up_from_the_user_step(
    hass: HomeAssistant, captures: list[bytes]
) -> None:
    """``udp://:PORT`` in the port field: nothing probed, the entry listens there."""
    udp_port = _free_udp_port()
    with patch("serial.tools.list_ports.comports", _no_ports):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        bad = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PORT: "udp://:notaport"}
        )
        assert bad["type"] is FlowResultType.FORM
        assert bad["errors"] == {CONF_PORT: "invalid_network_address"}
        result = await hass.config_entries.flow.async_configure(
            bad["flow_id"], {CONF_PORT: f"udp://127.0.0.1:{udp_port}"}
        )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_RADIO: "udp", CONF_PORT: f"127.0.0.1:{udp_port}"}
    await hass.async_block_till_done()
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert entry.state is ConfigEntryState.LOADED
    meter = meter_subentry()
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=MappingProxyType(dict(meter["data"])),
            subentry_type=meter["subentry_type"],
            title=meter["title"],
            unique_id=meter["unique_id"],
        ),
    )
    await hass.async_block_till_done()
    gateway: Gateway = entry.runtime_data.hub
    await wait_until(lambda: gateway.connected, hass=hass)
    readings: list[MeterReading] = []
    entry.async_on_unload(gateway.add_reading_listener(readings.append))
    udp = UdpSender("127.0.0.1", udp_port)
    try:
        await udp.send(encode(captures[0], "esphome", rssi_dbm=-77.0))
        await wait_until(lambda: len(readings) == 1, hass=hass)
    finally:
        await udp.close()
    assert readings[0].rssi_dbm == -77.0


async def test_receivers_are_added_by_their_subentry_flow(
    hass: HomeAssistant, setup_entry: MockConfigEntry, second_stick: Iu891aEmulator
) -> None:
    """A stick is found by talking to it; a network address is checked; none twice."""

    async def add(port: str) -> SubentryFlowResult:
        with patch("serial.tools.list_ports.comports", _no_ports):
            result = await hass.config_entries.subentries.async_init(
                (setup_entry.entry_id, SUBENTRY_RECEIVER), context={"source": SOURCE_USER}
            )
            assert result["type"] is FlowResultType.FORM
            return await hass.config_entries.subentries.async_configure(
                result["flow_id"], {CONF_PORT: port}
            )

    result = await add(str(second_stick.link))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_RADIO: "iu891a", CONF_PORT: str(second_stick.link)}
    udp_port = _free_udp_port()
    result = await add(f"udp://:{udp_port}")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_RADIO: "udp", CONF_PORT: f"0.0.0.0:{udp_port}"}
    await hass.async_block_till_done()
    gateway: Gateway = setup_entry.runtime_data.hub
    assert len(gateway.receivers) == 3
    assert (await add(f"udp://0.0.0.0:{udp_port}"))["reason"] == "already_configured"
    # TCP on the UDP receiver's port number is another receiver (the add-on's 9011/9022 pair).
    result = await add(f"tcp://:{udp_port}")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    again = await add(str(setup_entry.data[CONF_PORT]))
    assert again["reason"] == "already_configured"
    for address, error in (
        ("mqtt://wmbus/#/x", "invalid_network_address"),
        ("mqtt://rtl_433/+/events", "mqtt_not_loaded"),
        ("tcp://:70000", "invalid_network_address"),
    ):
        result = await add(address)
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_PORT: error}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("0.0.0.0", 0))
        result = await add(f"udp://:{taken.getsockname()[1]}")
    assert result["errors"] == {CONF_PORT: "cannot_listen"}
    assert len(setup_entry.subentries) == 4  # the meter and the three receivers


async def test_a_quiet_network_receiver_gets_its_own_repair(
    hass: HomeAssistant,
    emulator: Im871aEmulator,
    captures: list[bytes],
    issue_registry: ir.IssueRegistry,
) -> None:
    """Nothing to restart on the network: the repair names the receiver and goes by itself."""
    udp_port = _free_udp_port()
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        unique_id=STICK_SERIAL,
        options={CONF_QUIET_AFTER_MIN: 0.01},  # 0.6 s
        subentries_data=[
            meter_subentry(),
            receiver_subentry("udp", f"127.0.0.1:{udp_port}", "ESP32 gateway"),
        ],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    gateway: Gateway = entry.runtime_data.hub
    (receiver_id,) = gateway.receiver_subentries()
    issue_id = quiet_radio_issue_id(f"{entry.entry_id}_{receiver_id}")
    udp = UdpSender("127.0.0.1", udp_port)
    try:
        await udp.send(encode(captures[0], "hex"))
        await wait_until(
            lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None, hass=hass
        )
        issue = issue_registry.async_get_issue(DOMAIN, issue_id)
        assert issue is not None
        assert issue.translation_key == "network_receiver_quiet"
        assert issue.translation_placeholders == {
            "port": f"127.0.0.1:{udp_port}",
            "model": gateway.receivers[receiver_id].kind.title,
            "minutes": "0",  # 0.6 s, rounded to minutes
        }
        # The entry's own stick never heard anything: no repair for it.
        assert issue_registry.async_get_issue(DOMAIN, quiet_radio_issue_id(entry.entry_id)) is None
        await udp.send(encode(captures[1], "hex"))
        await wait_until(
            lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is None, hass=hass
        )
    finally:
        await udp.close()


async def test_an_existing_single_stick_entry_loads_unchanged(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
    device_registry: dr.DeviceRegistry,
) -> None:
    """No receiver subentry: one radio, the same devices and entity ids as before."""
    gateway: Gateway = setup_entry.runtime_data.hub
    assert set(gateway.receivers) == {None}
    assert gateway.receivers[None].radio is gateway.stick
    assert not gateway.receiver_subentries()
    devices = dr.async_entries_for_config_entry(device_registry, setup_entry.entry_id)
    assert {next(iter(d.identifiers))[1] for d in devices} == {STICK_SERIAL, METER_ID}
    emulator.send_telegram(captures[0])
    await wait_until(lambda: state(hass, ENERGY_IMPORTED) == "2.06", hass=hass)
    assert gateway.meters[METER_ID].rssi_by_receiver == {str(emulator.link): -60.0}
