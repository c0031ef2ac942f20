"""VIF and VIFE tables of EN 13757-3, as data.

Every table is a tuple of rows copied from the standard's layout (a code range, what it
measures, its unit and the exponent of the range's first code), expanded once into a
dict; the header parser only looks codes up. Units are the plain strings the rest of the
project speaks (Wh, J, m3, W, C, K, HCA, %RH, s/min/h/d ...); a value in ``unit`` is the
raw value x 10**exponent.

Codes are stored without their extension bit: primary VIFs as 0x00..0x7F, extension
table codes as 0xFB00 | code and 0xFD00 | code, the (unassigned) table behind VIF EF as
0xEF00 | code, combinable VIFEs as 0x00..0x7F and their 7C extension as 0x7C00 | code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Final


class Decoding(Enum):
    """How a record's data bytes become a value, beyond the DIF's data coding."""

    NUMBER = "number"
    """Integer, BCD or real as the DIF says (raw value, scaled by the exponent)."""
    TIMESTAMP = "timestamp"
    """Date/time type chosen by the data size: G (2), J (3), F (4), I (6) (section 6)."""
    RAW = "raw"
    """Bytes kept as they are (types without a decoding here, e.g. K daylight saving)."""
    INVERSE_COMPACT_PROFILE = "inverse_compact_profile"
    """LVAR data holding a series of past values, newest first (VIFE 13; Annex F)."""


@dataclass(frozen=True, slots=True)
class Meaning:
    """What a VIF stands for: value in ``unit`` = raw value x 10**exponent."""

    quantity: str
    unit: str
    exponent: int
    signed: bool = True
    """Integer data is two's complement, as EN 13757-3 type B says; codes, identifiers
    and bit fields (the unitless meanings) are read unsigned."""
    decoding: Decoding = Decoding.NUMBER


TIME_UNITS: Final = ("s", "min", "h", "d")
"""Unit of a duration by the low two bits of its code (EN 13757-3 "nn" = 00..11)."""
_LONG_TIME_UNITS: Final = ("h", "d", "month", "y")
"""FD 68..6F count in hours, days, months, years instead."""

# A row: (first code, last code, quantity, unit, exponent of the first code). A str unit
# means one unit and an exponent growing by one per code; a tuple gives one unit per code
# with exponent 0 (durations).
type VifRow = tuple[int, int, str, str | tuple[str, ...], int]

TIMESTAMP_QUANTITIES: Final = frozenset(
    {"date", "datetime", "tariff_start", "battery_change_datetime"}
)
RAW_QUANTITIES: Final = frozenset({"daylight_saving", "listening_window"})

# EN 13757-3 primary VIF table (wmbusmeters vifType/vifScale and jMBus decodeMainVif agree).
PRIMARY_ROWS: Final[tuple[VifRow, ...]] = (
    (0x00, 0x07, "energy", "Wh", -3),
    (0x08, 0x0F, "energy", "J", 0),
    (0x10, 0x17, "volume", "m3", -6),
    (0x18, 0x1F, "mass", "kg", -3),
    (0x20, 0x23, "on_time", TIME_UNITS, 0),
    (0x24, 0x27, "operating_time", TIME_UNITS, 0),
    (0x28, 0x2F, "power", "W", -3),
    (0x30, 0x37, "power", "J/h", 0),
    (0x38, 0x3F, "volume_flow", "m3/h", -6),
    (0x40, 0x47, "volume_flow", "m3/min", -7),
    (0x48, 0x4F, "volume_flow", "m3/s", -9),
    (0x50, 0x57, "mass_flow", "kg/h", -3),
    (0x58, 0x5B, "flow_temperature", "C", -3),
    (0x5C, 0x5F, "return_temperature", "C", -3),
    (0x60, 0x63, "temperature_difference", "K", -3),
    (0x64, 0x67, "external_temperature", "C", -3),
    (0x68, 0x6B, "pressure", "bar", -3),
    (0x6C, 0x6C, "date", "date", 0),
    (0x6D, 0x6D, "datetime", "datetime", 0),
    (0x6E, 0x6E, "hca_units", "HCA", 0),
    (0x70, 0x73, "averaging_duration", TIME_UNITS, 0),
    (0x74, 0x77, "actuality_duration", TIME_UNITS, 0),
    (0x78, 0x78, "fabrication_number", "", 0),
    (0x79, 0x79, "enhanced_id", "", 0),
    (0x7A, 0x7A, "bus_address", "", 0),
)
# 6F is reserved, 7B/7D announce the FB/FD tables (only with the extension bit), 7C is
# the plain-text VIF, 7E "any VIF" (readout requests), 7F manufacturer specific: none of
# them has a meaning of its own.

# VIF FB + code: EN 13757-3 alternate extension table (jMBus "table 29 EN 13757-3:2011"). Values
# are in the primary table's base units where one exists (0.1 MWh = 10**5 Wh), so a
# profile converts every energy record the same way.
FB_ROWS: Final[tuple[VifRow, ...]] = (
    (0x00, 0x01, "energy", "Wh", 5),
    (0x02, 0x03, "reactive_energy", "kvarh", 0),
    (0x04, 0x05, "apparent_energy", "kVAh", 0),
    (0x08, 0x09, "energy", "J", 8),
    (0x0C, 0x0F, "energy", "Mcal", -1),
    (0x10, 0x11, "volume", "m3", 2),
    (0x14, 0x17, "reactive_power", "kvar", -3),
    (0x18, 0x19, "mass", "kg", 5),
    (0x1A, 0x1B, "humidity", "%RH", -1),
    (0x21, 0x21, "volume", "ft3", -1),
    (0x22, 0x23, "volume", "gal", -1),
    (0x24, 0x24, "volume_flow", "gal/min", -3),
    (0x25, 0x25, "volume_flow", "gal/min", 0),
    (0x26, 0x26, "volume_flow", "gal/h", 0),
    (0x28, 0x29, "power", "W", 5),
    (0x2C, 0x2F, "frequency", "Hz", -3),
    (0x30, 0x31, "power", "J/h", 8),
    (0x34, 0x37, "apparent_power", "kVA", -3),
    (0x58, 0x5B, "flow_temperature", "F", -3),
    (0x5C, 0x5F, "return_temperature", "F", -3),
    (0x60, 0x63, "temperature_difference", "F", -3),
    (0x64, 0x67, "external_temperature", "F", -3),
    (0x70, 0x73, "cold_warm_temperature_limit", "F", -3),
    (0x74, 0x77, "cold_warm_temperature_limit", "C", -3),
    (0x78, 0x7F, "cumulative_max_power", "W", -3),
)

# VIF FD + code: EN 13757-3 main extension table (jMBus "table 28 EN 13757-3:2013").
FD_ROWS: Final[tuple[VifRow, ...]] = (
    (0x00, 0x03, "credit", "currency", -3),
    (0x04, 0x07, "debit", "currency", -3),
    (0x08, 0x08, "access_number", "", 0),
    (0x09, 0x09, "medium", "", 0),
    (0x0A, 0x0A, "manufacturer", "", 0),
    (0x0B, 0x0B, "parameter_set_id", "", 0),
    (0x0C, 0x0C, "model_version", "", 0),
    (0x0D, 0x0D, "hardware_version", "", 0),
    (0x0E, 0x0E, "firmware_version", "", 0),
    (0x0F, 0x0F, "software_version", "", 0),
    (0x10, 0x10, "customer_location", "", 0),
    (0x11, 0x11, "customer", "", 0),
    (0x12, 0x12, "access_code_user", "", 0),
    (0x13, 0x13, "access_code_operator", "", 0),
    (0x14, 0x14, "access_code_system_operator", "", 0),
    (0x15, 0x15, "access_code_developer", "", 0),
    (0x16, 0x16, "password", "", 0),
    (0x17, 0x17, "error_flags", "", 0),
    (0x18, 0x18, "error_mask", "", 0),
    (0x19, 0x19, "security_key", "", 0),
    (0x1A, 0x1A, "digital_output", "", 0),
    (0x1B, 0x1B, "digital_input", "", 0),
    (0x1C, 0x1C, "baud_rate", "Bd", 0),
    (0x1D, 0x1D, "response_delay", "bit times", 0),
    (0x1E, 0x1E, "retry", "", 0),
    (0x1F, 0x1F, "remote_control", "", 0),
    (0x20, 0x20, "first_storage_number", "", 0),
    (0x21, 0x21, "last_storage_number", "", 0),
    (0x22, 0x22, "storage_block_size", "", 0),
    (0x24, 0x27, "storage_interval", TIME_UNITS, 0),
    (0x28, 0x29, "storage_interval", ("month", "y"), 0),
    (0x2C, 0x2F, "duration_since_readout", TIME_UNITS, 0),
    (0x30, 0x30, "tariff_start", "datetime", 0),
    (0x31, 0x33, "tariff_duration", TIME_UNITS[1:], 0),
    (0x34, 0x37, "tariff_period", TIME_UNITS, 0),
    (0x38, 0x39, "tariff_period", ("month", "y"), 0),
    (0x3A, 0x3A, "dimensionless", "", 0),
    (0x40, 0x4F, "voltage", "V", -9),
    (0x50, 0x5F, "current", "A", -12),
    (0x60, 0x60, "reset_counter", "", 0),
    (0x61, 0x61, "cumulation_counter", "", 0),
    (0x62, 0x62, "control_signal", "", 0),
    (0x63, 0x63, "day_of_week", "", 0),
    (0x64, 0x64, "week_number", "", 0),
    (0x65, 0x65, "day_change_time", "", 0),
    (0x66, 0x66, "parameter_activation_state", "", 0),
    (0x67, 0x67, "special_supplier_information", "", 0),
    (0x68, 0x6B, "duration_since_cumulation", _LONG_TIME_UNITS, 0),
    (0x6C, 0x6F, "battery_operating_time", _LONG_TIME_UNITS, 0),
    (0x70, 0x70, "battery_change_datetime", "datetime", 0),
    (0x71, 0x71, "reception_level", "dBm", 0),
    (0x72, 0x72, "daylight_saving", "", 0),
    (0x73, 0x73, "listening_window", "", 0),
    (0x74, 0x74, "remaining_battery_life", "d", 0),
    (0x75, 0x75, "meter_stop_count", "", 0),
    (0x76, 0x76, "manufacturer_container", "", 0),
)


def _expand(rows: Iterable[VifRow], table: int = 0) -> dict[int, Meaning]:
    """Turn range rows into one entry per code (``table`` is the extension VIF, shifted)."""
    meanings: dict[int, Meaning] = {}
    for first, last, quantity, unit, exponent in rows:
        signed = unit != ""
        decoding = (
            Decoding.TIMESTAMP
            if quantity in TIMESTAMP_QUANTITIES
            else Decoding.RAW
            if quantity in RAW_QUANTITIES
            else Decoding.NUMBER
        )
        for code in range(first, last + 1):
            if isinstance(unit, tuple):
                meaning = Meaning(quantity, unit[code - first], 0, signed, decoding)
            else:
                meaning = Meaning(quantity, unit, exponent + code - first, signed, decoding)
            meanings[table << 8 | code] = meaning
    return meanings


VIF_TABLE_FB: Final = 0xFB
VIF_TABLE_FD: Final = 0xFD
VIF_TABLE_EF: Final = 0xEF
"""Reserved third extension table: the next byte is its code, none is assigned."""
VIF_PLAIN_TEXT: Final = 0x7C
VIF_ANY: Final = 0x7E
VIF_MANUFACTURER: Final = 0x7F

PRIMARY: Final = _expand(PRIMARY_ROWS)
EXTENSION: Final = {**_expand(FB_ROWS, VIF_TABLE_FB), **_expand(FD_ROWS, VIF_TABLE_FD)}
"""FB and FD tables keyed 0xFB00 | code and 0xFD00 | code (EF has no assigned codes)."""


class Effect(Enum):
    """What a combinable (orthogonal) VIFE does to the VIF's meaning."""

    KEEP = "keep"
    """Refines the quantity (direction, phase, limit ...) in the VIF's own unit."""
    SIGNED = "signed"
    """As KEEP, but the value can be negative (a difference)."""
    SCALE = "scale"
    """Multiplies the value by 10**n (correction factor)."""
    COUNT = "count"
    """The value becomes a number of events (limit exceeds), without unit, unsigned."""
    TIMESTAMP = "timestamp"
    """The value becomes the date/time of an event, typed by its size."""
    DURATION = "duration"
    """The value becomes a duration in TIME_UNITS[code & 3]."""
    PROFILE = "profile"
    """The LVAR data is an inverse compact profile of the VIF's quantity."""
    PER_TIME = "per_time"
    """The value becomes a rate: the VIF's unit per PER_TIME_UNITS[code - 0x20]."""


@dataclass(frozen=True, slots=True)
class VifeMeaning:
    """A combinable VIFE's effect; ``exponent`` is the power of ten a SCALE applies."""

    name: str
    effect: Effect
    exponent: int = 0


# A row: (first code, last code, name, effect, exponent of the first code for SCALE).
type VifeRow = tuple[int, int, str, Effect, int]

# EN 13757-3 combinable (orthogonal) VIFE table (wmbusmeters LIST_OF_VIF_COMBINABLES). Codes not
# listed (record error codes 01..1C, "per unit" and "multiplied by" rates, additive
# corrections, OBIS declarations, non-inverse compact profiles ...) leave a record's
# quantity unknown.
COMBINABLE_ROWS: Final[tuple[VifeRow, ...]] = (
    (0x00, 0x00, "no_error", Effect.KEEP, 0),
    (0x13, 0x13, "inverse_compact_profile", Effect.PROFILE, 0),
    (0x1D, 0x1D, "standard_conform", Effect.KEEP, 0),
    (0x20, 0x26, "per_time", Effect.PER_TIME, 0),
    (0x39, 0x39, "start", Effect.TIMESTAMP, 0),
    (0x3A, 0x3A, "uncorrected", Effect.KEEP, 0),
    (0x3B, 0x3B, "forward", Effect.KEEP, 0),
    (0x3C, 0x3C, "backward", Effect.KEEP, 0),
    (0x3E, 0x3E, "base_conditions", Effect.KEEP, 0),
    (0x40, 0x40, "lower_limit", Effect.KEEP, 0),
    (0x41, 0x41, "lower_limit_exceeds", Effect.COUNT, 0),
    (0x42, 0x43, "lower_limit_first_exceed", Effect.TIMESTAMP, 0),
    (0x46, 0x47, "lower_limit_last_exceed", Effect.TIMESTAMP, 0),
    (0x48, 0x48, "upper_limit", Effect.KEEP, 0),
    (0x49, 0x49, "upper_limit_exceeds", Effect.COUNT, 0),
    (0x4A, 0x4B, "upper_limit_first_exceed", Effect.TIMESTAMP, 0),
    (0x4E, 0x4F, "upper_limit_last_exceed", Effect.TIMESTAMP, 0),
    (0x50, 0x53, "lower_limit_first_exceed_duration", Effect.DURATION, 0),
    (0x54, 0x57, "lower_limit_last_exceed_duration", Effect.DURATION, 0),
    (0x58, 0x5B, "upper_limit_first_exceed_duration", Effect.DURATION, 0),
    (0x5C, 0x5F, "upper_limit_last_exceed_duration", Effect.DURATION, 0),
    (0x60, 0x63, "first_duration", Effect.DURATION, 0),
    (0x64, 0x67, "last_duration", Effect.DURATION, 0),
    (0x6A, 0x6B, "first_time", Effect.TIMESTAMP, 0),
    (0x6E, 0x6F, "last_time", Effect.TIMESTAMP, 0),
    (0x70, 0x77, "correction_factor", Effect.SCALE, -6),
    (0x7D, 0x7D, "correction_factor", Effect.SCALE, 3),
    (0x7E, 0x7E, "future_value", Effect.KEEP, 0),
)

# VIFE 7C + code (EN 13757-3:2013 combinable extension; wmbusmeters src/dvparser.h).
COMBINABLE_EXTENSION_ROWS: Final[tuple[VifeRow, ...]] = (
    (0x01, 0x01, "phase_l1", Effect.KEEP, 0),
    (0x02, 0x02, "phase_l2", Effect.KEEP, 0),
    (0x03, 0x03, "phase_l3", Effect.KEEP, 0),
    (0x04, 0x04, "neutral", Effect.KEEP, 0),
    (0x05, 0x05, "phase_l1_l2", Effect.KEEP, 0),
    (0x06, 0x06, "phase_l2_l3", Effect.KEEP, 0),
    (0x07, 0x07, "phase_l3_l1", Effect.KEEP, 0),
    (0x08, 0x0B, "quadrant", Effect.KEEP, 0),
    (0x0C, 0x0C, "import_export_delta", Effect.SIGNED, 0),
    (0x10, 0x10, "absolute_value", Effect.KEEP, 0),
)

PER_TIME_UNITS: Final = ("s", "min", "h", "d", "week", "month", "y")
"""VIFE 20..26: per second, minute, hour, day, week, month, year."""
VIFE_PER_SECOND: Final = 0x20

VIFE_COMBINABLE_EXTENSION: Final = 0x7C
"""Followed by one more byte (e.g. phase L1 = 7C 01); stored as 0x7C00 | next byte."""
VIFE_MANUFACTURER: Final = 0x7F
"""The VIFEs after it and the data are manufacturer specific."""


def _expand_vifes(rows: Iterable[VifeRow], table: int = 0) -> dict[int, VifeMeaning]:
    meanings: dict[int, VifeMeaning] = {}
    for first, last, name, effect, exponent in rows:
        for code in range(first, last + 1):
            shift = exponent + code - first if effect is Effect.SCALE else 0
            meanings[table << 8 | code] = VifeMeaning(name, effect, shift)
    return meanings


COMBINABLE: Final = {
    **_expand_vifes(COMBINABLE_ROWS),
    **_expand_vifes(COMBINABLE_EXTENSION_ROWS, VIFE_COMBINABLE_EXTENSION),
}

VIFE_INVERSE_COMPACT_PROFILE: Final = 0x13
VIFE_FORWARD_FLOW: Final = 0x3B
VIFE_BACKWARD_FLOW: Final = 0x3C
VIFE_ABSOLUTE_VALUE: Final = 0x7C10
"""Accumulation of the absolute value (7C 10); 3D is reserved, not "absolute"."""
PHASE_VIFES: Final = frozenset({0x7C01, 0x7C02, 0x7C03})
KNOWN_VIFES: Final = frozenset(COMBINABLE)
"""Combinable VIFEs this parser understands; any other leaves a record unmapped."""
