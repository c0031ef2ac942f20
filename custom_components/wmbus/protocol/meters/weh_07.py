"""Wehrle weh_07: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/weh_07.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="weh_07",
    model="Wehrle weh_07",
    media="water",
    detect=(
        mvt("WEH", 0xFE, 0x07),
        mvt("WEH", 0x03, 0x07),
    ),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
    ),
)
