"""iM871A HCI frames: an encoder and an incremental decoder. Pure code, no I/O.

There is no end marker and no byte stuffing, so a reader has to compute each frame's size from
its header and check the CRC to tell a real frame from an ``a5`` inside a payload.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from ...crypto import crc16_x25
from .types import (
    CONTROL_CRC,
    CONTROL_RESERVED,
    CONTROL_RSSI,
    CONTROL_TIMESTAMP,
    CRC_SIZE,
    ENDPOINT_MASK,
    HEADER_SIZE,
    MAX_MESSAGE_ID,
    MAX_PAYLOAD_SIZE,
    RSSI_SIZE,
    SOF,
    TIMESTAMP_SIZE,
    Endpoint,
    RadioLinkMessage,
    rssi_to_dbm,
)


def encode_frame(
    endpoint: int,
    msg_id: int,
    payload: bytes = b"",
    *,
    timestamp: bytes | None = None,
    rssi_raw: int | None = None,
    with_crc: bool = False,
) -> bytes:
    """Build one HCI frame; host requests go without CRC, as the seed and wmbusmeters send them."""
    if len(payload) > MAX_PAYLOAD_SIZE:
        raise ValueError(f"HCI payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_SIZE}")
    control = 0
    trailer = bytearray()
    if timestamp is not None:
        if len(timestamp) != TIMESTAMP_SIZE:
            raise ValueError("HCI timestamp must be 4 bytes")
        control |= CONTROL_TIMESTAMP
        trailer += timestamp
    if rssi_raw is not None:
        control |= CONTROL_RSSI
        trailer.append(rssi_raw)
    if with_crc:
        control |= CONTROL_CRC
    body = bytes((control | endpoint, msg_id, len(payload))) + payload + trailer
    if with_crc:
        body += crc16_x25(body).to_bytes(2, "little")
    return bytes((SOF,)) + body


@dataclass(frozen=True, slots=True)
class HciFrame:
    """One decoded HCI frame."""

    control: int
    endpoint: int
    msg_id: int
    payload: bytes
    timestamp: bytes | None = None
    rssi_raw: int | None = None
    crc: int | None = None
    crc_ok: bool | None = None  # None when the frame carries no CRC
    raw: bytes = field(default=b"", repr=False)

    @property
    def is_telegram(self) -> bool:
        """True for a received wM-Bus telegram (RADIOLINK data indication)."""
        return self.endpoint == Endpoint.RADIOLINK and self.msg_id == RadioLinkMessage.WMBUS_MSG_IND

    @property
    def telegram(self) -> bytes | None:
        """The telegram as L + payload (the HCI length byte is the wM-Bus L-field), else None."""
        if self.endpoint != Endpoint.RADIOLINK or self.msg_id != RadioLinkMessage.WMBUS_MSG_IND:
            return None
        if self.raw:  # one slice instead of a join: the stick takes this once per telegram
            return self.raw[HEADER_SIZE - 1 : HEADER_SIZE + len(self.payload)]
        return bytes((len(self.payload),)) + self.payload

    @property
    def rssi_dbm(self) -> float | None:
        """RSSI in dBm if the stick attached it."""
        return None if self.rssi_raw is None else rssi_to_dbm(self.rssi_raw)


class DropReason(StrEnum):
    """Why the decoder discarded bytes."""

    GARBAGE = "garbage_bytes"  # bytes before a start-of-frame
    BAD_HEADER = "bad_header"  # a5 followed by a reserved bit, bad endpoint or msg id
    CRC_MISMATCH = "crc_mismatch"
    NO_CRC = "no_crc"  # only when the decoder requires a CRC


def frame_size(control: int, length: int) -> int:
    """Total size of a frame from its control byte and length byte."""
    size = HEADER_SIZE + length
    if control & CONTROL_TIMESTAMP:
        size += TIMESTAMP_SIZE
    if control & CONTROL_RSSI:
        size += RSSI_SIZE
    if control & CONTROL_CRC:
        size += CRC_SIZE
    return size


def header_is_valid(control_endpoint: int, msg_id: int) -> bool:
    """Check byte 1 and the msg id before trusting a length byte (noise can start with a5)."""
    if control_endpoint & CONTROL_RESERVED:
        return False
    max_id = MAX_MESSAGE_ID.get(control_endpoint & ENDPOINT_MASK)
    return max_id is not None and 1 <= msg_id <= max_id


def _find_checked_frame(buf: bytearray, start: int, stop: int, end: int) -> int:
    """Return where a complete frame with a good CRC starts in ``buf[start:stop]``, else -1.

    The frame must carry a CRC, lie within ``buf[:end]`` and match its CRC. Such a frame
    is proof (up to a 16-bit CRC collision) of where a real frame lies; the decoder uses
    it to tell a false start from a frame that is still arriving.
    """
    while True:
        start = buf.find(SOF, start, stop)
        if start < 0 or end - start < HEADER_SIZE:
            return -1
        control_endpoint = buf[start + 1]
        if control_endpoint & CONTROL_CRC and header_is_valid(control_endpoint, buf[start + 2]):
            size = frame_size(control_endpoint & 0xF0, buf[start + 3])
            if size <= end - start:
                crc_at = start + size - CRC_SIZE
                crc = buf[crc_at] | (buf[crc_at + 1] << 8)
                if crc16_x25(bytes(buf[start + 1 : crc_at])) == crc:
                    return start
        start += 1


class FrameDecoder:
    """Incremental HCI frame decoder: feed it reads of any size, get whole frames back.

    Resyncs on the next ``a5`` after garbage; on a header that cannot be a frame or a CRC
    mismatch it drops one byte only, so a real frame hidden behind a false start is still found.
    A false start that promises more bytes than have arrived, or a CRC-less one, gives way
    to a complete frame with a good CRC starting inside it.
    The buffer never holds more than one maximal frame between calls.
    """

    def __init__(self, *, require_crc: bool = False, report_crc_failures: bool = False) -> None:
        """Create a decoder.

        require_crc: drop frames that carry no CRC (a CRC-less header may be noise).
        report_crc_failures: also return CRC-failed frames (crc_ok False), for debugging tools;
        they are still counted as dropped and resynced past.
        """
        self._buffer = bytearray()
        self._require_crc = require_crc
        self._report_crc_failures = report_crc_failures
        self.dropped: Counter[str] = Counter()
        self.frames_decoded = 0

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete frame."""
        return len(self._buffer)

    def reset(self) -> None:
        """Forget a partial frame (after reopening the port); counters are kept."""
        self._buffer.clear()

    def feed(self, data: bytes) -> list[HciFrame]:
        """Add bytes read from the port and return the frames they complete."""
        buf = self._buffer
        buf += data
        frames: list[HciFrame] = []
        pos = 0
        end = len(buf)
        while pos < end:
            if buf[pos] != SOF:
                sof = buf.find(SOF, pos)
                skipped = (end if sof < 0 else sof) - pos
                self.dropped[DropReason.GARBAGE] += skipped
                pos += skipped
                continue
            if end - pos < HEADER_SIZE:
                break
            control_endpoint = buf[pos + 1]
            msg_id = buf[pos + 2]
            if not header_is_valid(control_endpoint, msg_id):
                self.dropped[DropReason.BAD_HEADER] += 1
                pos += 1
                continue
            control = control_endpoint & 0xF0
            size = frame_size(control, buf[pos + 3])
            if end - pos < size:
                # Wait for the rest, unless a complete frame with a good CRC already starts
                # inside the promised bytes: then this a5 was a false start (a cut-off frame
                # or an a5 in a payload), and waiting would hold the real frame back.
                if _find_checked_frame(buf, pos + 1, end, end) < 0:
                    break
                self.dropped[DropReason.BAD_HEADER] += 1
                pos += 1
                continue
            frame = self._parse(bytes(buf[pos : pos + size]), control, control_endpoint, msg_id)
            if frame.crc_ok is False:
                self.dropped[DropReason.CRC_MISMATCH] += 1
                # Report it unless a real frame starts inside it (then it was no frame).
                if self._report_crc_failures and (
                    _find_checked_frame(buf, pos + 1, pos + size, end) < 0
                ):
                    frames.append(frame)
                pos += 1
                continue
            if frame.crc_ok is None:
                if self._require_crc:
                    self.dropped[DropReason.NO_CRC] += 1
                    pos += 1
                    continue
                # Nothing vouches for a CRC-less frame: it loses to a checked one inside it.
                if _find_checked_frame(buf, pos + 1, pos + size, end) >= 0:
                    self.dropped[DropReason.BAD_HEADER] += 1
                    pos += 1
                    continue
            self.frames_decoded += 1
            frames.append(frame)
            pos += size
        del buf[:pos]
        return frames

    @staticmethod
    def _parse(raw: bytes, control: int, control_endpoint: int, msg_id: int) -> HciFrame:
        length = raw[3]
        pos = HEADER_SIZE + length
        timestamp = None
        rssi_raw = None
        crc = None
        crc_ok = None
        if control & CONTROL_TIMESTAMP:
            timestamp = raw[pos : pos + TIMESTAMP_SIZE]
            pos += TIMESTAMP_SIZE
        if control & CONTROL_RSSI:
            rssi_raw = raw[pos]
            pos += RSSI_SIZE
        if control & CONTROL_CRC:
            crc = int.from_bytes(raw[pos : pos + CRC_SIZE], "little")
            crc_ok = crc16_x25(raw[1:pos]) == crc
        return HciFrame(
            control=control,
            endpoint=control_endpoint & ENDPOINT_MASK,
            msg_id=msg_id,
            payload=raw[HEADER_SIZE : HEADER_SIZE + length],
            timestamp=timestamp,
            rssi_raw=rssi_raw,
            crc=crc,
            crc_ok=crc_ok,
            raw=raw,
        )
