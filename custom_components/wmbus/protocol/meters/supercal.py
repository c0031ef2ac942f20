"""Sontex Supercal: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/supercal.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="supercal",
    model="Sontex Supercal",
    media="heat",
    detect=(mvt("SON", 0x1B, 0x04),),
    fields=(
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("return_temperature_c", "return_temperature", "C"),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("total_kwh", "energy", "kWh"),
        FieldSpec("total_m3", "volume", "m3"),
        FieldSpec("target_kwh", "energy", "kWh", storage=20),
        FieldSpec("target_m3", "volume", "m3", storage=20),
        FieldSpec("power_kw", "power", "kW"),
    ),
)
