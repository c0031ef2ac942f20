"""GWF gwfwater: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/gwfwater.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="gwfwater",
    model="GWF gwfwater",
    media="water",
    detect=(
        mvt("GWF", 0x01, 0x0E),
        mvt("GWF", 0x3C, 0x07),
    ),
    fields=(
        FieldSpec("actuality_duration_s", "actuality_duration", "s"),
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        TPL_STATUS_ERRORS,
    ),
)
