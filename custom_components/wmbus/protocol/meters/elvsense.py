"""Elvaco elvsense: room sensor sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/elvsense.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .layout import ByteField, ByteLayout
from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

CO2_RECORD: Final = bytes.fromhex("027c03324f43")

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
    # CO2 comes as a plain-text VIF record (unit "CO2", ppm).
    record_layouts={CO2_RECORD: ByteLayout((ByteField(0, 2, "co2", "ppm"),))},
    fields=(
        FieldSpec("co2_ppm", "co2", "ppm"),
        FieldSpec("temperature_c", "external_temperature", "C"),
        FieldSpec("battery_v", "voltage", "V"),
        FieldSpec("humidity_rh", "humidity", "%RH"),
        TPL_STATUS_ERRORS,
    ),
)
