"""Lansen lansendw: door/window sensor sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/lansendw.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="lansendw",
    model="Lansen lansendw",
    media="door/window sensor",
    detect=(mvt("LAS", 0x07, 0x1D),),
)
