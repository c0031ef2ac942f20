"""Apator Elf 2: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/elf2.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="elf2",
    model="Apator Elf 2",
    media="heat",
    detect=(mvt("APA", 0x42, 0x04, 0x0D),),
    fields=(
        ERROR_FLAGS,
        FieldSpec("on_time_h", "on_time", "h"),
        FieldSpec("on_time_at_error_h", "on_time", "h", function=Function.ERROR_STATE),
        FieldSpec("t2_temperature_c", "return_temperature", "C"),
        FieldSpec("t1_temperature_c", "flow_temperature", "C"),
        FieldSpec("current_power_kw", "power", "kW"),
        FieldSpec("current_volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("total_volume_m3", "volume", "m3"),
        FieldSpec("total_volume_cooling_m3", "volume", "m3", subunit=1, role="cooling"),
        FieldSpec("input1_volume_m3", "volume", "m3", tariff=1),
        FieldSpec("input2_volume_m3", "volume", "m3", tariff=2),
        FieldSpec("total_energy_kwh", "energy", "kWh"),
        FieldSpec("total_energy_cooling_kwh", "energy", "kWh", subunit=1, role="cooling"),
        FieldSpec("total_energy_period_kwh", "energy", "kWh", storage=1),
        FieldSpec(
            "total_energy_cooling_period_kwh", "energy", "kWh", storage=1, subunit=1, role="cooling"
        ),
        TPL_STATUS_ERRORS,
    ),
)
