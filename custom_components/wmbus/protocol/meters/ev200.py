"""Elster ev200: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/ev200.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="ev200",
    model="Elster ev200",
    media="water",
    detect=(mvt("ELR", 0x0D, 0x07),),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
    ),
)
