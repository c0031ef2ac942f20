"""AAA aventieswm: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/aventieswm.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="aventieswm",
    model="AAA aventieswm",
    media="water",
    detect=(mvt("AAA", 0x25, 0x07),),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("consumption_at_set_date_1_m3", "volume", "m3", storage=1),
        FieldSpec("consumption_at_set_date_2_m3", "volume", "m3", storage=2),
        FieldSpec("consumption_at_set_date_3_m3", "volume", "m3", storage=3),
        FieldSpec("consumption_at_set_date_4_m3", "volume", "m3", storage=4),
        FieldSpec("consumption_at_set_date_5_m3", "volume", "m3", storage=5),
        FieldSpec("consumption_at_set_date_6_m3", "volume", "m3", storage=6),
        FieldSpec("consumption_at_set_date_7_m3", "volume", "m3", storage=7),
        FieldSpec("consumption_at_set_date_8_m3", "volume", "m3", storage=8),
        FieldSpec("consumption_at_set_date_9_m3", "volume", "m3", storage=9),
        FieldSpec("consumption_at_set_date_10_m3", "volume", "m3", storage=10),
        FieldSpec("consumption_at_set_date_11_m3", "volume", "m3", storage=11),
        FieldSpec("consumption_at_set_date_12_m3", "volume", "m3", storage=12),
        FieldSpec("consumption_at_set_date_13_m3", "volume", "m3", storage=13),
        FieldSpec("consumption_at_set_date_14_m3", "volume", "m3", storage=14),
        TPL_STATUS_ERRORS,
    ),
)
