"""How Home Assistant shows a meter's values: device class, state class, unit, enabled.

Keyed by quantity (``protocol.quantities.QUANTITIES``, the one registry of what a value can
be), with the record's storage number and function, and the meter's medium: the protocol
package says what a value is, this module decides how Home Assistant shows it (see Home
Assistant's developer docs, "Sensor entity": device classes, state classes, units). Values are
plain strings here; ``meter_fields`` turns them into Home Assistant's enums.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from .protocol.meters import TRANSPORT_STATUS, FieldSpec
from .protocol.meters.profile import CURRENT_ALARMS
from .protocol.records import Function, Record

type DisplayKind = Literal["sensor", "problem"]


@dataclass(frozen=True, slots=True)
class FieldDisplay:
    """How Home Assistant shows a value (None: Home Assistant has no class for it)."""

    device_class: str | None
    state_class: str | None
    unit: str | None
    enabled_by_default: bool = True
    kind: DisplayKind = "sensor"


_HA_UNITS: Final[dict[str, str]] = {
    "Wh": "Wh",
    "kWh": "kWh",
    "MWh": "MWh",
    "J": "J",
    "kJ": "kJ",
    "MJ": "MJ",
    "GJ": "GJ",
    "W": "W",
    "kW": "kW",
    "m3": "m³",
    "L": "L",
    "m3/h": "m³/h",
    "C": "°C",
    "K": "K",
    "bar": "bar",
    "V": "V",
    "A": "A",
    "Hz": "Hz",
    "%RH": "%",
    "%": "%",
    "ppm": "ppm",
    "s": "s",
    "min": "min",
    "h": "h",
    "d": "d",
}
_TEMPERATURES: Final = frozenset(
    {"flow_temperature", "return_temperature", "temperature_difference", "external_temperature"}
)
_COUNTERS: Final = frozenset({"energy", "volume", "mass", "hca_units"})
_MEASUREMENTS: Final[dict[str, str | None]] = {
    "power": "power",
    "volume_flow": "volume_flow_rate",
    "mass_flow": None,
    "pressure": "pressure",
    "voltage": "voltage",
    "current": "current",
    "frequency": "frequency",
    "humidity": "humidity",
    # Not in the contract's device-class list: shown as plain measurements.
    "battery_level": None,
    "co2": None,
}
_RUNNING_TIMES: Final = frozenset({"on_time", "operating_time"})
"""Hours a meter has run: counters, so HA's total_increasing."""
_DURATIONS: Final = frozenset({"averaging_duration", "actuality_duration"})
_DIAGNOSTIC_DURATIONS: Final[dict[str, str | None]] = {
    # How old a meter's historic value is (Apator NA-1): a gauge, of interest when debugging.
    "historic_reading_age": "measurement",
    # How often the meter sends (Diehl IZAR): a setting, no statistics.
    "transmit_period": None,
}
"""Durations shown disabled by default, with their state class."""
_VOLUME_CLASSES: Final[dict[str, str]] = {"water": "water", "gas": "gas"}
_PROBLEMS: Final = frozenset({"error_flags", CURRENT_ALARMS, TRANSPORT_STATUS})


def display_for(
    quantity: str | None,
    unit: str,
    *,
    storage: int = 0,
    function: Function = Function.INSTANTANEOUS,
    medium: str | None = None,
) -> FieldDisplay | None:
    """Home Assistant hints for a value of this quantity; None if HA has nothing to show.

    Historic values (storage >= 1) and maxima/minima are disabled by default and have no
    state class: they are constant for a period and jump at its end, which HA's long-term
    statistics would misread as consumption.
    """
    if quantity in _PROBLEMS:
        return FieldDisplay(None, None, None, kind="problem")
    if quantity is None:
        return None
    device_class: str | None
    state_class: str | None
    ha_unit: str | None
    if quantity == "hca_units" or unit == "HCA":
        device_class, state_class, ha_unit = None, "total_increasing", None
    else:
        ha_unit = _HA_UNITS.get(unit)
        if ha_unit is None:
            return None
        if quantity in _COUNTERS:
            state_class = "total_increasing"
            if quantity == "energy":
                device_class = "energy"
            elif quantity == "volume":
                device_class = _VOLUME_CLASSES.get(medium or "", "volume")
            else:
                device_class = None
        elif quantity in _TEMPERATURES:
            device_class, state_class = "temperature", "measurement"
        elif quantity in _MEASUREMENTS:
            device_class, state_class = _MEASUREMENTS[quantity], "measurement"
        elif quantity in _RUNNING_TIMES:
            device_class, state_class = "duration", "total_increasing"
        elif quantity in _DURATIONS:
            device_class, state_class = "duration", "measurement"
        elif quantity in _DIAGNOSTIC_DURATIONS:
            return FieldDisplay(
                "duration", _DIAGNOSTIC_DURATIONS[quantity], ha_unit, enabled_by_default=False
            )
        else:
            return None
    current = storage == 0 and function == Function.INSTANTANEOUS
    if not current:
        state_class = None
    return FieldDisplay(device_class, state_class, ha_unit, enabled_by_default=current)


def display_for_record(record: Record, medium: str | None = None) -> FieldDisplay | None:
    """Home Assistant hints for a record of a meter without a profile (None: not shown)."""
    header = record.header
    return display_for(
        header.quantity,
        header.unit,
        storage=header.storage,
        function=header.function,
        medium=medium,
    )


def display_for_field(spec: FieldSpec) -> FieldDisplay | None:
    """Home Assistant hints for a profile's field (None: not shown)."""
    return display_for(
        spec.quantity,
        spec.unit,
        storage=spec.storage,
        function=spec.function,
        medium=spec.medium,
    )


RULED_QUANTITIES: Final = frozenset(
    {
        "hca_units",
        *_PROBLEMS,
        *_TEMPERATURES,
        *_COUNTERS,
        *_MEASUREMENTS,
        *_RUNNING_TIMES,
        *_DURATIONS,
        *_DIAGNOSTIC_DURATIONS,
    }
)
"""Every quantity a rule above names (the registry test checks each is a real quantity)."""
