"""GWF enercal: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/enercal.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="enercal",
    model="GWF enercal",
    media="heat",
    detect=(mvt("GWF", 0x08, 0x04),),
    fields=(
        FieldSpec("total_kwh", "energy", "kWh"),
        FieldSpec("target_kwh", "energy", "kWh", storage=1),
        FieldSpec("total_m3", "volume", "m3"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        FieldSpec("operating_time_h", "operating_time", "h"),
        FieldSpec("on_time_h", "on_time", "h"),
        FieldSpec("power_kw", "power", "kW"),
        FieldSpec("flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("flow_max_m3h", "volume_flow", "m3/h", function=Function.MAXIMUM),
        FieldSpec("forward_c", "flow_temperature", "C"),
        FieldSpec("return_c", "return_temperature", "C"),
        FieldSpec("difference_c", "temperature_difference", "K"),
        FieldSpec("subunit1_m3", "volume", "m3", subunit=1),
        FieldSpec("subunit1_target_m3", "volume", "m3", storage=1, subunit=1),
        FieldSpec("subunit1_hca", "hca_units", "HCA", subunit=1),
        FieldSpec("subunit1_target_hca", "hca_units", "HCA", storage=1, subunit=1),
        FieldSpec("subunit2_hca", "hca_units", "HCA", subunit=2),
        FieldSpec("subunit2_target_hca", "hca_units", "HCA", storage=1, subunit=2),
        TPL_STATUS_ERRORS,
    ),
)
