"""ELT eltako: electricity meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/eltako.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="eltako",
    model="ELT eltako",
    media="electricity",
    detect=(mvt("ELT", 0x01, 0x02),),
    fields=(
        FieldSpec("total_tariff_1_kwh", "energy", "kWh", tariff=1),
        FieldSpec("total_tariff_2_kwh", "energy", "kWh", tariff=2),
    ),
)
