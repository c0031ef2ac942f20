"""Apator unismart: gas meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/unismart.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="unismart",
    model="Apator unismart",
    media="gas",
    detect=(mvt("AMX", 0x01, 0x03),),
)
