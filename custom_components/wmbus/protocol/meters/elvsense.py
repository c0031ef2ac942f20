"""Elvaco elvsense: room sensor sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/elvsense.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="elvsense",
    model="Elvaco elvsense",
    media="room sensor",
    detect=(
        mvt("ELV", 0x50, 0x1B),
        mvt("ELV", 0x51, 0x1B),
        mvt("ELV", 0x52, 0x1B),
        mvt("ELV", 0x53, 0x1B),
        mvt("ELV", 0x54, 0x1B),
    ),
    fields=(
        FieldSpec("temperature_c", "external_temperature", "C"),
        FieldSpec("battery_v", "voltage", "V"),
        FieldSpec("humidity_rh", "humidity", "%RH"),
    ),
)
