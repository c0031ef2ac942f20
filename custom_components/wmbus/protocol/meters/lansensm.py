"""Lansen lansensm: smoke detector sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/lansensm.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="lansensm",
    model="Lansen lansensm",
    media="smoke detector",
    detect=(mvt("LAS", 0x03, 0x1A),),
)
