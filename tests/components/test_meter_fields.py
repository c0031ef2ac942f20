"""How a meter's fields are named and described (no radio needed: plain values)."""

from __future__ import annotations

from fractions import Fraction
from itertools import product
import json
from pathlib import Path
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
import pytest

from custom_components.wmbus.meter_fields import (
    BACKWARD_QUANTITIES,
    DIRECTIONS,
    FIXED_VALUE_KEYS,
    FUNCTION_PREFIXES,
    NAMED_QUANTITIES,
    MeterField,
    _profile_fields,
    display_precision,
    name_key,
)
from custom_components.wmbus.protocol.meters import PROFILES, PROFILES_BY_NAME

COMPONENT = Path(__file__).parents[2] / "custom_components" / "wmbus"
STRINGS = json.loads((COMPONENT / "strings.json").read_text())
LANGUAGES = {
    path.stem: json.loads(path.read_text(encoding="utf-8"))
    for path in sorted((COMPONENT / "translations").glob("*.json"))
}


@pytest.mark.parametrize(
    ("quantity", "options", "key"),
    [
        ("volume", {}, "volume"),
        ("volume", {"storage": 1}, "volume_stored"),
        ("energy", {"tariff": 2, "storage": 1}, "energy_tariff_stored"),
        ("volume_flow", {"function": "maximum"}, "max_volume_flow"),
        ("energy", {"direction": "backward"}, "energy_backward"),
        ("volume", {"direction": "forward", "storage": 1}, "volume_forward_stored"),
        ("flow_temperature", {"direction": "backward"}, "flow_temperature"),
        ("energy", {"subunit": 1}, "energy_subunit"),
        ("energy", {"subunit": 1, "role": "cooling", "storage": 1}, "energy_cooling_stored"),
        ("energy", {"phase": 1, "subunit": 1}, "energy_subunit"),
        ("on_time", {"function": "error_state"}, "at_error_on_time"),
        ("voltage", {"phase": 2}, "voltage_phase"),
        ("voltage", {"phase": 2, "tariff": 1}, "voltage_tariff"),
        ("error_flags", {"kind": "problem"}, "error_flags"),
        ("transport_status", {"kind": "problem"}, "status_errors"),
        ("fabrication_number", {}, "other_value"),
    ],
)
def test_names_follow_quantity_storage_tariff_function_and_phase(
    quantity: str, options: dict[str, Any], key: str
) -> None:
    arguments: dict[str, Any] = {
        "storage": 0,
        "tariff": 0,
        "function": "instantaneous",
        "kind": "sensor",
        "phase": 0,
    }
    arguments.update(options)
    assert name_key(quantity, **arguments) == key


def test_every_name_a_field_can_get_is_translated() -> None:
    functions = ["instantaneous", *FUNCTION_PREFIXES]
    for language, document in {"strings": STRINGS, **LANGUAGES}.items():
        names = document["entity"]["sensor"]
        for quantity, storage, tariff, subunit, function, direction, phase in product(
            sorted(NAMED_QUANTITIES), (0, 3), (0, 2), (0, 1), functions, (None, *DIRECTIONS), (0, 1)
        ):
            key = name_key(
                quantity,
                storage=storage,
                tariff=tariff,
                function=function,
                direction=direction if quantity in BACKWARD_QUANTITIES else None,
                kind="sensor",
                phase=phase,
                subunit=subunit,
            )
            assert key in names, f"{language}: {key}"
        binary = document["entity"]["binary_sensor"]
        assert {"error_flags", "status_errors"} <= binary.keys(), language


def _shown_names(profile_name: str, media: str, document: dict[str, Any]) -> dict[str, str]:
    """Every sensor and problem name a meter of this profile can show, by value key.

    An electricity meter's OmniPower values get the fixed energy and power sensors instead
    of their fields (``meter_fields.fixed_value_keys``).
    """
    entity = document["entity"]
    names: dict[str, str] = {}
    for key, field in _profile_fields(PROFILES_BY_NAME[profile_name], None).items():
        if media == "electricity" and key in FIXED_VALUE_KEYS:
            platform, name_key_ = "sensor", FIXED_VALUE_KEYS[key]
        else:
            platform = "sensor" if field.kind == "sensor" else "binary_sensor"
            name_key_ = field.name_key
        template = entity[platform].get(name_key_, {}).get("name")
        assert template is not None, f"{profile_name}.{key}: {platform}.{name_key_} missing"
        names[key] = template.format(**field.placeholders)
    return names


@pytest.mark.parametrize("language", ["strings", *LANGUAGES])
def test_no_two_sensors_of_a_meter_share_a_name_in_any_language(language: str) -> None:
    """Every profile's fields (all meter types) get names that tell them apart.

    An Apator Elf 2 showed two "Energy" sensors (heating 144 kWh, cooling 1 kWh), two
    "Volume" and two "Energy, stored value 1": only an ``_2`` in the entity id differed.
    """
    document = STRINGS if language == "strings" else LANGUAGES[language]
    clashes = []
    for profile in PROFILES:
        names = _shown_names(profile.name, profile.media, document)
        seen: dict[str, str] = {}
        for key, name in names.items():
            if name in seen:
                clashes.append(f"{profile.name}: {seen[name]} and {key} are both {name!r}")
            seen[name] = key
    assert not clashes, "\n".join(clashes)


def test_a_heat_and_cooling_meter_says_which_is_which() -> None:
    names = _shown_names("elf2", "heat", STRINGS)
    assert names["total_energy_kwh"] == "Energy"
    assert names["total_energy_cooling_kwh"] == "Energy (cooling)"
    assert names["total_volume_cooling_m3"] == "Volume (cooling)"
    assert names["total_energy_cooling_period_kwh"] == "Energy (cooling), stored value 1"
    assert names["on_time_at_error_h"] == "On time in error state"


def test_a_field_reading_the_same_record_as_another_gets_no_second_sensor() -> None:
    # Hydrocal M3's profile names heating and cooling alike: both read the first energy
    # record, so "cooling" only ever showed the heating value.
    fields = _profile_fields(PROFILES_BY_NAME["hydrocalm3"], None)
    assert "total_heating_kwh" in fields
    assert "total_cooling_kwh" not in fields


@pytest.mark.parametrize(
    ("resolution", "decimals"),
    [
        (Fraction(1, 1000), 3),  # a litre-resolution water meter, in m³
        (Fraction(1, 100), 2),  # volume flow in 10 L/h steps, in m³/h
        (Fraction(1), 0),
        (Fraction(10), 0),
        (Fraction(1, 3600), 6),  # J in Wh: no finite decimal step
        (None, None),
    ],
)
def test_display_precision_follows_the_meters_resolution(
    resolution: Fraction | None, decimals: int | None
) -> None:
    assert display_precision(resolution) == decimals


def _field(**overrides: Any) -> MeterField:
    values: dict[str, Any] = {
        "key": "volume_m3",
        "source": "record",
        "name_key": "volume",
        "storage": 0,
        "tariff": 0,
        "phase": 0,
        "device_class": "water",
        "state_class": "total_increasing",
        "unit": "m³",
        "enabled_by_default": True,
        "kind": "sensor",
    }
    values.update(overrides)
    return MeterField(**values)


def test_hints_become_home_assistant_enums_and_unknown_ones_none() -> None:
    hints = _field().sensor_hints()
    assert hints["device_class"] is SensorDeviceClass.WATER
    assert hints["state_class"] is SensorStateClass.TOTAL_INCREASING
    assert hints["native_unit_of_measurement"] == "m³"
    assert hints["translation_placeholders"] == {
        "storage": "0",
        "tariff": "0",
        "phase": "0",
        "subunit": "0",
    }
    odd = _field(device_class="radioactivity", state_class=None).sensor_hints()
    assert odd["device_class"] is None
    assert odd["state_class"] is None
    assert _field(unit="Wh").sensor_hints()["suggested_unit_of_measurement"] == "kWh"


def test_a_stored_field_reads_back_and_older_entries_have_no_phase() -> None:
    field = _field(phase=3, name_key="voltage_phase")
    assert MeterField.from_json(field.as_json()) == field
    old = field.as_json()
    del old["phase"]
    assert MeterField.from_json(old).phase == 0
    with pytest.raises(KeyError):
        MeterField.from_json({"key": "x"})


def test_older_stored_fields_have_no_subunit_and_no_precision() -> None:
    field = _field(subunit=1, precision=3, name_key="volume_subunit")
    assert MeterField.from_json(field.as_json()) == field
    old = field.as_json()
    del old["subunit"], old["precision"]
    assert MeterField.from_json(old).subunit == 0
    assert MeterField.from_json(old).precision is None
    assert field.sensor_hints()["suggested_display_precision"] == 3
