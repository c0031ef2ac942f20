"""Diehl water meter: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/dme_07.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="dme_07",
    model="Diehl water meter",
    media="water",
    detect=(mvt("DME", 0x7B, 0x07),),
    fields=(FieldSpec("total_m3", "volume", "m3", medium="water"),),
)
