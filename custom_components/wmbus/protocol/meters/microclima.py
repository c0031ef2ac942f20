"""Maddalena microclima: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/microclima.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="microclima",
    model="Maddalena microclima",
    media="heat",
    detect=(mvt("MAD", 0x00, 0x04),),
    fields=(
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("return_temperature_c", "return_temperature", "C"),
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("total_volume_m3", "volume", "m3"),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("power_kw", "power", "kW"),
        FieldSpec("temperature_difference_c", "temperature_difference", "K"),
        FieldSpec("consumption_at_set_date_1_kwh", "energy", "kWh", storage=1),
        FieldSpec("consumption_at_set_date_2_kwh", "energy", "kWh", storage=2),
        FieldSpec("consumption_at_set_date_3_kwh", "energy", "kWh", storage=3),
        FieldSpec("consumption_at_set_date_4_kwh", "energy", "kWh", storage=4),
        FieldSpec("consumption_at_set_date_5_kwh", "energy", "kWh", storage=5),
        FieldSpec("consumption_at_set_date_6_kwh", "energy", "kWh", storage=6),
        FieldSpec("consumption_at_set_date_7_kwh", "energy", "kWh", storage=7),
        FieldSpec("consumption_at_set_date_8_kwh", "energy", "kWh", storage=8),
        FieldSpec("consumption_at_set_date_9_kwh", "energy", "kWh", storage=9),
        FieldSpec("consumption_at_set_date_10_kwh", "energy", "kWh", storage=10),
        FieldSpec("consumption_at_set_date_11_kwh", "energy", "kWh", storage=11),
        FieldSpec("consumption_at_set_date_12_kwh", "energy", "kWh", storage=12),
        FieldSpec("consumption_at_set_date_13_kwh", "energy", "kWh", storage=13),
        FieldSpec("consumption_at_set_date_14_kwh", "energy", "kWh", storage=14),
        FieldSpec("consumption_at_set_date_15_kwh", "energy", "kWh", storage=15),
        FieldSpec("consumption_at_set_date_16_kwh", "energy", "kWh", storage=16),
        FieldSpec("consumption_at_set_date_17_kwh", "energy", "kWh", storage=17),
        FieldSpec("consumption_at_set_date_18_kwh", "energy", "kWh", storage=18),
        FieldSpec("consumption_at_set_date_19_kwh", "energy", "kWh", storage=19),
        FieldSpec("consumption_at_set_date_20_kwh", "energy", "kWh", storage=20),
        FieldSpec("consumption_at_set_date_21_kwh", "energy", "kWh", storage=21),
        FieldSpec("consumption_at_set_date_22_kwh", "energy", "kWh", storage=22),
        FieldSpec("consumption_at_set_date_23_kwh", "energy", "kWh", storage=23),
        FieldSpec("consumption_at_set_date_24_kwh", "energy", "kWh", storage=24),
        FieldSpec("consumption_at_set_date_25_kwh", "energy", "kWh", storage=25),
        FieldSpec("consumption_at_set_date_26_kwh", "energy", "kWh", storage=26),
        FieldSpec("consumption_at_set_date_27_kwh", "energy", "kWh", storage=27),
        FieldSpec("consumption_at_set_date_28_kwh", "energy", "kWh", storage=28),
        FieldSpec("consumption_at_set_date_29_kwh", "energy", "kWh", storage=29),
        FieldSpec("consumption_at_set_date_30_kwh", "energy", "kWh", storage=30),
        FieldSpec("consumption_at_set_date_31_kwh", "energy", "kWh", storage=31),
        TPL_STATUS_ERRORS,
    ),
)
