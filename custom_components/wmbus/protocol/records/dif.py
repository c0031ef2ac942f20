"""DIF/DIFE codings and the decoding of data bytes.

EN 13757-3 (DIF, DIFE, data field codings, special functions; LVAR as libmbus
mbus-protocol.c reads it).
"""

from __future__ import annotations

from enum import IntEnum
import math
import struct
from typing import Final

from ..errors import MalformedRecords

type RecordValue = int | float | str | bytes | None
"""A record's raw value: int (integer/BCD), float (real), str (text, date/time), bytes
(binary or undecoded), None (no data, or a "no value" marker such as all-F BCD)."""


class Function(IntEnum):
    """DIF bits 4-5: what the value is."""

    INSTANTANEOUS = 0
    MAXIMUM = 1
    MINIMUM = 2
    ERROR_STATE = 3


# Special DIFs, data coding F (EN 13757-3; libmbus MBUS_DIB_DIF_MANUFACTURER_SPECIFIC ...).
DIF_MANUFACTURER_DATA: Final = 0x0F
DIF_MANUFACTURER_DATA_MORE: Final = 0x1F
DIF_IDLE_FILLER: Final = 0x2F
DIF_GLOBAL_READOUT: Final = 0x7F
CODING_SPECIAL: Final = 0x0F

MAX_DIFE: Final = 10
MAX_VIFE: Final = 10
"""EN 13757-3 allows at most 10 extensions; more means garbage, not a record."""

# Data field coding (DIF bits 0-3) -> size in bytes (None: variable, LVAR first).
DATA_SIZES: Final[dict[int, int | None]] = {
    0x0: 0,
    0x1: 1,
    0x2: 2,
    0x3: 3,
    0x4: 4,
    0x5: 4,
    0x6: 6,
    0x7: 8,
    0x8: 0,
    0x9: 1,
    0xA: 2,
    0xB: 3,
    0xC: 4,
    0xD: None,
    0xE: 6,
}
INTEGER_CODINGS: Final = frozenset({0x1, 0x2, 0x3, 0x4, 0x6, 0x7})
BCD_CODINGS: Final = frozenset({0x9, 0xA, 0xB, 0xC, 0xE})
CODING_REAL: Final = 0x5
CODING_VARIABLE: Final = 0xD


def decode_bcd(data: bytes) -> int | None:
    """Decode little-endian packed BCD; a top nibble F means negative (EN 13757-3 type A).

    Returns None when a nibble is not a decimal digit (meters use such values, all-F in
    particular, to say "not available"), so no invented number reaches a sensor.
    """
    digits = data[::-1].hex()
    negative = digits.startswith("f")
    if negative:
        digits = digits[1:]
    if not digits.isdigit():
        return None if digits else 0
    value = int(digits) if digits else 0
    return -value if negative else value


def decode_real(data: bytes) -> float | None:
    """IEEE-754 single, LE; NaN and infinities are "no value" (and are not valid JSON)."""
    value: float = struct.unpack("<f", data)[0]
    return value if math.isfinite(value) else None


def decode_integer(data: bytes, signed: bool) -> int:
    """Type B integer, LE; two's complement only for quantities that can be negative."""
    return int.from_bytes(data, "little", signed=signed)


# LVAR ranges (EN 13757-3, as libmbus and libmburs read them): binary numbers of fixed
# lengths beyond E0..EF.
_LVAR_BINARY_SIZES: Final = {0xF0: 16, 0xF1: 20, 0xF2: 24, 0xF3: 28, 0xF4: 32, 0xF5: 48, 0xF6: 64}
_LVAR_TEXT_MAX: Final = 0xBF
_MAX_INTEGER_BYTES: Final = 8


def decode_variable(
    buffer: bytes, position: int, signed: bool = False, raw: bool = False
) -> tuple[RecordValue, int, int]:
    """Decode LVAR data at ``position``: (value, first data byte offset, end offset).

    00..BF: text, last character first; C0..C9/D0..D9: positive/negative BCD "with
    (LVAR - C0h) x 2 digits" as the standard words it, so LVAR & 0F bytes (libmbus,
    jmbus and pyMeterBus read twice that many bytes, taking digits for bytes; lmr agrees
    with this reading); E0..EF: binary number of LVAR - E0 bytes (an int up to 8 bytes);
    F0..F6: longer binary (bytes). F7..FF are reserved: their length is unknown, so the
    rest of the payload cannot be read. ``raw`` keeps the bytes whatever the LVAR says
    (manufacturer-specific content is not text just because its length is below C0).
    """
    if position >= len(buffer):
        raise MalformedRecords("variable-length record without its LVAR byte")
    lvar = buffer[position]
    start = position + 1
    if lvar <= _LVAR_TEXT_MAX:
        end = start + lvar
        kind = "text"
    elif 0xC0 <= lvar <= 0xC9 or 0xD0 <= lvar <= 0xD9:
        end = start + (lvar & 0x0F)
        kind = "BCD"
    elif 0xE0 <= lvar <= 0xEF:
        end = start + lvar - 0xE0
        kind = "binary"
    elif lvar in _LVAR_BINARY_SIZES:
        end = start + _LVAR_BINARY_SIZES[lvar]
        kind = "binary"
    else:
        raise MalformedRecords(f"reserved LVAR 0x{lvar:02x}")
    if end > len(buffer):
        raise MalformedRecords(
            f"variable-length {kind} needs {end - start} bytes, {len(buffer) - start} left"
        )
    data = buffer[start:end]
    value: RecordValue
    if raw:
        value = bytes(data)
    elif kind == "text":
        value = data[::-1].decode("latin-1")
    elif kind == "BCD":
        value = decode_bcd(data)
        if value is not None and lvar >= 0xD0:
            value = -value
    elif len(data) <= _MAX_INTEGER_BYTES:
        value = decode_integer(data, signed) if data else None
    else:
        value = bytes(data)
    return value, start, end
