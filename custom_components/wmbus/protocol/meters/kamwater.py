"""Kamstrup Multical 21 / flowIQ: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/kamwater.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .layout import error_flags
from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

COMPACT_FORMATS: Final = (
    bytes.fromhex("02ff2004134413615b6167"),
    bytes.fromhex("02ff20041392013ba1015b8101e7ff0f"),
    bytes.fromhex("04ff234413523b06ff1b426c61675167023b04138101e7ff0f"),
    bytes.fromhex("02ff2004134413426c523b615b616751678101e7ff0f06ff1b"),
    bytes.fromhex("02ff2004134413a1015b8101e7ff0f"),
    bytes.fromhex("02ff2004134413615b5167"),
    bytes.fromhex("02ff2004134413"),
    bytes.fromhex("02ff200413523b"),
    bytes.fromhex("04ff2304134413426c023b92013ba2013b06ff1ba1015b91015ba10167"),
)
"""Compact-frame formats the meter sends (wmbusmeters compact_frame_formats)."""

MULTICAL21_ALARMS: Final = 0x000F
FLOWIQ_ALARMS: Final = 0x00FF

PROFILE: Final = MeterProfile(
    name="kamwater",
    model="Kamstrup Multical 21 / flowIQ",
    media="water",
    detect=(
        mvt("KAM", 0x1B, 0x06, 0x16),
        mvt("KAW", 0x3A, 0x16),
        mvt("KAW", 0x3C, 0x16),
        mvt("KAM", 0x1D, 0x16),
        mvt("KAW", 0x42, 0x06, 0x16),
    ),
    record_formats=COMPACT_FORMATS,
    # Info codes (wmbusmeters drivers/src/kamwater.xmq): Multical 21 (16 bit) alarms DRY,
    # REVERSE, LEAK, BURST in bits 0..3, the rest are durations; flowIQ (32 bit) adds
    # TAMPER, LOW_BATTERY, LOW_AMBIENT_TEMPERATURE, FLOW_ABOVE_Q4 in bits 4..7 (bit 9 "no
    # consumption" is no alarm).
    record_layouts={
        bytes.fromhex("02ff20"): error_flags(2, MULTICAL21_ALARMS),
        bytes.fromhex("04ff23"): error_flags(4, FLOWIQ_ALARMS),
    },
    fields=(
        ERROR_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        FieldSpec("flow_m3h", "volume_flow", "m3/h"),
        FieldSpec(
            "flow_temperature_c", "flow_temperature", "C", storage=1, function=Function.MINIMUM
        ),
        FieldSpec(
            "min_external_temperature_last_month_c",
            "external_temperature",
            "C",
            storage=1,
            function=Function.MINIMUM,
        ),
        FieldSpec(
            "min_external_temperature_last_day_c",
            "external_temperature",
            "C",
            storage=2,
            function=Function.MINIMUM,
        ),
        FieldSpec("max_flow_m3h", "volume_flow", "m3/h", storage=2, function=Function.MAXIMUM),
        FieldSpec(
            "min_flow_temperature_c", "flow_temperature", "C", storage=2, function=Function.MINIMUM
        ),
        FieldSpec(
            "max_flow_temperature_c", "flow_temperature", "C", storage=2, function=Function.MAXIMUM
        ),
        FieldSpec(
            "max_external_temperature_c",
            "external_temperature",
            "C",
            storage=1,
            function=Function.MAXIMUM,
        ),
        FieldSpec("min_flow_m3h", "volume_flow", "m3/h", storage=2, function=Function.MINIMUM),
        TPL_STATUS_ERRORS,
    ),
)
