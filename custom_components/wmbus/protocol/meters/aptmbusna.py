"""Apator aptmbusna: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/aptmbusna.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="aptmbusna",
    model="Apator aptmbusna",
    media="water",
    detect=(mvt("APA", 0x15, 0x07),),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("operating_time_h", "operating_time", "h"),
        TPL_STATUS_ERRORS,
    ),
)
