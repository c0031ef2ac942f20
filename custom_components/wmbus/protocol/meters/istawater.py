"""ista water meter: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/istawater.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="istawater",
    model="ista water meter",
    media="water",
    detect=(mvt("IST", 0x31, 0x07),),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=2),
    ),
)
