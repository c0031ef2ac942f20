"""BMeters Hydrocal M4: heat/cooling load meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/hydrocalm4.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="hydrocalm4",
    model="BMeters Hydrocal M4",
    media="heat/cooling load",
    detect=(mvt("BMT", 0x1A, 0x0D),),
    fields=(
        FieldSpec("total_heating_kwh", "energy", "kWh", role="heating"),
        FieldSpec("total_cooling_kwh", "energy", "kWh", tariff=1, role="cooling"),
        FieldSpec("total_heating_m3", "volume", "m3", role="heating"),
        FieldSpec("total_cooling_m3", "volume", "m3", tariff=1, role="cooling"),
        FieldSpec("c1_volume_m3", "volume", "m3", subunit=1),
        FieldSpec("c2_volume_m3", "volume", "m3", subunit=2),
        FieldSpec("supply_temperature_c", "flow_temperature", "C"),
        FieldSpec("return_temperature_c", "return_temperature", "C"),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("power_kw", "power", "kW"),
        TPL_STATUS_ERRORS,
    ),
)
