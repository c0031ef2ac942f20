"""Apator OP-041A: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/op041a.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="op041a",
    model="Apator OP-041A",
    media="water",
    detect=(mvt("APA", 0x1A, 0x07),),
    fields=(FieldSpec("total_m3", "volume", "m3", medium="water"),),
)
