"""Diehl water meter: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/dme_07.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .prios import DIEHL_DEFAULT_OMS_KEY, REAL_DATA_FRAMES
from .profile import ERROR_FLAGS, FieldSpec, MeterProfile, mvt, with_diehl_addresses

PROFILE: Final = MeterProfile(
    name="dme_07",
    model="Diehl water meter",
    media="water",
    # Diehl "real data": CI 7A with a manufacturer security mode, or CI 71 (prios.py).
    frames=REAL_DATA_FRAMES,
    default_key=DIEHL_DEFAULT_OMS_KEY,
    detect=with_diehl_addresses((mvt("DME", 0x7B, 0x07),)),
    fields=(
        ERROR_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
    ),
)
