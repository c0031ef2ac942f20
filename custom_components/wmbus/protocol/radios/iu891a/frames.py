"""iU891A-XL frames: RFC 1055 SLIP with a CRC-16/X-25, an encoder and an incremental decoder.

Pure code, no I/O. SLIP marks both ends of a frame with ``c0`` and escapes ``c0`` and ``db``
inside it, so a reader finds frame boundaries without trusting a length byte; the CRC over
SAP..payload (sent low byte first, escaped like the rest) tells a frame from a cut-off one or
from line noise (wmbusmeters ``src/utils/slip.cc``, ``src/wmbus_iu891a.cc``).

The decoder hands out checked frames as the bytes ``SAP .. CRC`` (unescaped, the CRC still at
the end): one object per frame, sliced once more by whoever takes the telegram out of it.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import Final, NamedTuple

from ...crypto import crc16_x25
from .types import (
    CRC_SIZE,
    END,
    ESC,
    INDICATIONS,
    MAX_ESCAPED_FRAME_SIZE,
    MIN_STICK_FRAME_SIZE,
    RX_RSSI_AT,
    RX_TELEGRAM_AT,
    RX_TIMESTAMP_AT,
    Sap,
    WmbusGwMessage,
)

# CRC-16/X-25 over data followed by its own CRC (low byte first) always gives this residue
# (the "residue" of the CRC-16/X-25 catalogue entry, after the final XOR): checking a frame
# needs no slice to cut the CRC off.
CRC_RESIDUE: Final = 0x0F47

_END_BYTES: Final = bytes((END,))
_ESC_BYTES: Final = bytes((ESC,))
_ESCAPED_END: Final = b"\xdb\xdc"
_ESCAPED_ESC: Final = b"\xdb\xdd"


def slip_escape(data: bytes) -> bytes:
    """Escape ``db`` then ``c0`` (in that order, so the escapes are not escaped again)."""
    return data.replace(_ESC_BYTES, _ESCAPED_ESC).replace(_END_BYTES, _ESCAPED_END)


def slip_unescape(data: bytes) -> bytes | None:
    """Undo :func:`slip_escape`; None if a ``db`` is not followed by ``dc`` or ``dd``.

    Every ``db`` of a well-formed frame starts an escape and none ends one, so counting the
    two escapes is enough to tell a well-formed frame.
    """
    if ESC not in data:
        return data
    escapes = data.count(_ESCAPED_END) + data.count(_ESCAPED_ESC)
    if escapes != data.count(ESC):
        return None
    return data.replace(_ESCAPED_END, _END_BYTES).replace(_ESCAPED_ESC, _ESC_BYTES)


def encode_frame(
    sap: int, msg_id: int, payload: bytes = b"", *, status: int | None = None
) -> bytes:
    """Build one SLIP frame; ``status`` only in responses (the stick's side, for the emulator)."""
    body = bytes((sap, msg_id)) if status is None else bytes((sap, msg_id, status))
    body += payload
    return b"\xc0" + slip_escape(body + crc16_x25(body).to_bytes(CRC_SIZE, "little")) + b"\xc0"


def encode_rx_indication(
    telegram: bytes,
    rssi_dbm: int,
    *,
    timestamp_s: int = 0,
    dec_status: int = 0,
    enc_mode: int = 0,
    info: int = 0,
) -> bytes:
    """Build the WMBUSGW 0x20 indication of ``telegram`` (L + frame, no DLL CRCs)."""
    header = (timestamp_s & 0xFFFFFFFF).to_bytes(4, "little") + bytes(
        (dec_status, enc_mode, info, rssi_dbm & 0xFF)
    )
    return encode_frame(Sap.WMBUSGW, WmbusGwMessage.RX_MESSAGE_IND, header + telegram)


class Frame(NamedTuple):
    """One checked frame taken apart (responses and describe_stream; not the telegram path)."""

    sap: int
    msg_id: int
    status: int | None  # None in indications, which carry none
    payload: bytes

    @classmethod
    def parse(cls, raw: bytes) -> Frame:
        """Split checked frame bytes (``SAP .. CRC``, as the decoder hands them out)."""
        sap, msg_id = raw[0], raw[1]
        if (sap, msg_id) in INDICATIONS or len(raw) < MIN_STICK_FRAME_SIZE:
            return cls(sap, msg_id, None, raw[2:-CRC_SIZE])
        return cls(sap, msg_id, raw[2], raw[3:-CRC_SIZE])


class RxIndication(NamedTuple):
    """A received telegram as the stick reports it (WMBUSGW 0x20)."""

    stick_timestamp_s: int  # the stick's clock: starts at 2000-01-01 unless set; not trusted
    dec_status: int
    enc_mode: int
    info: int
    rssi_dbm: int
    telegram: bytes  # L + frame, DLL CRCs removed

    @classmethod
    def parse(cls, raw: bytes) -> RxIndication | None:
        """Parse checked frame bytes of a 0x20 indication; None if it is not one or too short."""
        if raw[0] != Sap.WMBUSGW or raw[1] != WmbusGwMessage.RX_MESSAGE_IND:
            return None
        if len(raw) < RX_TELEGRAM_AT + 1 + CRC_SIZE:
            return None
        rssi = raw[RX_RSSI_AT]
        return cls(
            stick_timestamp_s=int.from_bytes(raw[RX_TIMESTAMP_AT : RX_TIMESTAMP_AT + 4], "little"),
            dec_status=raw[6],
            enc_mode=raw[7],
            info=raw[8],
            rssi_dbm=rssi - 256 if rssi > 127 else rssi,
            telegram=raw[RX_TELEGRAM_AT:-CRC_SIZE],
        )


class DropReason(StrEnum):
    """Why the decoder discarded a frame (or, for OVERSIZE, bytes)."""

    TOO_SHORT = "too_short"  # fewer bytes than the shortest message: noise, or a cut-off frame
    CRC_MISMATCH = "crc_mismatch"  # a cut-off frame, line noise, or garbage between frames
    BAD_ESCAPE = "bad_escape"  # a db not followed by dc or dd
    OVERSIZE = "oversize_bytes"  # bytes with no c0 for longer than any frame


class FrameDecoder:
    """Incremental SLIP decoder: feed it reads of any size, get checked frames back.

    Resyncs at every ``c0``: what lies between two ``c0`` is one candidate frame, kept only if
    it unescapes, is long enough and matches its CRC; anything else is counted in ``dropped``
    and forgotten (garbage between frames, a frame cut off when the port opened). Runs of
    ``c0`` are idle line, not frames (a host sends them to end a partial frame; wmbusmeters
    treats an all-``c0`` read as junk). The buffer never holds more than one escaped frame.
    """

    def __init__(self, *, min_size: int = MIN_STICK_FRAME_SIZE) -> None:
        """``min_size``: shortest frame kept, CRC included (a host's requests are shorter)."""
        self._pending = b""
        self._min_size = min_size
        self.dropped: Counter[str] = Counter()
        self.frames_decoded = 0

    @property
    def buffered(self) -> int:
        """Bytes held for a frame whose closing ``c0`` has not arrived."""
        return len(self._pending)

    def reset(self) -> None:
        """Forget a partial frame (after reopening the port); counters are kept."""
        self._pending = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes read from the port; return the checked frames they complete (SAP .. CRC)."""
        if self._pending:
            data = self._pending + data
        frames: list[bytes] = []
        start = 0
        find = data.find
        while (end := find(END, start)) >= 0:
            if end > start:
                chunk = data[start:end]
                frame = slip_unescape(chunk) if ESC in chunk else chunk
                if frame is None:
                    self.dropped[DropReason.BAD_ESCAPE] += 1
                elif len(frame) < self._min_size:
                    self.dropped[DropReason.TOO_SHORT] += 1
                elif crc16_x25(frame) != CRC_RESIDUE:
                    self.dropped[DropReason.CRC_MISMATCH] += 1
                else:
                    frames.append(frame)
            start = end + 1
        rest = data[start:]
        if len(rest) > MAX_ESCAPED_FRAME_SIZE:
            self.dropped[DropReason.OVERSIZE] += len(rest)
            rest = b""
        self._pending = rest
        self.frames_decoded += len(frames)
        return frames


def split_stream(stream: bytes) -> list[tuple[bytes, bytes | None, DropReason | None]]:
    """Every candidate frame of ``stream``: (escaped bytes, checked bytes or None, why not).

    For tools that show what went wrong (``frames --radio iu891a``); the decoder does the same
    without keeping the failures. A tail without its closing ``c0`` is left out.
    """
    out: list[tuple[bytes, bytes | None, DropReason | None]] = []
    chunks = stream.split(_END_BYTES)
    for escaped in chunks[:-1]:
        if not escaped:
            continue
        frame = slip_unescape(escaped)
        if frame is None:
            out.append((escaped, None, DropReason.BAD_ESCAPE))
        elif len(frame) < MIN_STICK_FRAME_SIZE:
            out.append((escaped, None, DropReason.TOO_SHORT))
        elif crc16_x25(frame) != CRC_RESIDUE:
            out.append((escaped, None, DropReason.CRC_MISMATCH))
        else:
            out.append((escaped, frame, None))
    return out
