"""Ecomess Picoflux AiR: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/picoflux.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import BACKWARD_FLOW, ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="picoflux",
    model="Ecomess Picoflux AiR",
    media="water",
    detect=(mvt("ECM", 0x05, 0x07),),
    fields=(
        ERROR_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("total_backward_m3", "volume", "m3", vifes=BACKWARD_FLOW),
        FieldSpec("actuality_duration_s", "actuality_duration", "s"),
        TPL_STATUS_ERRORS,
    ),
)
