"""Diehl Aerius gas meter: gas meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/aerius.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .prios import DIEHL_DEFAULT_OMS_KEY, REAL_DATA_FRAMES
from .profile import FieldSpec, MeterProfile, mvt, with_diehl_addresses

PROFILE: Final = MeterProfile(
    name="aerius",
    model="Diehl Aerius gas meter",
    media="gas",
    # Diehl "real data": CI 7A with a manufacturer security mode, or CI 71 (prios.py).
    frames=REAL_DATA_FRAMES,
    default_key=DIEHL_DEFAULT_OMS_KEY,
    detect=with_diehl_addresses((mvt("DME", 0x30, 0x03),)),
    fields=(
        FieldSpec("flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("temperature_c", "flow_temperature", "C"),
    ),
)
