"""Lansen lansenpu: pulse counter meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/lansenpu.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="lansenpu",
    model="Lansen lansenpu",
    media="pulse counter",
    detect=(
        mvt("LAS", 0x14, 0x00),
        mvt("LAS", 0x1B, 0x00),
        mvt("LAS", 0x0B, 0x02),
    ),
)
