"""ESY esyswm: electricity meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/esyswm.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import BACKWARD_FLOW, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="esyswm",
    model="ESY esyswm",
    media="electricity",
    detect=(
        mvt("ESY", 0x30, 0x37),
        mvt("ESY", 0x11, 0x02),
    ),
    fields=(
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("current_power_consumption_kw", "power", "kW"),
        FieldSpec("total_energy_production_kwh", "energy", "kWh", vifes=BACKWARD_FLOW),
        FieldSpec("total_energy_consumption_tariff1_kwh", "energy", "kWh", tariff=1),
        FieldSpec("total_energy_consumption_tariff2_kwh", "energy", "kWh", tariff=2),
    ),
)
