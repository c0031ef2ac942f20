"""Apator 16-2 water meter (APA, version 0x05, types 0x06/0x07).

CI 7A with security mode 5, but the decrypted APL is Apator's register format, not
DIF/VIF: after ``2F 2F``, one byte (0F, or 80 on older units) and seven status bytes come
registers, each a one-byte id and a fixed number of bytes (the sizes below); register 10
holds the total in litres (32 bit LE). Then FF padding and a checksum. Facts: wmbusmeters
drivers/src/apator162.xmq (register grammar, tests).
"""

from __future__ import annotations

from typing import Final

from .layout import ByteField, RegisterLayout
from .profile import FieldSpec, MeterProfile, mvt

REGISTER_TOTAL: Final = 0x10


def _register_sizes() -> dict[int, int]:
    """Bytes after each register id (apator162.xmq's grammar)."""
    sizes = {0x00: 4, 0x01: 3, 0x10: 4, 0x11: 2, 0x40: 6, 0x41: 2, 0x42: 4, 0x43: 2, 0x44: 3}
    # 71..7C: a byte, then 2..13 monthly 32-bit values.
    sizes.update({register: 1 + 4 * (register - 0x6F) for register in range(0x71, 0x7D)})
    sizes.update(dict.fromkeys((0x80, 0x81, 0x82, 0x83, 0x84, 0x86, 0x87), 10))
    sizes.update(dict.fromkeys((0x85, 0x88, 0x8F), 11))
    sizes.update({0x8A: 9, 0x8B: 6, 0x8C: 6, 0x8E: 7})
    sizes.update({0xA0: 4, 0xA1: 4, 0xA2: 1, 0xA3: 7, 0xA4: 4, 0xA5: 1, 0xA6: 3, 0xA9: 1})
    sizes.update(dict.fromkeys((0xA7, 0xA8, 0xAA, 0xAB, 0xAC, 0xAD), 2))
    sizes.update({0xAF: 1, 0xB0: 5, 0xB1: 8, 0xB2: 16, 0xB3: 8, 0xB4: 2, 0xB5: 16})
    sizes.update(dict.fromkeys(range(0xB6, 0xC8), 3))
    sizes.update({0xD0: 3, 0xD3: 3, 0xF0: 4})
    return sizes


REGISTER_SIZES: Final = _register_sizes()

PROFILE: Final = MeterProfile(
    name="apator162",
    model="Apator 16-2",
    media="water",
    detect=(mvt("APA", 0x05, 0x06, 0x07),),
    payload="manufacturer",
    frames={
        0x7A: RegisterLayout(
            sizes=REGISTER_SIZES,
            values={REGISTER_TOTAL: ByteField(0, 4, "volume", "m3", exponent=-3)},
            skip=8,
        )
    },
    fields=(FieldSpec("total_m3", "volume", "m3", medium="water"),),
)
