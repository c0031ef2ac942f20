"""Water, heat, gas and heat cost allocator meters, added through the flows, as users see them.

The emulated stick replays wmbusmeters' corpus telegrams; each meter is added from the heard list
(these meters send in clear, so without a key), and its sensors must show the corpus' values
with Home Assistant's device classes, state classes and units; the water and the gas meter must
pass the Energy dashboard's validation (the electricity meter's is in test_energy.py).

These need the display hints, records and profiles of issue 12's protocol package; with the
protocol package before it they are skipped (they were run against it before merging).
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.energy.data import async_get_manager
from homeassistant.components.energy.validate import async_validate
from homeassistant.components.recorder.core import Recorder
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.wmbus.const import (
    CONF_METER_ID,
    CONF_NAME,
    CONF_PORT,
    DOMAIN,
    SUBENTRY_METER,
)
from custom_components.wmbus.meter_texts import MeterTexts
from custom_components.wmbus.protocol import decoder as decoder_module, meters as protocol_meters
from tests.components.conftest import STICK_SERIAL, entity_state, meter_subentry
from tests.conftest import corpus_vectors
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator

# corpus vector -> (meter name, sensors it must show: state and attributes, whatever their keys,
# which are the protocol package's: a profile's value names or a generic meter's record keys)
METERS: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "iperl-01": (
        "Water",
        [
            {
                "state": "7.704",
                "device_class": "water",
                "state_class": "total_increasing",
                "unit_of_measurement": "m³",
            },
        ],
    ),
    "sensostar-02": (
        "Heat",
        [
            {
                "state": "18312.0",
                "device_class": "energy",
                "state_class": "total_increasing",
                "unit_of_measurement": "kWh",
            },
            {"state": "4229.774", "state_class": "total_increasing", "unit_of_measurement": "m³"},
            {
                "state": "62.0",
                "device_class": "temperature",
                "state_class": "measurement",
                "unit_of_measurement": "°C",
            },
            {"state": "8.15", "device_class": "temperature", "unit_of_measurement": "K"},
        ],
    ),
    "apator08-02": (
        "Gas",
        [
            {
                "state": "871.571",
                "device_class": "gas",
                "state_class": "total_increasing",
                "unit_of_measurement": "m³",
            },
        ],
    ),
    "qcaloric-01": (
        "Allocator",
        [{"state": "127", "state_class": "total_increasing"}],
    ),
}


def _vector(vector_id: str) -> dict[str, Any]:
    return next(v for v in corpus_vectors() if v["id"] == vector_id)


def _telegram(vector_id: str) -> bytes:
    return bytes.fromhex(_vector(vector_id)["telegram_hex"])


@pytest.fixture
def stick_entry(emulator: Im871aEmulator) -> MockConfigEntry:
    """A stick with no meters yet."""
    return MockConfigEntry(
        domain=DOMAIN, title="iM871A", data={CONF_PORT: str(emulator.link)}, unique_id=STICK_SERIAL
    )


async def _add_heard_meters(
    hass: HomeAssistant, entry: MockConfigEntry, emulator: Im871aEmulator
) -> dict[str, str]:
    """Hear every meter, add each from the heard list without a key; vector id -> meter id."""
    gateway = entry.runtime_data.hub
    ids: dict[str, str] = {}
    for vector_id in METERS:
        before = set(gateway.heard)
        emulator.send_telegram(_telegram(vector_id))
        await wait_until(lambda before=before: set(gateway.heard) - before, hass=hass)
        (ids[vector_id],) = {address.meter_id for address in set(gateway.heard) - before}
    for vector_id, (name, _sensors) in METERS.items():
        result = await hass.config_entries.subentries.async_init(
            (entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
        )
        assert result["data_schema"] is not None
        offered = [
            o["value"] for o in result["data_schema"].schema[CONF_METER_ID].config["options"]
        ]
        assert ids[vector_id] in offered
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_METER_ID: ids[vector_id]}
        )
        assert result["step_id"] == "key_optional", vector_id  # heard sending in clear
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_NAME: name}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    for vector_id, meter_id in ids.items():
        meter = gateway.meters[meter_id]
        emulator.send_telegram(_telegram(vector_id))
        await wait_until(lambda meter=meter: meter.last_reading is not None, hass=hass)
    await hass.async_block_till_done()
    return ids


def _entity_with(
    hass: HomeAssistant, entry: MockConfigEntry, meter_id: str, device_class: str
) -> str:
    (entity_id,) = (
        e.entity_id
        for e in _entities_of(hass, entry, meter_id)
        if e.original_device_class == device_class
    )
    return entity_id


def _entities_of(
    hass: HomeAssistant, entry: MockConfigEntry, meter_id: str
) -> list[er.RegistryEntry]:
    registry = er.async_get(hass)
    return sorted(
        (
            e
            for e in er.async_entries_for_config_entry(registry, entry.entry_id)
            if e.unique_id.startswith(f"{meter_id}_")
        ),
        key=lambda e: e.entity_id,
    )


async def test_meters_added_through_the_flows_show_the_corpus_values(
    hass: HomeAssistant, stick_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    stick_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(stick_entry.entry_id)
    await hass.async_block_till_done()
    ids = await _add_heard_meters(hass, stick_entry, emulator)
    for vector_id, (name, sensors) in METERS.items():
        meter_id = ids[vector_id]
        entities = _entities_of(hass, stick_entry, meter_id)
        listing = [
            f"{e.entity_id} ({'disabled' if e.disabled_by else 'enabled'}, "
            f"{e.original_device_class or '-'}, {e.unit_of_measurement or '-'}): "
            f"{getattr(hass.states.get(e.entity_id), 'state', '-')}"
            for e in entities
        ]
        print(f"{name} ({vector_id}, {meter_id}):\n  " + "\n  ".join(listing))
        states = [s for e in entities if (s := hass.states.get(e.entity_id)) is not None]
        for expected in sensors:
            assert any(_shows(state, expected) for state in states), (
                f"{name}: no sensor shows {expected}; has {listing}"
            )


def _shows(state: State, expected: dict[str, Any]) -> bool:
    for attribute, value in expected.items():
        actual = state.state if attribute == "state" else state.attributes.get(attribute)
        if attribute == "state" and actual is not None:
            try:
                return_value = float(actual) == float(value)
            except ValueError:
                return_value = actual == value
            if not return_value:
                return False
        elif actual != value:
            return False
    return True


async def test_historic_values_are_disabled_by_default(
    hass: HomeAssistant, stick_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    stick_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(stick_entry.entry_id)
    await hass.async_block_till_done()
    ids = await _add_heard_meters(hass, stick_entry, emulator)
    # The allocator's value at its set date: a sensor, off until the user wants it.
    disabled = [
        e
        for e in _entities_of(hass, stick_entry, ids["qcaloric-01"])
        if e.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        and e.entity_category is None  # not the diagnostics (signal, telegrams)
    ]
    assert disabled, "the historic heat cost units are not there, or enabled"
    assert all(hass.states.get(e.entity_id) is None for e in disabled)


async def test_water_and_gas_pass_the_energy_dashboard_validation(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    stick_entry: MockConfigEntry,
    emulator: Im871aEmulator,
) -> None:
    assert await async_setup_component(hass, "energy", {})
    stick_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(stick_entry.entry_id)
    await hass.async_block_till_done()
    ids = await _add_heard_meters(hass, stick_entry, emulator)
    water = _entity_with(hass, stick_entry, ids["iperl-01"], "water")
    gas = _entity_with(hass, stick_entry, ids["apator08-02"], "gas")
    await async_wait_recording_done(hass)
    now = dt_util.utcnow()
    do_adhoc_statistics(
        hass, start=now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    )
    await async_wait_recording_done(hass)
    manager = await async_get_manager(hass)
    await manager.async_update(
        {
            "energy_sources": [
                {
                    "type": "gas",
                    "stat_energy_from": gas,
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                },
                {
                    "type": "water",
                    "stat_energy_from": water,
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                },
            ],
            # EnergyPreferencesUpdate inherits this key as required (a total=False subclass
            # does not make inherited keys optional): no devices, as on a fresh install.
            "device_consumption": [],
        }
    )
    validation = await async_validate(hass)
    assert validation.as_dict()["energy_sources"] == [[], []]


async def test_a_meter_without_profile_gets_its_records_and_problem_flags(
    hass: HomeAssistant,
    stick_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A meter type the protocol package has no profile for: its standard records speak.

    Every corpus meter has a profile by now, so profile selection is made to find none, as for
    a meter nobody wrote a profile for; error flags become a problem binary sensor, on while
    the flags are not zero.
    """
    monkeypatch.setattr(
        decoder_module, "select_profile", lambda *_args, **_kwargs: protocol_meters.GENERIC
    )
    stick_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(stick_entry.entry_id)
    await hass.async_block_till_done()
    gateway = stick_entry.runtime_data.hub
    flags = {"gransystems-01": "on", "supercom587-02": "off"}  # flags 0x01020000 and 0
    for vector_id in flags:
        emulator.send_telegram(_telegram(vector_id))
    await wait_until(lambda: len(gateway.heard) == len(flags), hass=hass)
    ids = {v: _vector(v)["features"]["meter_id"] for v in flags}
    for vector_id, meter_id in ids.items():
        result = await hass.config_entries.subentries.async_init(
            (stick_entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
        )
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_METER_ID: meter_id}
        )
        result = await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_NAME: vector_id}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    for vector_id, meter_id in ids.items():
        meter = gateway.meters[meter_id]
        emulator.send_telegram(_telegram(vector_id))
        await wait_until(lambda meter=meter: meter.last_reading is not None, hass=hass)
    await hass.async_block_till_done()
    for vector_id, meter_id in ids.items():
        assert meter_id in gateway.meters
        entities = _entities_of(hass, stick_entry, meter_id)
        print(vector_id, [(e.entity_id, e.original_device_class) for e in entities])
        (problem,) = (e for e in entities if e.original_device_class == "problem")
        assert problem.translation_key == "error_flags"
        assert entity_state(hass, problem.entity_id).state == flags[vector_id]
    electricity = _entities_of(hass, stick_entry, ids["gransystems-01"])
    energy = next(e for e in electricity if e.original_device_class == "energy")
    assert energy.translation_key == "energy"
    assert float(entity_state(hass, energy.entity_id).state) == 0.916  # kWh, from the record


async def _meter_from_vector(
    hass: HomeAssistant, emulator: Im871aEmulator, vector_id: str, name: str
) -> tuple[MockConfigEntry, list[er.RegistryEntry]]:
    """A stick with the vector's meter configured (with its key), after one telegram."""
    vector = _vector(vector_id)
    meter_id = vector["features"]["meter_id"]
    key = vector["key_hex"] or ""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        unique_id=STICK_SERIAL,
        subentries_data=[meter_subentry(meter_id, key.upper(), name)],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    meter = entry.runtime_data.hub.meters[meter_id]
    emulator.send_telegram(_telegram(vector_id))
    await wait_until(lambda: meter.last_reading is not None, hass=hass)
    await hass.async_block_till_done()
    return entry, _entities_of(hass, entry, meter_id)


async def test_every_sensor_of_a_heat_and_cooling_meter_has_a_name_of_its_own(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    """An Apator Elf 2 showed "Energy" twice (144 kWh heating, 1 kWh cooling)."""
    _entry, entities = await _meter_from_vector(hass, emulator, "elf2-01", "Heat")
    names = [e.original_name for e in entities]
    print(sorted((e.entity_id, e.original_name) for e in entities))
    assert len(names) == len(set(names)), names
    ids = {e.entity_id for e in entities}
    assert not [i for i in ids if i.endswith("_2") and i.removesuffix("_2") in ids]
    assert {"Energy", "Energy (cooling)", "Volume", "Volume (cooling)"} <= set(names)
    assert "Energy (cooling), stored value 1" in names


async def test_sensors_show_the_decimals_the_meter_sends(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    """A litre-resolution water meter keeps its litres: 7.704 m³, not 7.70 m³."""
    _entry, entities = await _meter_from_vector(hass, emulator, "iperl-01", "Water")
    precision = {
        e.unique_id.split("_", 1)[1]: e.options["sensor"]["suggested_display_precision"]
        for e in entities
        if "suggested_display_precision" in e.options.get("sensor", {})
    }
    assert precision == {"total_m3": 3, "max_flow_m3h": 3}


async def test_the_iperls_volume_flow_is_enabled(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    """Its only flow reading, a primary one (the README's table says so too)."""
    _entry, entities = await _meter_from_vector(hass, emulator, "iperl-01", "Water")
    (flow,) = (e for e in entities if e.unique_id.endswith("_max_flow_m3h"))
    assert flow.disabled_by is None
    assert flow.original_name == "Volume flow"
    assert entity_state(hass, flow.entity_id).attributes["unit_of_measurement"] == "m³/h"


@pytest.mark.parametrize(("language", "water_meter"), [("da", "Vandmåler"), ("de", "Wasserzähler")])
async def test_model_and_default_name_are_in_home_assistants_language(
    hass: HomeAssistant,
    stick_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    language: str,
    water_meter: str,
) -> None:
    """A Danish or German Home Assistant suggests "Vandmåler 12345699", "Wasserzähler ..."."""
    hass.config.language = language
    stick_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(stick_entry.entry_id)
    await hass.async_block_till_done()
    gateway = stick_entry.runtime_data.hub
    emulator.send_telegram(_telegram("iperl-01"))
    await wait_until(lambda: len(gateway.heard) == 1, hass=hass)
    meter_id = _vector("iperl-01")["features"]["meter_id"]
    result = await hass.config_entries.subentries.async_init(
        (stick_entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: meter_id}
    )
    assert result["data_schema"] is not None
    suggested = result["data_schema"]({})[CONF_NAME]
    assert suggested == f"{water_meter} {meter_id}"
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"{water_meter} {meter_id}"


def test_models_that_describe_a_meter_are_translated() -> None:
    texts = MeterTexts(
        {
            "component.wmbus.selector.meter_type.options.water": "Wasserzähler",
            "component.wmbus.selector.meter_type.options.electricity": "Stromzähler",
        }
    )
    assert texts.model("Diehl water meter", "hydrus", "Diehl", 0x07) == "Diehl Wasserzähler"
    assert (
        texts.model("Zenner water meter (0x0B)", "zenner0b", "Zenner", 0x07)
        == "Zenner Wasserzähler (0x0B)"
    )
    assert texts.model("Wireless M-Bus meter", "generic", "Kamstrup", 0x02) == (
        "Kamstrup Stromzähler"
    )
    assert texts.model("Kamstrup OmniPower", "omnipower", "Kamstrup", 0x02) == (
        "Kamstrup OmniPower"
    )
    assert texts.default_name("12345678", None) == "Meter 12345678"
