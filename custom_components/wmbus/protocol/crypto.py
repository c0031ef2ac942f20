"""Checksums and ciphers of the wireless M-Bus stack.

Two CRC-16 variants meet in this project: CRC-16/X-25 protects the iM871A host
controller interface frames (PROTOCOL.md 1.7) and CRC-16/EN-13757 protects link
blocks, the ELL payload and compact-frame format signatures (PROTOCOL.md 2.3,
3.5, 4.3). Both are table driven because they run for every telegram.
"""

from __future__ import annotations


def _reflected_table(poly_reflected: int) -> tuple[int, ...]:
    """Build a 256-entry table for a reflected (LSB-first) CRC-16."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly_reflected if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def _normal_table(poly: int) -> tuple[int, ...]:
    """Build a 256-entry table for a non-reflected (MSB-first) CRC-16."""
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return tuple(table)


# polynomial 0x1021 processed reflected (0x8408), init 0xFFFF, xorout 0xFFFF.
_X25_TABLE = _reflected_table(0x8408)
# EN 13757: polynomial 0x3D65, init 0, not reflected, xorout 0xFFFF.
_EN13757_TABLE = _normal_table(0x3D65)


def crc16_x25(data: bytes) -> int:
    """Return CRC-16/X-25 of ``data`` (check value 0x906E), as used by iM871A HCI frames."""
    crc = 0xFFFF
    table = _X25_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFF


def crc16_en13757(data: bytes) -> int:
    """Return CRC-16/EN-13757 of ``data`` (check value 0xC2B7).

    Used for the ELL payload CRC, compact-frame format signatures and full-frame CRCs.
    """
    crc = 0
    table = _EN13757_TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc ^ 0xFFFF
