"""Engelmann SensoStar: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/sensostar.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="sensostar",
    model="Engelmann SensoStar",
    media="heat",
    detect=(mvt("EFE", 0x00, 0x04),),
    fields=(
        ERROR_FLAGS,
        FieldSpec("on_time_h", "on_time", "h"),
        FieldSpec("total_kwh", "energy", "kWh"),
        FieldSpec("total_water_m3", "volume", "m3"),
        FieldSpec("total_water_tariff2_m3", "volume", "m3", tariff=2),
        FieldSpec("target_water_m3", "volume", "m3", storage=1),
        FieldSpec("power_kw", "power", "kW"),
        FieldSpec("power_max_kw", "power", "kW", function=Function.MAXIMUM),
        FieldSpec("flow_water_m3h", "volume_flow", "m3/h"),
        FieldSpec("flow_water_max_m3h", "volume_flow", "m3/h", function=Function.MAXIMUM),
        FieldSpec("forward_c", "flow_temperature", "C"),
        FieldSpec("return_c", "return_temperature", "C"),
        FieldSpec("difference_c", "temperature_difference", "K"),
        FieldSpec("target_kwh", "energy", "kWh", storage=1),
        FieldSpec("target_2_kwh", "energy", "kWh", storage=2),
        FieldSpec("target_3_kwh", "energy", "kWh", storage=3),
        FieldSpec("target_4_kwh", "energy", "kWh", storage=4),
        FieldSpec("target_5_kwh", "energy", "kWh", storage=5),
        FieldSpec("target_6_kwh", "energy", "kWh", storage=6),
        FieldSpec("target_7_kwh", "energy", "kWh", storage=7),
        FieldSpec("target_8_kwh", "energy", "kWh", storage=8),
        FieldSpec("target_9_kwh", "energy", "kWh", storage=9),
        FieldSpec("target_10_kwh", "energy", "kWh", storage=10),
        FieldSpec("target_11_kwh", "energy", "kWh", storage=11),
        FieldSpec("target_12_kwh", "energy", "kWh", storage=12),
        FieldSpec("target_13_kwh", "energy", "kWh", storage=13),
        FieldSpec("target_14_kwh", "energy", "kWh", storage=14),
        FieldSpec("target_15_kwh", "energy", "kWh", storage=15),
        FieldSpec("target_16_kwh", "energy", "kWh", storage=16),
        FieldSpec("target_17_kwh", "energy", "kWh", storage=17),
        FieldSpec("target_18_kwh", "energy", "kWh", storage=18),
        FieldSpec("target_19_kwh", "energy", "kWh", storage=19),
        FieldSpec("target_20_kwh", "energy", "kWh", storage=20),
        FieldSpec("target_21_kwh", "energy", "kWh", storage=21),
        FieldSpec("target_22_kwh", "energy", "kWh", storage=22),
        FieldSpec("target_23_kwh", "energy", "kWh", storage=23),
        FieldSpec("target_24_kwh", "energy", "kWh", storage=24),
        FieldSpec("target_25_kwh", "energy", "kWh", storage=25),
        FieldSpec("target_26_kwh", "energy", "kWh", storage=26),
        FieldSpec("target_27_kwh", "energy", "kWh", storage=27),
        FieldSpec("target_28_kwh", "energy", "kWh", storage=28),
        FieldSpec("target_29_kwh", "energy", "kWh", storage=29),
        FieldSpec("target_30_kwh", "energy", "kWh", storage=30),
        FieldSpec("target_31_kwh", "energy", "kWh", storage=31),
        FieldSpec("target_32_kwh", "energy", "kWh", storage=32),
        TPL_STATUS_ERRORS,
    ),
)
