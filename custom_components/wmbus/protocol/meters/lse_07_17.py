"""Qundis/Seppele water meter: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/lse_07_17.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="lse_07_17",
    model="Qundis/Seppele water meter",
    media="water",
    detect=(
        mvt("LSE", 0x18, 0x06, 0x07),
        mvt("LSE", 0x16, 0x07),
        mvt("LSE", 0x17, 0x07),
        mvt("LSE", 0xD8, 0x07),
    ),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("due_m3", "volume", "m3", storage=1),
        FieldSpec("consumption_at_set_date_8_m3", "volume", "m3", storage=8),
    ),
)
