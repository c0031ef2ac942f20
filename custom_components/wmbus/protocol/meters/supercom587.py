"""Sontex Supercom 587: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/supercom587.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="supercom587",
    model="Sontex Supercom 587",
    media="water",
    detect=(mvt("SON", 0x3C, 0x06, 0x07),),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        ERROR_FLAGS,
        TPL_STATUS_ERRORS,
    ),
)
