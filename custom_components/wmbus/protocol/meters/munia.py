"""Weptech munia: room sensor sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/munia.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="munia",
    model="Weptech munia",
    media="room sensor",
    detect=(
        mvt("WEP", 0x02, 0x1B),
        mvt("WEP", 0x04, 0x1B),
    ),
    fields=(
        FieldSpec("current_temperature_c", "external_temperature", "C"),
        FieldSpec("current_relative_humidity_rh", "humidity", "%RH"),
        TPL_STATUS_ERRORS,
    ),
)
