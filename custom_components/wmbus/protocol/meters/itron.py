"""Itron water meter: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/itron.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import BACKWARD_FLOW, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="itron",
    model="Itron water meter",
    media="water",
    detect=(
        mvt("ITW", 0x00, 0x07, 0x16),
        mvt("ITW", 0x03, 0x07),
        mvt("ITW", 0x33, 0x07),
    ),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("total_backward_m3", "volume", "m3", vifes=BACKWARD_FLOW),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        TPL_STATUS_ERRORS,
    ),
)
