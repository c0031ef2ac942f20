"""Lansen lansenrp: meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/lansenrp.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="lansenrp",
    model="Lansen lansenrp",
    detect=(mvt("LAS", 0x0B, 0x32),),
    fields=(
        FieldSpec("battery_v", "voltage", "V"),
        TPL_STATUS_ERRORS,
    ),
)
