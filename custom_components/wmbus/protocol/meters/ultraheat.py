"""Landis+Gyr Ultraheat: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/ultraheat.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="ultraheat",
    model="Landis+Gyr Ultraheat",
    media="heat",
    detect=(mvt("LUG", 0x04, 0x04),),
    fields=(
        ERROR_FLAGS,
        FieldSpec("actuality_duration_s", "actuality_duration", "s"),
        FieldSpec("target_kwh", "energy", "kWh", storage=1),
        FieldSpec("heat_kwh", "energy", "kWh"),
        FieldSpec("volume_m3", "volume", "m3"),
        FieldSpec("power_kw", "power", "kW"),
        FieldSpec("flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("flow_c", "flow_temperature", "C"),
        FieldSpec("return_c", "return_temperature", "C"),
        TPL_STATUS_ERRORS,
    ),
)
