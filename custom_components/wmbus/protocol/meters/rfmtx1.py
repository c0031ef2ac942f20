"""BMeters RFM-TX1: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/rfmtx1.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="rfmtx1",
    model="BMeters RFM-TX1",
    media="water",
    detect=(mvt("BMT", 0x05, 0x07),),
)
