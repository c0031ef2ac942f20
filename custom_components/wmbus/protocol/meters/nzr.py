"""EMH nzr: electricity meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/nzr.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="nzr",
    model="EMH nzr",
    media="electricity",
    detect=(
        mvt("NZR", 0x00, 0x02),
        mvt("EMH", 0x00, 0x02),
    ),
    fields=(
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh", tariff=1),
        FieldSpec("current_power_consumption_kw", "power", "kW"),
        FieldSpec("current_power_consumption_1_kw", "power", "kW", storage=2),
        FieldSpec("voltage_at_phase_1_v", "voltage", "V", storage=2),
        FieldSpec("current_at_phase_1_a", "current", "A", storage=2),
        FieldSpec("current_power_consumption_2_kw", "power", "kW", storage=4),
        FieldSpec("voltage_at_phase_2_v", "voltage", "V", storage=4),
        FieldSpec("current_at_phase_2_a", "current", "A", storage=4),
        FieldSpec("current_power_consumption_3_kw", "power", "kW", storage=6),
        FieldSpec("voltage_at_phase_3_v", "voltage", "V", storage=6),
        FieldSpec("current_at_phase_3_a", "current", "A", storage=6),
        TPL_STATUS_ERRORS,
    ),
)
