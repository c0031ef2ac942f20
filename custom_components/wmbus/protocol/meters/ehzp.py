"""EMH ehzp: electricity meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/ehzp.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import BACKWARD_FLOW, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="ehzp",
    model="EMH ehzp",
    media="electricity",
    detect=(mvt("EMH", 0x02, 0x02),),
    fields=(
        FieldSpec("on_time_h", "on_time", "h"),
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("current_power_consumption_kw", "power", "kW"),
        FieldSpec("total_energy_production_kwh", "energy", "kWh", vifes=BACKWARD_FLOW),
        TPL_STATUS_ERRORS,
    ),
)
