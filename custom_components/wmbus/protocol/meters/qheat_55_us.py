"""Qundis Q heat 5.5 US: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/qheat_55_us.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="qheat_55_us",
    model="Qundis Q heat 5.5 US",
    media="heat",
    detect=(
        mvt("LUG", 0x07, 0x04),
        mvt("LUG", 0x0A, 0x04),
    ),
    fields=(
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("key_datetime_kwh", "energy", "kWh", storage=1),
        FieldSpec("prev_1_month_kwh", "energy", "kWh", storage=2),
        FieldSpec("prev_2_month_kwh", "energy", "kWh", storage=3),
        FieldSpec("prev_3_month_kwh", "energy", "kWh", storage=4),
        FieldSpec("prev_4_month_kwh", "energy", "kWh", storage=5),
        FieldSpec("prev_5_month_kwh", "energy", "kWh", storage=6),
        FieldSpec("prev_6_month_kwh", "energy", "kWh", storage=7),
        FieldSpec("prev_7_month_kwh", "energy", "kWh", storage=8),
        FieldSpec("prev_8_month_kwh", "energy", "kWh", storage=9),
        FieldSpec("prev_9_month_kwh", "energy", "kWh", storage=10),
        FieldSpec("prev_10_month_kwh", "energy", "kWh", storage=11),
        FieldSpec("prev_11_month_kwh", "energy", "kWh", storage=12),
        FieldSpec("prev_12_month_kwh", "energy", "kWh", storage=13),
        FieldSpec("prev_13_month_kwh", "energy", "kWh", storage=14),
        FieldSpec("actuality_duration_s", "actuality_duration", "s"),
        FieldSpec("time_without_measurement_h", "on_time", "h", function=Function.ERROR_STATE),
    ),
)
