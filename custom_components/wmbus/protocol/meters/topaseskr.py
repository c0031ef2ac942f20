"""Aquametro topaseskr: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/topaseskr.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="topaseskr",
    model="Aquametro topaseskr",
    media="water",
    detect=(mvt("AMT", 0xF1, 0x06, 0x07),),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("temperature_c", "flow_temperature", "C"),
        FieldSpec("current_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("volume_year_period_m3", "volume", "m3", storage=1),
        FieldSpec("reverse_volume_year_period_m3", "volume", "m3", storage=1, tariff=1),
        FieldSpec("volume_month_period_m3", "volume", "m3", storage=3),
    ),
)
