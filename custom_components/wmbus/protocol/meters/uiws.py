"""Zenner uIWS: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/uiws.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="uiws",
    model="Zenner uIWS",
    media="water",
    detect=(mvt("ZRI", 0x99, 0x07),),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("external_temperature_c", "external_temperature", "C"),
        FieldSpec("unknown_m3", "volume", "m3", storage=1),
        FieldSpec("target_m3", "volume", "m3", storage=30),
        TPL_STATUS_ERRORS,
    ),
)
