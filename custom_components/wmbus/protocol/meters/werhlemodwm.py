"""WZG werhlemodwm: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/werhlemodwm.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="werhlemodwm",
    model="WZG werhlemodwm",
    media="water",
    detect=(mvt("WZG", 0x03, 0x16),),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        FieldSpec("target_1_m3", "volume", "m3", storage=1),
        FieldSpec("target_2_m3", "volume", "m3", storage=2),
        FieldSpec("target_3_m3", "volume", "m3", storage=3),
        FieldSpec("target_4_m3", "volume", "m3", storage=4),
        FieldSpec("target_5_m3", "volume", "m3", storage=5),
        FieldSpec("target_6_m3", "volume", "m3", storage=6),
        FieldSpec("target_7_m3", "volume", "m3", storage=7),
        FieldSpec("target_8_m3", "volume", "m3", storage=8),
        FieldSpec("target_9_m3", "volume", "m3", storage=9),
        FieldSpec("target_10_m3", "volume", "m3", storage=10),
        FieldSpec("target_11_m3", "volume", "m3", storage=11),
        FieldSpec("target_12_m3", "volume", "m3", storage=12),
        FieldSpec("target_13_m3", "volume", "m3", storage=13),
    ),
)
