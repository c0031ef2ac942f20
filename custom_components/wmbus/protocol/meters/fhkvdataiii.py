"""Techem FHKV data II/III heat cost allocator (TCH, versions 0x69/0x94, Techem type 0x80).

CI A0 or A2, not DIF/VIF. After the CI: a frame byte (0x01 or 0x11; 0x0F adds one byte
before the temperatures), previous billing date, previous-period HCA units, current date,
current HCA units (16 bit LE each), then room and radiator temperature in 1/100 degC.
Facts: wmbusmeters drivers/src/fhkvdataiii.xmq (ioBroker.wmbus lib/tch-decoder.js
agrees).
"""

from __future__ import annotations

from typing import Final

from .layout import ByteField, ByteLayout
from .profile import FieldSpec, MeterProfile, mvt

_COMMON: Final = (
    ByteField(3, 2, "hca_units", "HCA", storage=1),
    ByteField(7, 2, "hca_units", "HCA"),
)
_TEMPERATURES_AT_9: Final = (
    ByteField(9, 2, "external_temperature", "C", exponent=-2),
    ByteField(11, 2, "flow_temperature", "C", exponent=-2),
)
_TEMPERATURES_AT_10: Final = (
    ByteField(10, 2, "external_temperature", "C", exponent=-2),
    ByteField(12, 2, "flow_temperature", "C", exponent=-2),
)
_LAYOUT: Final = ByteLayout(
    variants={
        0x01: (*_COMMON, *_TEMPERATURES_AT_9),
        0x11: (*_COMMON, *_TEMPERATURES_AT_9),
        0x0F: (*_COMMON, *_TEMPERATURES_AT_10),
    }
)

PROFILE: Final = MeterProfile(
    name="fhkvdataiii",
    model="Techem FHKV data III",
    media="heat cost allocator",
    detect=(mvt("TCH", 0x69, 0x80), mvt("TCH", 0x94, 0x80)),
    payload="manufacturer",
    frames={0xA0: _LAYOUT, 0xA2: _LAYOUT},
    fields=(
        FieldSpec("current_hca", "hca_units", "HCA"),
        FieldSpec("previous_hca", "hca_units", "HCA", storage=1),
        FieldSpec("temp_room_c", "external_temperature", "C"),
        FieldSpec("temp_radiator_c", "flow_temperature", "C"),
    ),
)
