"""BMeters Hydrocal M3: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/hydrocalm3.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="hydrocalm3",
    model="BMeters Hydrocal M3",
    media="heat",
    detect=(mvt("BMT", 0x0B, 0x0D),),
    fields=(
        FieldSpec("total_heating_kwh", "energy", "kWh", role="heating"),
        FieldSpec("total_cooling_kwh", "energy", "kWh"),
        FieldSpec("total_heating_m3", "volume", "m3", role="heating"),
        FieldSpec("total_cooling_m3", "volume", "m3"),
        FieldSpec("c1_volume_m3", "volume", "m3"),
        FieldSpec("c2_volume_m3", "volume", "m3"),
        FieldSpec("supply_temperature_c", "flow_temperature", "C"),
        FieldSpec("return_temperature_c", "return_temperature", "C"),
        TPL_STATUS_ERRORS,
    ),
)
