"""Apator Amiplus: electricity meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/amiplus.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .profile import AT_PHASE_1, AT_PHASE_2, AT_PHASE_3, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="amiplus",
    model="Apator Amiplus",
    media="electricity",
    detect=(
        mvt("APA", 0x02, 0x02),
        mvt("DEV", 0x02, 0x37),
        mvt("DEV", 0x00, 0x02),
        mvt("DEV", 0x01, 0x02),
        mvt("NES", 0x03, 0x02),
        mvt("APA", 0x01, 0x02),
        mvt("APT", 0x01, 0x02),
    ),
    fields=(
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("current_power_consumption_kw", "power", "kW"),
        FieldSpec("voltage_at_phase_1_v", "voltage", "V", vifes=AT_PHASE_1),
        FieldSpec("voltage_at_phase_2_v", "voltage", "V", vifes=AT_PHASE_2),
        FieldSpec("voltage_at_phase_3_v", "voltage", "V", vifes=AT_PHASE_3),
        FieldSpec("total_energy_consumption_tariff_1_kwh", "energy", "kWh", tariff=1),
        FieldSpec("total_energy_consumption_tariff_2_kwh", "energy", "kWh", tariff=2),
        FieldSpec("total_energy_consumption_tariff_3_kwh", "energy", "kWh", tariff=3),
        FieldSpec("max_power_consumption_kw", "power", "kW", function=Function.MAXIMUM),
    ),
)
