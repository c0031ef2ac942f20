"""Diehl Sharky 774: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/sharky774.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .prios import DIEHL_DEFAULT_OMS_KEY, REAL_DATA_FRAMES
from .profile import FieldSpec, MeterProfile, mvt, with_diehl_addresses

PROFILE: Final = MeterProfile(
    name="sharky774",
    model="Diehl Sharky 774",
    media="heat",
    # Diehl "real data": CI 7A with a manufacturer security mode, or CI 71 (prios.py).
    frames=REAL_DATA_FRAMES,
    default_key=DIEHL_DEFAULT_OMS_KEY,
    detect=with_diehl_addresses((mvt("DME", 0x41, 0x04, 0x0C, 0x0D),)),
    fields=(
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("total_cooling_consumption_kwh", "energy", "kWh", tariff=1),
        FieldSpec("total_volume_m3", "volume", "m3"),
        FieldSpec("total_cooling_volume_m3", "volume", "m3", tariff=2),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("power_kw", "power", "kW"),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("return_temperature_c", "return_temperature", "C"),
        FieldSpec("operating_time_h", "operating_time", "h"),
        FieldSpec("energy_at_set_date_kwh", "energy", "kWh", storage=1),
        FieldSpec("cooling_at_set_date_kwh", "energy", "kWh", storage=1, tariff=1),
    ),
)
