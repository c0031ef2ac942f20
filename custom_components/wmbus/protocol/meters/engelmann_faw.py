"""Engelmann FAW: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/engelmann_faw.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

COMPACT_FORMATS: Final = (
    bytes.fromhex(
        "426c441301fd17840113c40113840213c40213840313c40313840413c40413840513c40513840613c40613840713c40713840813046d0413"
    ),
)
"""Compact-frame formats the meter sends (wmbusmeters compact_frame_formats)."""

PROFILE: Final = MeterProfile(
    name="engelmann_faw",
    model="Engelmann FAW",
    media="water",
    detect=(mvt("EFE", 0x00, 0x07),),
    record_formats=COMPACT_FORMATS,
    fields=(
        ERROR_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("consumption_at_reporting_date_m3", "volume", "m3", storage=1),
        FieldSpec("consumption_1_months_ago_m3", "volume", "m3", storage=2),
        FieldSpec("consumption_2_months_ago_m3", "volume", "m3", storage=3),
        FieldSpec("consumption_3_months_ago_m3", "volume", "m3", storage=4),
        FieldSpec("consumption_4_months_ago_m3", "volume", "m3", storage=5),
        FieldSpec("consumption_5_months_ago_m3", "volume", "m3", storage=6),
        FieldSpec("consumption_6_months_ago_m3", "volume", "m3", storage=7),
        FieldSpec("consumption_7_months_ago_m3", "volume", "m3", storage=8),
        FieldSpec("consumption_8_months_ago_m3", "volume", "m3", storage=9),
        FieldSpec("consumption_9_months_ago_m3", "volume", "m3", storage=10),
        FieldSpec("consumption_10_months_ago_m3", "volume", "m3", storage=11),
        FieldSpec("consumption_11_months_ago_m3", "volume", "m3", storage=12),
        FieldSpec("consumption_12_months_ago_m3", "volume", "m3", storage=13),
        FieldSpec("consumption_13_months_ago_m3", "volume", "m3", storage=14),
        FieldSpec("consumption_14_months_ago_m3", "volume", "m3", storage=15),
        FieldSpec("consumption_15_months_ago_m3", "volume", "m3", storage=16),
        TPL_STATUS_ERRORS,
    ),
)
