"""Link-layer block CRCs: check and strip them for radios that hand frames over with them.

EN 13757-4 sends a frame in blocks, each followed by a CRC-16/EN-13757 (stored high byte
first):

- frame format A (T1, C1 frame A): the first block is 10 bytes (L, C, M, A, version, device
  type), then blocks of 16 data bytes, the last one shorter; L counts the data bytes after it,
  not the CRCs;
- frame format B (C1 frame B): the first block is 10 bytes without a CRC of its own, the second
  runs to at most byte 126 of the frame (its CRC covers both), an optional third holds the
  rest with its CRC; L counts every byte after it, CRCs included.

Most sticks check and strip the CRCs themselves (iM871A, iU891A, AMB8465) and hand over the
frame from its L-field without them, which is the form every later stage takes. A CUL prints
the frame with its CRCs, and an SDR demodulates them: those radios pass what they hear
through :func:`strip_block_crcs`, which gives the same form, L rewritten to count the bytes
that remain (as the iU891A does for frame B, and rtl_wmbus prints it).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from .crypto import crc16_en13757

BLOCK1_SIZE: Final = 10  # L, C, M (2), A (6)
BLOCK_SIZE: Final = 16
CRC_SIZE: Final = 2
FORMAT_B_BLOCK2_END: Final = 126  # frame format B: block 2 ends at byte 126 of the frame, CRC incl.


class FrameFormat(StrEnum):
    """EN 13757-4 frame formats."""

    A = "A"
    B = "B"


class BlockCrcMismatch(ValueError):
    """A block's CRC did not match: the frame was damaged on the air and must be dropped."""

    def __init__(self, frame_format: FrameFormat, block: int) -> None:
        super().__init__(f"frame format {frame_format}: CRC of block {block} does not match")
        self.frame_format = frame_format
        self.block = block


class BlockLengthMismatch(ValueError):
    """The bytes do not make the frame their L-field promises (cut off, or too many)."""


def _crc_ok(block: bytes | memoryview, crc: bytes | memoryview) -> bool:
    return crc16_en13757(bytes(block)) == (crc[0] << 8 | crc[1])


def format_a_size(length_field: int) -> int:
    """Bytes a frame-format-A frame with this L-field takes on the air, CRCs included."""
    data = length_field + 1  # L itself is in block 1
    rest = max(data - BLOCK1_SIZE, 0)
    return data + CRC_SIZE * (1 + -(-rest // BLOCK_SIZE))


def format_b_size(length_field: int) -> int:
    """Bytes a frame-format-B frame with this L-field takes on the air (L counts the CRCs)."""
    return length_field + 1


def strip_format_a(frame: bytes) -> bytes:
    """Check every block CRC of a frame-format-A frame and return it without them.

    Raises BlockLengthMismatch if the frame's size disagrees with its L-field, BlockCrcMismatch
    naming the first damaged block.
    """
    if not frame or len(frame) != format_a_size(frame[0]):
        raise BlockLengthMismatch(
            f"frame format A: {len(frame)} bytes for L={frame[0] if frame else None}"
        )
    view = memoryview(frame)
    out = bytearray()
    pos = 0
    block = 1
    size = BLOCK1_SIZE
    while pos < len(frame):
        data_end = min(pos + size, len(frame) - CRC_SIZE)
        if not _crc_ok(view[pos:data_end], view[data_end : data_end + CRC_SIZE]):
            raise BlockCrcMismatch(FrameFormat.A, block)
        out += view[pos:data_end]
        pos = data_end + CRC_SIZE
        size = BLOCK_SIZE
        block += 1
    return bytes(out)


def strip_format_b(frame: bytes) -> bytes:
    """Check the CRCs of a frame-format-B frame; return it without them, L rewritten."""
    if not frame or len(frame) != format_b_size(frame[0]) or len(frame) < BLOCK1_SIZE + CRC_SIZE:
        raise BlockLengthMismatch(
            f"frame format B: {len(frame)} bytes for L={frame[0] if frame else None}"
        )
    view = memoryview(frame)
    block2_end = min(len(frame), FORMAT_B_BLOCK2_END)
    if not _crc_ok(view[: block2_end - CRC_SIZE], view[block2_end - CRC_SIZE : block2_end]):
        raise BlockCrcMismatch(FrameFormat.B, 2)
    out = bytearray(view[: block2_end - CRC_SIZE])
    if block2_end < len(frame):
        if len(frame) - block2_end <= CRC_SIZE:
            raise BlockLengthMismatch("frame format B: block 3 holds no data")
        if not _crc_ok(view[block2_end:-CRC_SIZE], view[-CRC_SIZE:]):
            raise BlockCrcMismatch(FrameFormat.B, 3)
        out += view[block2_end:-CRC_SIZE]
    out[0] = len(out) - 1
    return bytes(out)


def strip_block_crcs(frame: bytes, frame_format: FrameFormat | None = None) -> bytes:
    """Strip the block CRCs of a frame of the given format, or of whichever format checks.

    Without a format (a radio that does not say), format A is tried first (T1 and most C1),
    then B; each is only accepted when every CRC matches, so a frame never passes as the wrong
    one except by a 16-bit CRC collision in every block.
    """
    if frame_format is FrameFormat.A:
        return strip_format_a(frame)
    if frame_format is FrameFormat.B:
        return strip_format_b(frame)
    try:
        return strip_format_a(frame)
    except (BlockCrcMismatch, BlockLengthMismatch) as error_a:
        try:
            return strip_format_b(frame)
        except (BlockCrcMismatch, BlockLengthMismatch):
            raise error_a from None


def add_block_crcs(telegram: bytes, frame_format: FrameFormat = FrameFormat.A) -> bytes:
    """The frame as sent on the air: ``telegram`` (L + data, no CRCs) with its block CRCs.

    The inverse of :func:`strip_block_crcs`; emulators and the SDR modulator use it.
    """
    data = bytearray(telegram)
    if frame_format is FrameFormat.A:
        data[0] = len(data) - 1
        out = bytearray()
        pos = 0
        size = BLOCK1_SIZE
        while pos < len(data):
            block = bytes(data[pos : pos + size])
            out += block + crc16_en13757(block).to_bytes(2, "big")
            pos += size
            size = BLOCK_SIZE
        return bytes(out)
    # Format B: L counts the CRCs; block 2 ends at byte 126 (incl. its CRC).
    crc_count = 1 if len(data) + CRC_SIZE <= FORMAT_B_BLOCK2_END else 2
    data[0] = len(data) - 1 + CRC_SIZE * crc_count
    if crc_count == 1:
        return bytes(data) + crc16_en13757(bytes(data)).to_bytes(2, "big")
    block2 = bytes(data[: FORMAT_B_BLOCK2_END - CRC_SIZE])
    block3 = bytes(data[FORMAT_B_BLOCK2_END - CRC_SIZE :])
    return (
        block2
        + crc16_en13757(block2).to_bytes(2, "big")
        + block3
        + crc16_en13757(block3).to_bytes(2, "big")
    )
