"""Zenner c5isf: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/c5isf.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="c5isf",
    model="Zenner c5isf",
    media="heat",
    detect=(mvt("ZRI", 0x88, 0x04, 0x07, 0x0D),),
    fields=(
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("total_cooling_consumption_kwh", "energy", "kWh", tariff=1, role="cooling"),
        FieldSpec("total_volume_m3", "volume", "m3"),
        FieldSpec("prev_1_month_kwh", "energy", "kWh", storage=32),
        FieldSpec("prev_2_month_kwh", "energy", "kWh", storage=33),
        FieldSpec("prev_3_month_kwh", "energy", "kWh", storage=34),
        FieldSpec("prev_4_month_kwh", "energy", "kWh", storage=35),
        FieldSpec("prev_5_month_kwh", "energy", "kWh", storage=36),
        FieldSpec("prev_6_month_kwh", "energy", "kWh", storage=37),
        FieldSpec("prev_7_month_kwh", "energy", "kWh", storage=38),
        FieldSpec("prev_8_month_kwh", "energy", "kWh", storage=39),
        FieldSpec("prev_9_month_kwh", "energy", "kWh", storage=40),
        FieldSpec("prev_10_month_kwh", "energy", "kWh", storage=41),
        FieldSpec("prev_11_month_kwh", "energy", "kWh", storage=42),
        FieldSpec("prev_12_month_kwh", "energy", "kWh", storage=43),
        FieldSpec("prev_13_month_kwh", "energy", "kWh", storage=44),
        FieldSpec("prev_14_month_kwh", "energy", "kWh", storage=45),
        FieldSpec("prev_1_month_m3", "volume", "m3", storage=32),
        FieldSpec("prev_2_month_m3", "volume", "m3", storage=33),
        FieldSpec("prev_3_month_m3", "volume", "m3", storage=34),
        FieldSpec("prev_4_month_m3", "volume", "m3", storage=35),
        FieldSpec("prev_5_month_m3", "volume", "m3", storage=36),
        FieldSpec("prev_6_month_m3", "volume", "m3", storage=37),
        FieldSpec("prev_7_month_m3", "volume", "m3", storage=38),
        FieldSpec("prev_8_month_m3", "volume", "m3", storage=39),
        FieldSpec("prev_9_month_m3", "volume", "m3", storage=40),
        FieldSpec("prev_10_month_m3", "volume", "m3", storage=41),
        FieldSpec("prev_11_month_m3", "volume", "m3", storage=42),
        FieldSpec("prev_12_month_m3", "volume", "m3", storage=43),
        FieldSpec("prev_13_month_m3", "volume", "m3", storage=44),
        FieldSpec("prev_14_month_m3", "volume", "m3", storage=45),
        FieldSpec("due_energy_consumption_kwh", "energy", "kWh", storage=8),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("power_kw", "power", "kW"),
        FieldSpec("total_energy_consumption_last_month_kwh", "energy", "kWh", storage=32),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("return_temperature_c", "return_temperature", "C"),
        TPL_STATUS_ERRORS,
    ),
)
