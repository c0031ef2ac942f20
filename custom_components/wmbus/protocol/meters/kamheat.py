"""Kamstrup Multical 403/603/803: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/kamheat.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .layout import error_flags
from .profile import BACKWARD_FLOW, ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

COMPACT_FORMATS: Final = (
    bytes.fromhex(
        "02f9ff15040604eeff0704eeff0804148440148480401402fd17026c426c44064414c44014c4804014043b0259025d"
    ),
    bytes.fromhex("030643060314426c022d01ff21"),
    bytes.fromhex("030e430e0313426c022d01ff21"),
    bytes.fromhex("040604ff0704ff080414043b0259025d04ff22026c44064414426c"),
    bytes.fromhex(
        "040f04ff0704ff08041484401484804014043b0259025d142d84100f84200f04ff22026c440f4414c44014c4804014426c"
    ),
    bytes.fromhex("0406041404ff0704ff080259025d023b02ff22026c44064414426c"),
)
"""Compact-frame formats the meter sends (wmbusmeters compact_frame_formats)."""

PROFILE: Final = MeterProfile(
    name="kamheat",
    model="Kamstrup Multical 403/603/803",
    media="heat",
    detect=(
        mvt("KAM", 0x30, 0x04, 0x0C, 0x0D),
        mvt("KAM", 0x40, 0x04, 0x0C, 0x0D),
        mvt("KAM", 0x19, 0x04),
        mvt("KAM", 0x34, 0x04, 0x0A, 0x0B, 0x0C, 0x0D),
        mvt("KAM", 0x1C, 0x04),
        mvt("KAM", 0x35, 0x04, 0x0C),
        mvt("KAM", 0x39, 0x04),
    ),
    record_formats=COMPACT_FORMATS,
    # Info codes (alarm bits, 32 or 16 bit): kamheat.xmq's status fields.
    record_layouts={
        bytes.fromhex("04ff22"): error_flags(4),
        bytes.fromhex("02ff22"): error_flags(2),
    },
    fields=(
        ERROR_FLAGS,
        FieldSpec("on_time_h", "on_time", "h"),
        FieldSpec("on_time_at_error_h", "on_time", "h", function=Function.ERROR_STATE),
        FieldSpec("flow_return_temperature_difference_c", "temperature_difference", "K"),
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("total_energy_backward_kwh", "energy", "kWh", vifes=BACKWARD_FLOW),
        FieldSpec("total_volume_m3", "volume", "m3"),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("power_kw", "power", "kW"),
        FieldSpec("max_power_kw", "power", "kW", function=Function.MAXIMUM),
        FieldSpec("t1_temperature_c", "flow_temperature", "C"),
        FieldSpec("t2_temperature_c", "return_temperature", "C"),
        FieldSpec("max_flow_m3h", "volume_flow", "m3/h", function=Function.MAXIMUM),
        FieldSpec("target_energy_kwh", "energy", "kWh", storage=1),
        FieldSpec("target_energy_backward_kwh", "energy", "kWh", vifes=BACKWARD_FLOW, storage=1),
        FieldSpec("target_volume_m3", "volume", "m3", storage=1),
        TPL_STATUS_ERRORS,
    ),
)
