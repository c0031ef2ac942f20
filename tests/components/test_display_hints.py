"""How Home Assistant shows values, keyed by quantity (display_hints.py).

The protocol says what a value is (its quantity in ``protocol.quantities.QUANTITIES``, unit,
storage, function); these hints decide device class, state class, unit and whether it is
enabled by default, and the registry test below keeps the protocol, these hints,
``strings.json`` and the translations naming the same quantities.
"""

from __future__ import annotations

import json
from pathlib import Path
import re

from custom_components.wmbus.display_hints import (
    RULED_QUANTITIES,
    FieldDisplay,
    display_for,
    display_for_field,
    display_for_record,
)
from custom_components.wmbus.meter_fields import NAMED_QUANTITIES
from custom_components.wmbus.protocol.meters import (
    ERROR_FLAGS,
    PROFILES,
    PROFILES_BY_NAME,
    TPL_STATUS_ERRORS,
)
from custom_components.wmbus.protocol.meters.layout import synthetic_header
from custom_components.wmbus.protocol.meters.profile import CURRENT_ALARM_FLAGS
from custom_components.wmbus.protocol.quantities import QUANTITIES
from custom_components.wmbus.protocol.records import Function, Record, vif

COMPONENT = Path(__file__).resolve().parents[2] / "custom_components" / "wmbus"

HISTORIC_KEY = re.compile(
    r"(^|_)(max|min|target|due|prev|previous|last|history|historic|ago|year|month|day|date"
    r"|january|february|march|april|may|june|july|august|september|october|november"
    r"|december|delta)(_|$)"
)
"""Words in a value key that say it is not the live value (wmbusmeters' names)."""
LIVE_BUT_HIDDEN = {
    ("izar", "transmit_period_s"): "a radio setting, not a measurement",
    ("apatorna1", "historic_age_h"): "how old the historic reading is: a diagnostic",
}
"""Live values deliberately disabled by default, and why."""
LIVE_DESPITE_ITS_KEY = {
    ("iperl", "max_flow_m3h"): "the meter's only flow, an instantaneous record: a primary reading",
}
"""Live values whose key sounds historic (wmbusmeters' name), enabled, and why."""
DEVICE_CLASSES = {
    "energy": {"energy"},
    "volume": {"volume", "water", "gas"},
    "volume_flow": {"volume_flow_rate"},
    "power": {"power"},
    "flow_temperature": {"temperature"},
    "return_temperature": {"temperature"},
    "external_temperature": {"temperature"},
    "temperature_difference": {"temperature"},
}
COUNTERS = {"energy", "volume", "mass", "hca_units"}


def test_display_hints_follow_quantity_medium_and_storage() -> None:
    water = FieldDisplay("water", "total_increasing", "m³")
    volume = Record(synthetic_header("volume", "m3", exponent=-3), b"\x01\x00", 1)
    assert display_for_record(volume, "water") == water
    assert display_for_record(volume) == FieldDisplay("volume", "total_increasing", "m³")
    historic = Record(synthetic_header("volume", "m3", exponent=-3, storage=1), b"", 1)
    assert display_for_record(historic, "water") == FieldDisplay(
        "water", None, "m³", enabled_by_default=False
    )
    flow_max = Record(synthetic_header("volume_flow", "m3/h", function=Function.MAXIMUM), b"", 1)
    assert display_for_record(flow_max) == FieldDisplay(
        "volume_flow_rate", None, "m³/h", enabled_by_default=False
    )
    flags = Record(synthetic_header("error_flags", ""), b"\x00", 0)
    assert display_for_record(flags) == FieldDisplay(None, None, None, kind="problem")
    hca = PROFILES_BY_NAME["bfw240radio"].fields[0]
    assert display_for_field(hca) == FieldDisplay(None, "total_increasing", None)


def test_every_field_has_home_assistant_hints() -> None:
    """Rules for the display hints: what the user sees first must be the live value.

    Historic, set-date, maximum and minimum values are disabled and have no state class
    (their jumps are no consumption); live values are enabled; counters are never
    measurements; a volume is "water" only on a water meter and "gas" only on a gas meter
    (a heat meter's volume is neither); the HA unit is the field's unit.
    """
    for profile in PROFILES:
        for spec in profile.fields:
            where = (profile.name, spec.key)
            display = display_for_field(spec)
            assert display is not None, where
            if display.kind == "problem":
                assert spec.quantity in {"error_flags", "current_alarms", "transport_status"}, where
                assert display.enabled_by_default, where
                assert (display.device_class, display.state_class, display.unit) == (
                    None,
                    None,
                    None,
                ), where
                continue
            live = spec.storage == 0 and spec.function == Function.INSTANTANEOUS
            if live and where in LIVE_BUT_HIDDEN:
                assert not display.enabled_by_default, where
            elif not live or (HISTORIC_KEY.search(spec.key) and where not in LIVE_DESPITE_ITS_KEY):
                assert not display.enabled_by_default, where
                assert display.state_class is None, where
            else:
                assert display.enabled_by_default, where
            if spec.quantity in COUNTERS:
                assert display.state_class in {None, "total_increasing"}, where
            elif display.state_class is not None:
                assert display.state_class == "measurement" or spec.quantity in {
                    "on_time",
                    "operating_time",
                }, where
            if spec.quantity in DEVICE_CLASSES:
                assert display.device_class in DEVICE_CLASSES[spec.quantity], where
            if display.device_class == "water":
                assert "water" in profile.media, where
            if display.device_class == "gas":
                assert profile.media == "gas", where
            if display.unit is not None:
                assert display.unit == spec.unit.replace("m3", "m³").replace("C", "°C").replace(
                    "%RH", "%"
                ), where


def test_problem_quantities_are_problems() -> None:
    for spec in (ERROR_FLAGS, CURRENT_ALARM_FLAGS, TPL_STATUS_ERRORS):
        assert display_for_field(spec) == FieldDisplay(None, None, None, kind="problem")


def test_the_protocol_names_only_registered_quantities_in_registered_units() -> None:
    for rows in (vif.PRIMARY_ROWS, vif.FD_ROWS, vif.FB_ROWS):
        for _first, _last, quantity, unit, _exponent in rows:
            units = {unit} if isinstance(unit, str) else set(unit)
            assert quantity in QUANTITIES, quantity
            assert units <= QUANTITIES[quantity], (quantity, units)
    for profile in PROFILES:
        for spec in profile.fields:
            assert spec.unit in QUANTITIES.get(spec.quantity, ()), (profile.name, spec.key)


def test_hints_name_only_registered_quantities() -> None:
    assert QUANTITIES.keys() >= RULED_QUANTITIES, RULED_QUANTITIES - QUANTITIES.keys()
    assert QUANTITIES.keys() >= NAMED_QUANTITIES, NAMED_QUANTITIES - QUANTITIES.keys()
    assert display_for("no_such_quantity", "m3") is None


def test_every_shown_quantity_has_a_name_in_every_language() -> None:
    """A quantity Home Assistant shows as a sensor is named from strings.json, in every language.

    ``meter_fields`` names a field of a NAMED_QUANTITY with ``entity.sensor.<quantity>`` (and
    its variants); a shown quantity outside it would be "Other value".
    """
    shown = {
        quantity
        for quantity, units in QUANTITIES.items()
        for unit in units
        if (hints := display_for(quantity, unit)) is not None and hints.kind == "sensor"
    }
    # Named after their field key (no quantity name of their own): durations and settings.
    named_by_key = {
        "actuality_duration",
        "averaging_duration",
        "battery_level",
        "co2",
        "historic_reading_age",
        "transmit_period",
    }
    assert shown - named_by_key <= NAMED_QUANTITIES, shown - named_by_key - NAMED_QUANTITIES
    for path in (
        COMPONENT / "strings.json",
        *sorted((COMPONENT / "translations").glob("*.json")),
    ):
        sensors = json.loads(path.read_text(encoding="utf-8"))["entity"]["sensor"]
        for quantity in NAMED_QUANTITIES:
            assert quantity in sensors, (path.name, quantity)
