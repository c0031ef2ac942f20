"""PII piigth: room sensor sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/piigth.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="piigth",
    model="PII piigth",
    media="room sensor",
    detect=(mvt("PII", 0x01, 0x1B),),
    fields=(
        FieldSpec("temperature_c", "external_temperature", "C"),
        FieldSpec("average_temperature_1h_c", "external_temperature", "C", storage=1),
        FieldSpec("average_temperature_24h_c", "external_temperature", "C", storage=2),
        FieldSpec("relative_humidity_rh", "humidity", "%RH"),
        FieldSpec("relative_humidity_1h_rh", "humidity", "%RH", storage=1),
        FieldSpec("relative_humidity_24h_rh", "humidity", "%RH", storage=2),
        TPL_STATUS_ERRORS,
    ),
)
