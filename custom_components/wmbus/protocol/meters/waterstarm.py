"""Deltameters/Lorenz WaterStar M: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/waterstarm.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import BACKWARD_FLOW, ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="waterstarm",
    model="Deltameters/Lorenz WaterStar M",
    media="water",
    detect=(
        mvt("DWZ", 0x00, 0x06, 0x07),
        mvt("DWZ", 0x02, 0x06, 0x07),
        mvt("EFE", 0x03, 0x07),
        mvt("EFE", 0x70, 0x07),
    ),
    fields=(
        ERROR_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("battery_v", "voltage", "V"),
        FieldSpec("total_backwards_m3", "volume", "m3", vifes=BACKWARD_FLOW),
        FieldSpec("consumption_at_set_date_m3", "volume", "m3", storage=1),
        FieldSpec("total_backwards_at_set_date_m3", "volume", "m3", vifes=BACKWARD_FLOW, storage=1),
        TPL_STATUS_ERRORS,
    ),
)
