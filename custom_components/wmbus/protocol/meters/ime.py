"""IME ime: electricity meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/ime.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="ime",
    model="IME ime",
    media="electricity",
    detect=(mvt("IME", 0x66, 0x02),),
)
