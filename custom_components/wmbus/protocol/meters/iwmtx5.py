"""BMeters iwmtx5: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/iwmtx5.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="iwmtx5",
    model="BMeters iwmtx5",
    media="water",
    detect=(mvt("BMT", 0x18, 0x06, 0x07),),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        TPL_STATUS_ERRORS,
    ),
)
