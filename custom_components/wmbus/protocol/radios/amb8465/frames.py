"""AMB8465 byte streams: encoders and one incremental decoder for both framings. No I/O.

Command frames (``ff cmd len payload cs``) carry an XOR check and are recognised in every mode:
the confirms to the host's requests always come this way, and a DATA_IND that checks out is a
telegram whatever the stick was believed to be set to. Transparent telegrams (``len C ... RSSI``)
have no marker and no check value; the decoder looks for them only when told the stick is in
transparent mode (``transparent=True``, parameter 0x05 = 0). In command output mode that
heuristic would only add risk: after a bad checksum the bytes of the DATA_IND itself
(``len C ...``) look like a transparent telegram, and line noise would turn into telegrams.

Resync follows wmbusmeters' ``checkAMB8465Frame``: a transparent telegram starts at a length of
at least 10 followed by a meter's C-field. A partial frame left for 2 s or more is abandoned
(wmbusmeters commit 6d227f83): at 9600 baud a whole telegram takes under 0.3 s, so it was noise
or a false start, and waiting on would hold back what comes next. Unlike wmbusmeters, only its
first byte is dropped and the rest scanned again: a telegram that arrived behind a false start
is still delivered. A command frame with a good XOR found inside a partial frame proves that
partial false at once (so a confirm the host waits for is not held back).
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from functools import reduce
from operator import xor
from typing import Final, NamedTuple

from .types import (
    CHECKSUM_SIZE,
    HEADER_SIZE,
    MAX_PAYLOAD_SIZE,
    METER_C_FIELDS,
    MIN_TRANSPARENT_LEN,
    START,
    STICK_FRAME_IDS,
    Command,
    rssi_to_dbm,
)

# A frame cut off for this long is abandoned (wmbusmeters drops its buffer after 2 s of silence).
STALE_PARTIAL_S: Final = 2.0
# The ``command`` of a telegram that arrived in transparent framing (no command id on the wire).
TRANSPARENT: Final = -1


def checksum(data: bytes | bytearray) -> int:
    """XOR of every byte: the check value of a command frame over everything before it."""
    return reduce(xor, data, 0)


def encode_frame(command: int, payload: bytes = b"") -> bytes:
    """One command frame, ``ff cmd len payload cs`` (requests, and the stick's answers)."""
    if len(payload) > MAX_PAYLOAD_SIZE:
        raise ValueError(f"AMB8465 payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_SIZE}")
    body = bytes((START, command, len(payload))) + payload
    return body + bytes((checksum(body),))


def _stick_body(telegram: bytes, rssi_raw: int | None) -> bytes:
    """What the stick sends of a telegram: the frame from the C-field, no L, then the RSSI."""
    if len(telegram) < 2 or telegram[0] != len(telegram) - 1:
        raise ValueError("a telegram starts with an L-field counting the bytes after it")
    return telegram[1:] if rssi_raw is None else telegram[1:] + bytes((rssi_raw,))


def encode_transparent(telegram: bytes, rssi_raw: int) -> bytes:
    """A telegram (from its L-field) as the stick sends it in transparent mode: len counts RSSI."""
    body = _stick_body(telegram, rssi_raw)
    if len(body) > MAX_PAYLOAD_SIZE:
        raise ValueError(f"telegram of {len(telegram)} bytes is too long for the AMB8465")
    return bytes((len(body),)) + body


def encode_data_ind(telegram: bytes, rssi_raw: int | None) -> bytes:
    """A telegram as a DATA_IND (command output mode); RSSI only if parameter 0x45 asks."""
    return encode_frame(Command.DATA_IND, _stick_body(telegram, rssi_raw))


class AmberFrame(NamedTuple):
    """One frame from the stick.

    ``command`` is the id on the wire (DATA_IND or a confirm, ``cmd | 0x80``) or TRANSPARENT.
    For a telegram, ``telegram`` is L + frame from the C-field (L counting the bytes after it,
    the RSSI byte dropped, as ioBroker.wmbus' ``fixPayload`` does) and ``payload`` is empty;
    for a confirm, ``payload`` is its payload and ``telegram`` None. A NamedTuple: one is made
    per telegram on the read path.
    """

    command: int
    payload: bytes
    telegram: bytes | None = None
    rssi_raw: int | None = None

    @property
    def rssi_dbm(self) -> float | None:
        """RSSI in dBm if the frame carried the byte."""
        return None if self.rssi_raw is None else rssi_to_dbm(self.rssi_raw)


class DropReason(StrEnum):
    """Why the decoder discarded bytes (every count is in bytes)."""

    GARBAGE = "garbage_bytes"  # no frame starts here
    CHECKSUM_MISMATCH = "checksum_mismatch"  # a command frame whose XOR failed (1 byte each)
    FALSE_START = "false_start"  # a start that a checked frame inside it proved wrong
    # Partial frames abandoned after a 2 s gap. Only command-frame partials mean a fault:
    # transparent ones are RF noise or a cut-off telegram (wmbusmeters 6d227f83).
    STALE_COMMAND = "stale_partial_command"
    STALE_TRANSPARENT = "stale_partial_transparent"


class FrameDecoder:
    """Incremental decoder of the stick's output: feed it reads of any size, get frames back.

    ``transparent``: also look for transparent telegrams (the stick's parameter 0x05 is 0).
    ``data_ind_rssi``: a DATA_IND ends with the RSSI byte (parameter 0x45 is 1). Both may change
    between reads (the driver sets them once it has read the parameters).
    """

    def __init__(self, *, transparent: bool = True, data_ind_rssi: bool = True) -> None:
        """Create a decoder; the defaults are the stick's factory settings as seen on the wire."""
        self.transparent = transparent
        self.data_ind_rssi = data_ind_rssi
        self._buffer = bytearray()
        self._last_data_at = 0.0
        self.dropped: Counter[str] = Counter()
        self.frames_decoded = 0

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete frame."""
        return len(self._buffer)

    @property
    def stale_at(self) -> float | None:
        """When the partial frame held now goes stale (``feed``'s clock), None if none is held.

        A reader that gets no more bytes calls ``feed(b"", now)`` then, so that a telegram
        behind a false start comes out without waiting for the next telegram.
        """
        return self._last_data_at + STALE_PARTIAL_S if self._buffer else None

    def reset(self) -> None:
        """Forget a partial frame (after reopening the port); counters are kept."""
        self._buffer.clear()

    def feed(self, data: bytes, now: float | None = None) -> list[AmberFrame]:
        """Add bytes read from the port and return the frames they complete.

        ``now`` (seconds, any monotonic clock): if the bytes held from before are
        STALE_PARTIAL_S old, the frame they start is abandoned first, and what follows its
        first byte scanned again, so a telegram hidden behind a false start is still found.
        Without ``now`` partial frames are kept.
        """
        frames: list[AmberFrame] = []
        if now is not None:
            if self._buffer and now - self._last_data_at >= STALE_PARTIAL_S:
                frames = self._parse(stale=True)
            if data:
                self._last_data_at = now
        self._buffer += data
        if frames:
            frames += self._parse(stale=False)
            return frames
        return self._parse(stale=False)

    def _parse(self, *, stale: bool) -> list[AmberFrame]:
        """Cut whole frames off the buffer; ``stale``: nothing more will complete a partial."""
        buf = self._buffer
        dropped = self.dropped
        frames: list[AmberFrame] = []
        pos = 0
        end = len(buf)
        while pos < end:
            first = buf[pos]
            if first == START and end - pos < 2 and not stale:
                break  # the next byte tells a command frame from a 255-byte telegram
            if first == START and end - pos >= 2 and buf[pos + 1] in STICK_FRAME_IDS:
                size = HEADER_SIZE + buf[pos + 2] + CHECKSUM_SIZE if end - pos > 2 else end + 1
                if end - pos < size:
                    if stale:
                        dropped[DropReason.STALE_COMMAND] += 1
                    elif _checked_frame_within(buf, pos + 1, pos + size, end):
                        dropped[DropReason.FALSE_START] += 1
                    else:
                        break
                    pos += 1
                    continue
                if checksum(buf[pos : pos + size - 1]) != buf[pos + size - 1]:
                    dropped[DropReason.CHECKSUM_MISMATCH] += 1
                    pos += 1
                    continue
                command = buf[pos + 1]
                length = size - HEADER_SIZE - CHECKSUM_SIZE
                if command != Command.DATA_IND:
                    frames.append(AmberFrame(command, bytes(buf[pos + 3 : pos + size - 1])))
                elif self.data_ind_rssi and length:
                    telegram = bytes((length - 1,)) + buf[pos + 3 : pos + 2 + length]
                    frames.append(AmberFrame(command, b"", telegram, buf[pos + 2 + length]))
                else:  # no RSSI: the len byte is the L-field as it stands
                    frames.append(AmberFrame(command, b"", bytes(buf[pos + 2 : pos + size - 1])))
                self.frames_decoded += 1
                pos += size
                continue
            if self.transparent and first >= MIN_TRANSPARENT_LEN:
                if end - pos < 2 and not stale:
                    break
                if end - pos >= 2 and buf[pos + 1] in METER_C_FIELDS:
                    size = first + 1
                    if end - pos < size:
                        if stale:
                            dropped[DropReason.STALE_TRANSPARENT] += 1
                        elif _checked_frame_within(buf, pos + 1, pos + size, end):
                            dropped[DropReason.FALSE_START] += 1
                        else:
                            break
                        pos += 1
                        continue
                    telegram = bytes((first - 1,)) + buf[pos + 1 : pos + first]
                    frames.append(AmberFrame(TRANSPARENT, b"", telegram, buf[pos + first]))
                    self.frames_decoded += 1
                    pos += size
                    continue
            dropped[DropReason.GARBAGE] += 1
            pos += 1
        del buf[:pos]
        return frames


def _checked_frame_within(buf: bytearray, start: int, stop: int, end: int) -> bool:
    """Whether a complete command frame with a good XOR starts in ``buf[start:stop]``.

    Such a frame proves that an incomplete frame before it was a false start (noise, a cut-off
    telegram), so the confirm the host waits for is not held back behind it.
    """
    while (start := buf.find(START, start, stop)) >= 0:
        if end - start >= HEADER_SIZE + CHECKSUM_SIZE and buf[start + 1] in STICK_FRAME_IDS:
            size = HEADER_SIZE + buf[start + 2] + CHECKSUM_SIZE
            if (
                size <= end - start
                and checksum(buf[start : start + size - 1]) == buf[start + size - 1]
            ):
                return True
        start += 1
    return False
