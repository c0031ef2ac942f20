"""BMeters RFM-TX1 water meter radio module (BMT, version 0x05, type 0x07).

Its CI 7A telegrams use security mode 16 (manufacturer specific): the total is four
bytes, each XORed with the access number and with a byte from one of four 16-entry
tables (row = low nibble of the access number), giving eight BCD digits of litres.
Counted from the access number after the CI: the configuration word at bytes 2-3, the
scrambled total at bytes 6-9. Facts: wmbusmeters drivers/src/rfmtx1.xmq (tables, offsets,
test telegram).
"""

from __future__ import annotations

from typing import Final

from ..records import Record, decode_bcd
from .layout import record
from .profile import FieldSpec, ManufacturerFrame, MeterProfile, mvt

XOR_TABLES: Final = (
    (122, 112, 185, 121, 7, 50, 156, 180, 10, 240, 22, 12, 74, 119, 189, 57),
    (16, 19, 11, 7, 154, 161, 126, 196, 206, 5, 152, 201, 72, 46, 120, 111),
    (26, 34, 142, 74, 203, 57, 96, 128, 25, 165, 17, 125, 228, 138, 87, 40),
    (10, 19, 153, 22, 105, 14, 153, 163, 3, 134, 94, 162, 31, 232, 140, 5),
)
"""Byte ``i`` of the total is XORed with ``XOR_TABLES[i][access number & 0x0F]``."""
_SECURITY_MODE: Final = 16
_TOTAL_OFFSET: Final = 6
_TOTAL_SIZE: Final = 4


def decode_total(frame: ManufacturerFrame) -> tuple[Record, ...]:
    """The total volume, from a security-mode-16 transport header and payload."""
    payload = frame.payload
    if len(payload) < _TOTAL_OFFSET + _TOTAL_SIZE:
        return ()
    configuration = payload[2] | (payload[3] << 8)
    if (configuration >> 8) & 0x1F != _SECURITY_MODE:
        return ()
    access_number = payload[0]
    row = access_number & 0x0F
    scrambled = payload[_TOTAL_OFFSET : _TOTAL_OFFSET + _TOTAL_SIZE]
    clear = bytes(
        byte ^ access_number ^ table[row] for byte, table in zip(scrambled, XOR_TABLES, strict=True)
    )
    litres = decode_bcd(clear)
    if litres is None:
        return ()
    return (record(litres, clear, "volume", "m3", exponent=-3),)


PROFILE: Final = MeterProfile(
    name="rfmtx1",
    model="BMeters RFM-TX1",
    media="water",
    detect=(mvt("BMT", 0x05, 0x07),),
    frames={0x7A: decode_total},
    fields=(FieldSpec("total_m3", "volume", "m3", medium="water"),),
)
