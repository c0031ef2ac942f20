"""Ecomess kadenwater: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/kadenwater.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="kadenwater",
    model="Ecomess kadenwater",
    media="water",
    detect=(
        mvt("KDN", 0x01, 0x07),
        mvt("VIP", 0x01, 0x07),
    ),
    fields=(
        ERROR_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("actuality_duration_s", "actuality_duration", "s"),
        FieldSpec("max_flow_m3h", "volume_flow", "m3/h", function=Function.MAXIMUM),
        FieldSpec("volume_b_m3", "volume", "m3", medium="water"),
        FieldSpec("duration_b_s", "actuality_duration", "s"),
        TPL_STATUS_ERRORS,
    ),
)
