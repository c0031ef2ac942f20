"""Axioma Qalcosonic E3: heat/cooling load meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/qualcosonic.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import (
    BACKWARD_FLOW,
    ERROR_FLAGS_AT_ERROR,
    FORWARD_FLOW,
    TPL_STATUS_ERRORS,
    FieldSpec,
    MeterProfile,
    mvt,
)

PROFILE: Final = MeterProfile(
    name="qualcosonic",
    model="Axioma Qalcosonic E3",
    media="heat/cooling load",
    detect=(
        mvt("AXI", 0x0B, 0x0D),
        mvt("AXI", 0x0C, 0x0D),
    ),
    fields=(
        ERROR_FLAGS_AT_ERROR,
        FieldSpec("operating_time_h", "operating_time", "h"),
        FieldSpec("on_time_h", "on_time", "h"),
        FieldSpec("total_m3", "volume", "m3"),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("return_temperature_c", "return_temperature", "C"),
        FieldSpec("flow_return_temperature_difference_c", "temperature_difference", "K"),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("total_heat_energy_kwh", "energy", "kWh", vifes=FORWARD_FLOW),
        FieldSpec("total_cooling_energy_kwh", "energy", "kWh", vifes=BACKWARD_FLOW),
        FieldSpec("power_kw", "power", "kW"),
        FieldSpec("target_heat_energy_kwh", "energy", "kWh", vifes=FORWARD_FLOW, storage=16),
        FieldSpec("target_cooling_energy_kwh", "energy", "kWh", vifes=BACKWARD_FLOW, storage=16),
        TPL_STATUS_ERRORS,
    ),
)
