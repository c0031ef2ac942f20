"""Diehl Sharky: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/sharky.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .prios import DIEHL_DEFAULT_OMS_KEY, REAL_DATA_FRAMES
from .profile import FieldSpec, MeterProfile, mvt, with_diehl_addresses

PROFILE: Final = MeterProfile(
    name="sharky",
    model="Diehl Sharky",
    media="heat",
    # Diehl "real data": CI 7A with a manufacturer security mode, or CI 71 (prios.py).
    frames=REAL_DATA_FRAMES,
    default_key=DIEHL_DEFAULT_OMS_KEY,
    detect=with_diehl_addresses(
        (
            mvt("HYD", 0x20, 0x04),
            mvt("DME", 0x40, 0x04),
        )
    ),
    fields=(
        FieldSpec("operating_time_h", "operating_time", "h"),
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("total_energy_consumption_tariff1_kwh", "energy", "kWh", tariff=1),
        FieldSpec("total_volume_m3", "volume", "m3"),
        FieldSpec("total_volume_tariff2_m3", "volume", "m3", tariff=2),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("power_kw", "power", "kW"),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("return_temperature_c", "return_temperature", "C"),
        FieldSpec("temperature_difference_c", "temperature_difference", "K"),
        FieldSpec("target_energy_consumption_kwh", "energy", "kWh", storage=5),
        FieldSpec("target_volume_m3", "volume", "m3", storage=5),
    ),
)
