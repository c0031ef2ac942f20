"""Elvaco cma12w: room sensor sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/cma12w.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="cma12w",
    model="Elvaco cma12w",
    media="room sensor",
    detect=(mvt("ELV", 0x20, 0x1B),),
    fields=(
        FieldSpec("current_temperature_c", "external_temperature", "C"),
        FieldSpec("average_temperature_1h_c", "external_temperature", "C", storage=1),
        TPL_STATUS_ERRORS,
    ),
)
