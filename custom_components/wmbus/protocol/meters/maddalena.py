"""Maddalena maddalena: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/maddalena.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="maddalena",
    model="Maddalena maddalena",
    media="water",
    detect=(mvt("MAD", 0x01, 0x06, 0x07),),
    fields=(
        FieldSpec("target_m3", "volume", "m3", storage=1),
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        TPL_STATUS_ERRORS,
    ),
)
