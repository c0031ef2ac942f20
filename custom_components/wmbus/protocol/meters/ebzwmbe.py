"""EBZ ebzwmbe: electricity meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/ebzwmbe.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="ebzwmbe",
    model="EBZ ebzwmbe",
    media="electricity",
    detect=(mvt("EBZ", 0x01, 0x02),),
    fields=(FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),),
)
