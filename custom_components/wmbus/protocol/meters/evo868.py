"""Maddalena EVO 868: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/evo868.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="evo868",
    model="Maddalena EVO 868",
    media="water",
    detect=(mvt("MAD", 0x50, 0x06, 0x07, 0x16),),
    fields=(
        ERROR_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("consumption_at_set_date_m3", "volume", "m3", storage=1),
        FieldSpec("consumption_at_set_date_2_m3", "volume", "m3", storage=2),
        FieldSpec(
            "max_flow_since_datetime_m3h",
            "volume_flow",
            "m3/h",
            storage=3,
            function=Function.MAXIMUM,
        ),
        FieldSpec("consumption_at_history_1_m3", "volume", "m3", storage=8),
        FieldSpec("consumption_at_history_2_m3", "volume", "m3", storage=9),
        FieldSpec("consumption_at_history_3_m3", "volume", "m3", storage=10),
        FieldSpec("consumption_at_history_4_m3", "volume", "m3", storage=11),
        FieldSpec("consumption_at_history_5_m3", "volume", "m3", storage=12),
        FieldSpec("consumption_at_history_6_m3", "volume", "m3", storage=13),
        FieldSpec("consumption_at_history_7_m3", "volume", "m3", storage=14),
        FieldSpec("consumption_at_history_8_m3", "volume", "m3", storage=15),
        FieldSpec("consumption_at_history_9_m3", "volume", "m3", storage=16),
        FieldSpec("consumption_at_history_10_m3", "volume", "m3", storage=17),
        FieldSpec("consumption_at_history_11_m3", "volume", "m3", storage=18),
        FieldSpec("consumption_at_history_12_m3", "volume", "m3", storage=19),
        TPL_STATUS_ERRORS,
    ),
)
