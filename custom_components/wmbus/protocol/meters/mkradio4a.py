"""Techem MK Radio 4a: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/mkradio4a.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="mkradio4a",
    model="Techem MK Radio 4a",
    media="water",
    detect=(
        mvt("HYD", 0xFE, 0x06),
        mvt("TCH", 0x95, 0x37),
    ),
    fields=(FieldSpec("target_m3", "volume", "m3", storage=1),),
)
