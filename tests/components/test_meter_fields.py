"""How a meter's fields are named and described (no radio needed: plain values)."""

from __future__ import annotations

from itertools import product
import json
from pathlib import Path
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
import pytest

from custom_components.wmbus.meter_fields import (
    BACKWARD_QUANTITIES,
    FUNCTION_PREFIXES,
    NAMED_QUANTITIES,
    MeterField,
    _profile_fields,
    name_key,
)
from custom_components.wmbus.protocol.meters import PROFILES

STRINGS = json.loads(
    (Path(__file__).parents[2] / "custom_components" / "wmbus" / "strings.json").read_text()
)


@pytest.mark.parametrize(
    ("quantity", "options", "key"),
    [
        ("volume", {}, "volume"),
        ("volume", {"storage": 1}, "volume_stored"),
        ("energy", {"tariff": 2, "storage": 1}, "energy_tariff_stored"),
        ("volume_flow", {"function": "maximum"}, "max_volume_flow"),
        ("energy", {"backward": True}, "energy_backward"),
        ("flow_temperature", {"backward": True}, "flow_temperature"),
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
        "backward": False,
        "kind": "sensor",
        "phase": 0,
    }
    arguments.update(options)
    assert name_key(quantity, **arguments) == key


def test_every_name_a_field_can_get_is_translated() -> None:
    names = STRINGS["entity"]["sensor"]
    functions = ["instantaneous", *FUNCTION_PREFIXES]
    for quantity, storage, tariff, function, backward, phase in product(
        sorted(NAMED_QUANTITIES), (0, 3), (0, 2), functions, (False, True), (0, 1)
    ):
        key = name_key(
            quantity,
            storage=storage,
            tariff=tariff,
            function=function,
            backward=backward and quantity in BACKWARD_QUANTITIES,
            kind="sensor",
            phase=phase,
        )
        assert key in names, key
    assert {"error_flags", "status_errors"} <= STRINGS["entity"]["binary_sensor"].keys()


def test_no_profile_names_two_of_its_fields_alike() -> None:
    # A meter sending its own error flags and the transport header's status bits gets two
    # problem sensors; both called "Meter error" would leave the user guessing.
    for profile in PROFILES:
        names = [
            (field.name_key, field.storage, field.tariff)
            for field in _profile_fields(profile.name, None).values()
            if field.kind == "problem"
        ]
        assert len(names) == len(set(names)), profile.name


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
    assert hints["translation_placeholders"] == {"storage": "0", "tariff": "0", "phase": "0"}
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
