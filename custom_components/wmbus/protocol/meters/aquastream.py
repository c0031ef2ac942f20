"""Integra aquastream: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/aquastream.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="aquastream",
    model="Integra aquastream",
    media="water",
    detect=(mvt("IMT", 0x01, 0x07),),
    fields=(
        ERROR_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        FieldSpec("total_backwards_m3", "volume", "m3", tariff=1, medium="water"),
        TPL_STATUS_ERRORS,
    ),
)
