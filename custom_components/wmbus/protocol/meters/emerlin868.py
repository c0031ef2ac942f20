"""Elster emerlin868: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/emerlin868.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="emerlin868",
    model="Elster emerlin868",
    media="water",
    detect=(
        mvt("ELR", 0x11, 0x37),
        mvt("ELR", 0x12, 0x37),
    ),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
    ),
)
