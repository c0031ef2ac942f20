"""Apator elf: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/elf.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="elf",
    model="Apator elf",
    media="heat",
    detect=(mvt("APA", 0x40, 0x04),),
    fields=(
        FieldSpec("operating_time_h", "operating_time", "h"),
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("current_power_consumption_kw", "power", "kW"),
        FieldSpec("total_volume_m3", "volume", "m3"),
        FieldSpec("total_energy_consumption_at_date_kwh", "energy", "kWh", storage=1),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("return_temperature_c", "return_temperature", "C"),
        FieldSpec("external_temperature_c", "external_temperature", "C"),
        FieldSpec("battery_v", "voltage", "V"),
        TPL_STATUS_ERRORS,
    ),
)
