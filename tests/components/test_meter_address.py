"""Meters keyed by their whole address: a neighbour's meter sharing the 8 digits is another meter.

The neighbour's telegrams are the user's meter's telegrams with another manufacturer and device
type in the link header, sent through the emulator on a pty as a real one would be heard.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus.const import (
    CONF_AES_KEY,
    CONF_DEVICE_TYPE,
    CONF_MANUFACTURER,
    CONF_METER_ID,
    CONF_NAME,
    CONF_ORIGIN,
    CONF_PORT,
    CONF_VERSION,
    DOMAIN,
    ORIGIN_USER,
    SUBENTRY_METER,
)
from custom_components.wmbus.gateway import Gateway
from custom_components.wmbus.ha_compat import device_of_entry
from custom_components.wmbus.issues import wrong_key_issue_id
from custom_components.wmbus.protocol.frame import MeterAddress
from tests.components.conftest import METER_ID, METER_KEY, STICK_SERIAL, state
from tests.conftest import (
    CONVERTED_METER_ID,
    CONVERTED_METER_KEY,
    RADIO_MODULE_ID,
    corpus_vectors,
    radio_converter_telegram,
)
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator

OMNIPOWER = MeterAddress("KAM", METER_ID, 0x30, 0x02)
NEIGHBOUR = replace(OMNIPOWER, manufacturer="ZRI", device_type=0x07)
"""A Zenner water meter that happens to carry the OmniPower's digits."""
IPERL = MeterAddress("SEN", "12345699", 0x68, 0x07)
IPERL_NEIGHBOUR = replace(IPERL, manufacturer="APA", device_type=0x16)
ENERGY_IMPORTED = "sensor.house_meter_energy_imported"


def sent_by(address: MeterAddress, telegram: bytes) -> bytes:
    """``telegram`` as the meter at ``address`` would send it (its link header's address)."""
    return telegram[:2] + address.wire + telegram[10:]


def _iperl_telegram() -> bytes:
    vector = next(v for v in corpus_vectors() if v["id"] == "iperl-01")
    return bytes.fromhex(vector["telegram_hex"])


def _subentry(address: MeterAddress, key: str, *, bound: bool) -> ConfigSubentry:
    data: dict[str, Any] = {CONF_METER_ID: address.meter_id, CONF_AES_KEY: key}
    data[CONF_ORIGIN] = ORIGIN_USER
    if bound:
        data |= {
            CONF_MANUFACTURER: address.manufacturer,
            CONF_VERSION: address.version,
            CONF_DEVICE_TYPE: address.device_type,
        }
    return ConfigSubentry(
        data=MappingProxyType(data),
        subentry_type=SUBENTRY_METER,
        title="House meter",
        unique_id=address.meter_id,
    )


async def _stick(hass: HomeAssistant, emulator: Im871aEmulator) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN, title="iM871A", data={CONF_PORT: str(emulator.link)}, unique_id=STICK_SERIAL
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def _add(hass: HomeAssistant, entry: MockConfigEntry, subentry: ConfigSubentry) -> None:
    hass.config_entries.async_add_subentry(entry, subentry)
    await hass.async_block_till_done()


def _meter_states(
    hass: HomeAssistant, entry: MockConfigEntry, meter_id: str
) -> dict[str, str | None]:
    """The meter's entities and their states, by unique id."""
    return {
        entity.unique_id: state(hass, entity.entity_id)
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if entity.unique_id.startswith(f"{meter_id}_")
    }


def _outcomes(gateway: Gateway) -> int:
    return sum(gateway.outcomes.values())


async def test_a_bound_meters_key_is_never_tried_on_a_neighbour_with_its_digits(
    hass: HomeAssistant,
    emulator: Im871aEmulator,
    captures: list[bytes],
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = await _stick(hass, emulator)
    await _add(hass, entry, _subentry(OMNIPOWER, METER_KEY, bound=True))
    gateway: Gateway = entry.runtime_data.hub
    for telegram in captures[:4]:
        emulator.send_telegram(sent_by(NEIGHBOUR, telegram))
    await wait_until(lambda: _outcomes(gateway) == 4, hass=hass)
    # Not "a wrong key" four times: a meter without a key, listed as heard.
    assert gateway.outcomes == {"no_key": 4}
    assert gateway.decoder.failures(OMNIPOWER) == 0
    assert (
        issue_registry.async_get_issue(DOMAIN, wrong_key_issue_id(entry.entry_id, METER_ID)) is None
    )
    assert gateway.meters[METER_ID].last_reading is None
    assert gateway.heard[NEIGHBOUR].telegrams == 4

    emulator.send_telegram(captures[4])
    await wait_until(lambda: state(hass, ENERGY_IMPORTED) == "2.15", hass=hass)
    assert set(gateway.heard) == {NEIGHBOUR, OMNIPOWER}
    last = gateway.meters[METER_ID].last_reading
    assert last is not None
    assert last.reading.address == OMNIPOWER


async def test_a_neighbour_sending_in_clear_never_reaches_the_meters_entities(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    entry = await _stick(hass, emulator)
    await _add(hass, entry, _subentry(IPERL, "", bound=True))
    gateway: Gateway = entry.runtime_data.hub
    shown = _meter_states(hass, entry, IPERL.meter_id)
    emulator.send_telegram(sent_by(IPERL_NEIGHBOUR, _iperl_telegram()))
    await wait_until(lambda: IPERL_NEIGHBOUR in gateway.heard, hass=hass)
    # It would decode (no key needed), but it is not the configured meter.
    assert gateway.outcomes == {"no_key": 1}
    assert gateway.meters[IPERL.meter_id].last_reading is None
    assert _meter_states(hass, entry, IPERL.meter_id) == shown

    emulator.send_telegram(_iperl_telegram())
    await wait_until(lambda: gateway.meters[IPERL.meter_id].last_reading is not None, hass=hass)
    last = gateway.meters[IPERL.meter_id].last_reading
    assert last is not None
    assert last.reading.address == IPERL
    await wait_until(lambda: _meter_states(hass, entry, IPERL.meter_id) != shown, hass=hass)


async def test_an_unbound_meter_binds_to_the_address_its_key_decodes(
    hass: HomeAssistant,
    emulator: Im871aEmulator,
    captures: list[bytes],
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = await _stick(hass, emulator)
    gateway: Gateway = entry.runtime_data.hub
    # Both meters heard before the user types the digits (or ReCalc sends them).
    emulator.send_telegram(captures[0])
    emulator.send_telegram(sent_by(NEIGHBOUR, captures[0]))
    await wait_until(lambda: len(gateway.heard) == 2, hass=hass)
    await _add(hass, entry, _subentry(OMNIPOWER, METER_KEY, bound=False))
    (subentry,) = entry.subentries.values()
    assert CONF_MANUFACTURER not in subentry.data

    before = _outcomes(gateway)
    for telegram in captures[1:5]:
        emulator.send_telegram(sent_by(NEIGHBOUR, telegram))
    await wait_until(lambda: _outcomes(gateway) == before + 4, hass=hass)
    # The key failed on the neighbour only: the user's meter has not been tried yet.
    assert gateway.outcomes["payload_crc_mismatch"] + gateway.outcomes["wrong_key"] == 4
    issue_id = wrong_key_issue_id(entry.entry_id, METER_ID)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    emulator.send_telegram(captures[5])
    await wait_until(
        lambda: CONF_MANUFACTURER in entry.subentries[subentry.subentry_id].data, hass=hass
    )
    assert dict(entry.subentries[subentry.subentry_id].data) == {
        CONF_METER_ID: METER_ID,
        CONF_AES_KEY: METER_KEY,
        CONF_ORIGIN: ORIGIN_USER,
        CONF_MANUFACTURER: "KAM",
        CONF_VERSION: 0x30,
        CONF_DEVICE_TYPE: 0x02,
    }
    assert gateway.meters[METER_ID].address == OMNIPOWER
    assert OMNIPOWER in gateway.decoder
    assert NEIGHBOUR not in gateway.decoder  # the key now belongs to one address

    # Bound: the neighbour is a meter without a key, and a repeat of the binding telegram is
    # still a duplicate (the fresh per-address state was primed with it).
    before = _outcomes(gateway)
    emulator.send_telegram(sent_by(NEIGHBOUR, captures[6]))
    emulator.send_telegram(captures[5])
    await wait_until(lambda: _outcomes(gateway) == before + 2, hass=hass)
    assert gateway.outcomes["duplicate"] == 1
    assert gateway.outcomes["no_key"] == 1 + 2  # before configuring: both meters, once each


async def test_an_unbound_key_that_fits_no_meter_heard_with_its_digits_is_reported(
    hass: HomeAssistant,
    emulator: Im871aEmulator,
    captures: list[bytes],
    issue_registry: ir.IssueRegistry,
) -> None:
    entry = await _stick(hass, emulator)
    await _add(hass, entry, _subentry(OMNIPOWER, "00112233445566778899AABBCCDDEEFF", bound=False))
    gateway: Gateway = entry.runtime_data.hub
    for telegram in captures[:3]:
        emulator.send_telegram(telegram)
    issue_id = wrong_key_issue_id(entry.entry_id, METER_ID)
    await wait_until(
        lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None, hass=hass
    )
    assert gateway.meters[METER_ID].address is None


async def test_binding_an_upgraded_meter_keeps_its_entities_and_device(
    hass: HomeAssistant,
    emulator: Im871aEmulator,
    captures: list[bytes],
    hass_storage: dict[str, Any],
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        unique_id=STICK_SERIAL,
        subentries_data=[
            {
                "data": {
                    CONF_METER_ID: METER_ID,
                    CONF_AES_KEY: METER_KEY,
                    CONF_ORIGIN: ORIGIN_USER,
                },
                "subentry_type": SUBENTRY_METER,
                "title": "House meter",
                "unique_id": METER_ID,
            }
        ],
    )
    # What a version keyed by the digits left behind: the meter's sensors, from its fields.
    hass_storage[f"{DOMAIN}.meter_fields.{entry.entry_id}"] = {
        "version": 1,
        "key": f"{DOMAIN}.meter_fields.{entry.entry_id}",
        "data": {
            METER_ID: {
                "profile": "omnipower",
                "manufacturer": "KAM",
                "fixed": ["energy_imported"],
                "fields": [],
            }
        },
    }
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    unique_id = f"{METER_ID}_energy_imported"
    assert entities.async_get_entity_id("sensor", DOMAIN, unique_id) == ENERGY_IMPORTED
    device = device_of_entry(devices, (DOMAIN, METER_ID), entry.entry_id)
    assert device is not None
    before = {
        e.unique_id: e.entity_id
        for e in er.async_entries_for_config_entry(entities, entry.entry_id)
    }

    emulator.send_telegram(captures[4])
    await wait_until(lambda: state(hass, ENERGY_IMPORTED) == "2.15", hass=hass)
    (subentry,) = entry.subentries.values()
    await wait_until(
        lambda: CONF_MANUFACTURER in entry.subentries[subentry.subentry_id].data, hass=hass
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    after = {
        e.unique_id: e.entity_id
        for e in er.async_entries_for_config_entry(entities, entry.entry_id)
    }
    assert {uid: after[uid] for uid in before} == before
    assert entities.async_get_entity_id("sensor", DOMAIN, unique_id) == ENERGY_IMPORTED
    bound_device = device_of_entry(devices, (DOMAIN, METER_ID), entry.entry_id)
    assert bound_device is not None
    assert bound_device.id == device.id
    assert entry.runtime_data.hub.meters[METER_ID].address == OMNIPOWER


async def test_two_heard_meters_with_the_same_digits_are_two_rows(
    hass: HomeAssistant, emulator: Im871aEmulator, captures: list[bytes]
) -> None:
    entry = await _stick(hass, emulator)
    gateway: Gateway = entry.runtime_data.hub
    emulator.send_telegram(captures[4])
    emulator.send_telegram(sent_by(NEIGHBOUR, captures[4]))
    await wait_until(lambda: len(gateway.heard) == 2, hass=hass)

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
    )
    assert result["data_schema"] is not None
    options = result["data_schema"].schema[CONF_METER_ID].config["options"]
    labels = {option["value"]: option["label"] for option in options}
    assert list(labels) == [str(NEIGHBOUR), str(OMNIPOWER)]  # most recently heard first
    # No profile knows the neighbour's meter: maker and device type code (07h: water).
    assert labels[str(NEIGHBOUR)].startswith(f"1. {METER_ID} · Zenner 07h · ")
    assert labels[str(OMNIPOWER)].startswith(f"2. {METER_ID} · Kamstrup OmniPower · ")

    # The neighbour's row: the user's key is tried on the neighbour's telegram only.
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: str(NEIGHBOUR)}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_AES_KEY: METER_KEY, CONF_NAME: "House meter"}
    )
    assert result["errors"] == {CONF_AES_KEY: "invalid_key"}

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: str(OMNIPOWER)}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_AES_KEY: METER_KEY, CONF_NAME: "House meter"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = entry.subentries.values()
    assert subentry.data[CONF_MANUFACTURER] == "KAM"
    assert subentry.data[CONF_DEVICE_TYPE] == 0x02
    await hass.async_block_till_done()
    assert gateway.meters[METER_ID].address == OMNIPOWER
    assert NEIGHBOUR not in gateway.decoder


async def test_a_typed_id_is_bound_to_the_heard_meter_its_key_decodes(
    hass: HomeAssistant, emulator: Im871aEmulator, captures: list[bytes]
) -> None:
    entry = await _stick(hass, emulator)
    gateway: Gateway = entry.runtime_data.hub
    emulator.send_telegram(captures[4])
    emulator.send_telegram(sent_by(NEIGHBOUR, captures[4]))
    await wait_until(lambda: len(gateway.heard) == 2, hass=hass)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: METER_ID}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_AES_KEY: METER_KEY, CONF_NAME: "House meter"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = entry.subentries.values()
    assert subentry.data[CONF_MANUFACTURER] == "KAM"
    assert subentry.data[CONF_VERSION] == 0x30


async def _add_from_heard_list(hass: HomeAssistant, entry: MockConfigEntry, value: str) -> None:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
    )
    assert result["data_schema"] is not None
    values = [o["value"] for o in result["data_schema"].schema[CONF_METER_ID].config["options"]]
    assert value in values
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: value}
    )
    assert result["step_id"] == "key_optional"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: f"Water {value}"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_two_meters_with_the_same_digits_are_two_meters(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    entry = await _stick(hass, emulator)
    gateway: Gateway = entry.runtime_data.hub
    emulator.send_telegram(_iperl_telegram())
    emulator.send_telegram(sent_by(IPERL_NEIGHBOUR, _iperl_telegram()))
    await wait_until(lambda: len(gateway.heard) == 2, hass=hass)
    await _add_from_heard_list(hass, entry, str(IPERL))
    # Only the other one is left to add; its digits alone name it in the list.
    await _add_from_heard_list(hass, entry, IPERL.meter_id)
    neighbour_identifier = f"{IPERL.meter_id}_apa_68_16"
    assert {sub.unique_id for sub in entry.subentries.values()} == {
        IPERL.meter_id,
        neighbour_identifier,
    }
    assert gateway.meters[neighbour_identifier].address == IPERL_NEIGHBOUR
    assert gateway.meters[IPERL.meter_id].address == IPERL

    emulator.send_telegram(_iperl_telegram())
    await wait_until(lambda: gateway.meters[IPERL.meter_id].last_reading is not None, hass=hass)
    assert gateway.meters[neighbour_identifier].last_reading is None
    emulator.send_telegram(sent_by(IPERL_NEIGHBOUR, _iperl_telegram()))
    await wait_until(
        lambda: gateway.meters[neighbour_identifier].last_reading is not None, hass=hass
    )
    neighbour_reading = gateway.meters[neighbour_identifier].last_reading
    assert neighbour_reading is not None
    assert neighbour_reading.reading.address == IPERL_NEIGHBOUR

    # Two devices, each with its own entities; both show the digits as serial number.
    devices = dr.async_get(hass)
    for identifier in (IPERL.meter_id, neighbour_identifier):
        device = device_of_entry(devices, (DOMAIN, identifier), entry.entry_id)
        assert device is not None
        assert device.serial_number == IPERL.meter_id
        await wait_until(
            lambda identifier=identifier: (
                "7.704" in _meter_states(hass, entry, identifier).values()  # m³
            ),
            hass=hass,
        )
    neighbour_ids = set(_meter_states(hass, entry, neighbour_identifier))
    assert neighbour_ids
    assert all(uid.startswith(f"{neighbour_identifier}_") for uid in neighbour_ids)


async def test_a_meter_behind_a_radio_converter_is_heard_and_shown_as_itself(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    water = MeterAddress("QDS", CONVERTED_METER_ID, 0x16, 0x07)
    module = MeterAddress("QDS", RADIO_MODULE_ID, 0x01, 0x37)
    entry = await _stick(hass, emulator)
    gateway: Gateway = entry.runtime_data.hub
    emulator.send_telegram(radio_converter_telegram(access_number=1))
    await wait_until(lambda: water in gateway.heard, hass=hass)
    # Listed under the number on the water meter's label, not the radio part's.
    assert module not in gateway.heard
    assert [heard.header.address for heard in gateway.heard.heard_as(CONVERTED_METER_ID)] == [water]
    assert gateway.heard.heard_as(RADIO_MODULE_ID) == []

    await _add(
        hass,
        entry,
        _subentry(water, CONVERTED_METER_KEY.hex().upper(), bound=False),
    )
    emulator.send_telegram(radio_converter_telegram(access_number=2))
    meter = gateway.meters[CONVERTED_METER_ID]
    await wait_until(lambda: meter.last_reading is not None, hass=hass)
    assert meter.address == water  # bound to the meter's own address
    await hass.async_block_till_done()
    volume = [
        hass.states.get(entity.entity_id)
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if entity.unique_id.startswith(f"{CONVERTED_METER_ID}_")
        and entity.original_device_class == "water"
    ]
    assert [(s.state, s.attributes["unit_of_measurement"]) for s in volume if s] == [
        ("12345.678", "m³")
    ]


async def test_a_not_set_value_keeps_the_sensors_last_state(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    water = MeterAddress("QDS", CONVERTED_METER_ID, 0x16, 0x07)
    entry = await _stick(hass, emulator)
    gateway: Gateway = entry.runtime_data.hub
    await _add(hass, entry, _subentry(water, CONVERTED_METER_KEY.hex().upper(), bound=True))
    emulator.send_telegram(radio_converter_telegram(access_number=1))
    meter = gateway.meters[CONVERTED_METER_ID]
    await wait_until(lambda: meter.last_reading is not None, hass=hass)
    await hass.async_block_till_done()
    (volume,) = (
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.unique_id.startswith(f"{CONVERTED_METER_ID}_") and e.original_device_class == "water"
    )
    assert state(hass, volume) == "12345.678"

    # The volume as all F (BCD "no value", EN 13757-3 type A).
    not_set = bytes.fromhex("0c13ffffffff")
    emulator.send_telegram(radio_converter_telegram(not_set, access_number=2))

    def second_reading() -> bool:
        last = meter.last_reading
        return last is not None and last.reading.access_number == 2

    await wait_until(second_reading, hass=hass)
    await hass.async_block_till_done()
    last = meter.last_reading
    assert last is not None
    assert last.reading.records[0].value is None
    assert "total_m3" not in last.reading.values
    assert state(hass, volume) == "12345.678"  # not -1111111.111 or any other number
