"""Zenner water meter version 0x0B (ZRI, version 0x0B, type 0x16 cold water).

CI 7A, security mode 5; after ``2F 2F`` the APL is DIF 0F manufacturer data: a status
word (32 bit), the volume at the set date and the total (32 bit LE each, in 1/256 litre).
Facts: wmbusmeters drivers/src/zenner0b.xmq (grammar, raw / 256000 m3,
tests).
"""

from __future__ import annotations

from typing import Final

from .layout import ByteField, ByteLayout
from .profile import FieldSpec, MeterProfile, mvt

_PARTS_PER_LITRE: Final = 256

PROFILE: Final = MeterProfile(
    name="zenner0b",
    model="Zenner water meter (0x0B)",
    media="water",
    detect=(mvt("ZRI", 0x0B, 0x16),),
    manufacturer_data=ByteLayout(
        (
            ByteField(8, 4, "volume", "m3", exponent=-3, divisor=_PARTS_PER_LITRE),
            ByteField(4, 4, "volume", "m3", exponent=-3, divisor=_PARTS_PER_LITRE, storage=1),
        )
    ),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
    ),
)
