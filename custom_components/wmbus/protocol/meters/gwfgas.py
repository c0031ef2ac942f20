"""GWF gwfgas: gas meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/gwfgas.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="gwfgas",
    model="GWF gwfgas",
    media="gas",
    detect=(mvt("GWF", 0x3C, 0x03),),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="gas"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        FieldSpec("actuality_duration_s", "actuality_duration", "s"),
        TPL_STATUS_ERRORS,
    ),
)
