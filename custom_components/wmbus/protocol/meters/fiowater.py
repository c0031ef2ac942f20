"""Fiorentini fiowater: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/fiowater.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="fiowater",
    model="Fiorentini fiowater",
    media="water",
    detect=(mvt("FIO", 0x01, 0x07),),
    fields=(FieldSpec("total_m3", "volume", "m3", medium="water"),),
)
