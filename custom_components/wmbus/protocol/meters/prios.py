"""Diehl PRIOS descrambling (IZAR radio): a 32-bit LFSR keyed by the address and a key.

Algorithmic by nature, so code, not a layout. Facts (where both
wmbusmeters src/driver_izar.cc and ioBroker.wmbus lib/prios-decoder.js agree, verified on
wmbusmeters' IZAR tests): the 32-bit start value is the XOR of the two big-endian halves
of an 8-byte key, of telegram bytes 2-5, 6-9 and 10-13 (M, A, CI and the three bytes
after it, as sent); each scrambled byte from telegram offset 15 is XORed with the low
byte of the register after eight clocks (feedback: bits 1, 2, 11 and 31). The first
clear byte is 0x4B when the key was right (PRIOS). Diehl "real data" (CI 7A with a
security mode of 16 or more, or CI 71: Sharky, Hydrus, ...) uses the same generator over
the rest of the telegram, which is then ordinary DIF/VIF records; its check is the byte
sum of the clear data, masked with 0xEF, against telegram byte 14 (wmbusmeters
src/manufacturer_specificities.cc decodeDiehlLfsr, verified on its Sharky tests).
"""

from __future__ import annotations

from typing import Final

from ..errors import MalformedRecords
from ..records import Record, parse_records
from .layout import wire_address
from .profile import ManufacturerFrame

PRIOS_DEFAULT_KEYS: Final = (
    bytes.fromhex("39BC8A10E66D83F8"),
    bytes.fromhex("51728910E66D83F8"),
)
"""Keys IZAR meters use unless the utility set its own (tried in this order)."""
DIEHL_DEFAULT_OMS_KEY: Final = bytes.fromhex("51728910E66D83F8" * 2)
"""Diehl's default AES key for OMS (mode 5) telegrams when none was set: the second PRIOS
key twice (wmbusmeters addDefaultManufacturerKeyIfAny)."""
PRIOS_CHECK_BYTE: Final = 0x4B
_MASK_32: Final = 0xFFFFFFFF
SCRAMBLED_OFFSET: Final = 15
"""Telegram offset of the first scrambled byte."""


def _register(key: bytes, header: bytes) -> int:
    value = int.from_bytes(key[0:4], "big") ^ int.from_bytes(key[4:8], "big")
    for start in (2, 6, 10):
        value ^= int.from_bytes(header[start : start + 4], "big")
    return value


def descramble(header: bytes, scrambled: bytes, key: bytes) -> bytes:
    """Clear bytes of ``scrambled`` (telegram offset 15 on) under an 8-byte ``key``.

    ``header`` is the telegram from the L-field to at least offset 13, as received.
    """
    register = _register(key, header)
    clear = bytearray(len(scrambled))
    for index, byte in enumerate(scrambled):
        for _ in range(8):
            bit = ((register >> 1) ^ (register >> 2) ^ (register >> 11) ^ (register >> 31)) & 1
            register = ((register << 1) | bit) & _MASK_32
        clear[index] = byte ^ (register & 0xFF)
    return bytes(clear)


def real_data_checksum_matches(clear: bytes, check: int) -> bool:
    """Diehl "real data" check: the byte sum of the clear data, masked with 0xEF."""
    return (sum(clear) & 0xEF) == (check & 0xEF)


def descramble_any(header: bytes, scrambled: bytes, keys: tuple[bytes, ...]) -> bytes | None:
    """Clear bytes under the first key whose result starts with the check byte; else None."""
    for key in keys:
        clear = descramble(header, scrambled, key)
        if clear and clear[0] == PRIOS_CHECK_BYTE:
            return clear
    return None


_PAYLOAD_START: Final = 11
"""Telegram offset of the byte after the CI (where a profile's payload starts)."""
_CHECK_OFFSET: Final = 14


def decode_real_data(frame: ManufacturerFrame) -> tuple[Record, ...]:
    """Records of a Diehl "real data" telegram (payload = everything after the CI).

    The key is the meter's (its first 8 bytes) or a default one; when no key passes the
    check, nothing is read.
    """
    payload = frame.payload
    scrambled_start = SCRAMBLED_OFFSET - _PAYLOAD_START
    if len(payload) <= scrambled_start:
        return ()
    header = b"\x00\x00" + wire_address(frame.address) + bytes((frame.ci,)) + payload[:3]
    check = payload[_CHECK_OFFSET - _PAYLOAD_START]
    keys: tuple[bytes, ...] = PRIOS_DEFAULT_KEYS
    if frame.key is not None and len(frame.key) >= len(PRIOS_DEFAULT_KEYS[0]):
        keys = (frame.key[: len(PRIOS_DEFAULT_KEYS[0])], *keys)
    for key in keys:
        clear = descramble(header, payload[scrambled_start:], key)
        if real_data_checksum_matches(clear, check):
            try:
                return parse_records(clear).records
            except MalformedRecords:
                return ()
    return ()


REAL_DATA_FRAMES: Final = {0x7A: decode_real_data, 0x71: decode_real_data}
"""Frames every Diehl profile declares: its telegrams with a manufacturer security mode."""
