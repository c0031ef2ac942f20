"""Sensus pollucomf: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/pollucomf.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="pollucomf",
    model="Sensus pollucomf",
    media="heat",
    detect=(mvt("SEN", 0x1D, 0x04),),
    fields=(
        FieldSpec("operating_time_h", "operating_time", "h"),
        FieldSpec("on_time_h", "on_time", "h"),
        FieldSpec("on_time_at_error_h", "on_time", "h", function=Function.ERROR_STATE),
        FieldSpec("total_kwh", "energy", "kWh"),
        FieldSpec("total_m3", "volume", "m3"),
        FieldSpec("power_kw", "power", "kW"),
        FieldSpec("flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("forward_c", "flow_temperature", "C"),
        FieldSpec("return_c", "return_temperature", "C"),
        FieldSpec("target_kwh", "energy", "kWh", storage=1),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        FieldSpec("forward_max_c", "flow_temperature", "C", storage=1, function=Function.MAXIMUM),
        FieldSpec("return_max_c", "return_temperature", "C", storage=1, function=Function.MAXIMUM),
        FieldSpec("flow_max_m3h", "volume_flow", "m3/h", storage=1, function=Function.MAXIMUM),
        TPL_STATUS_ERRORS,
    ),
)
