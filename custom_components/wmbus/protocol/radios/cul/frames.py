"""culfw's serial lines: an incremental decoder and the telegram line encoder. Pure code, no I/O.

Every message is a line ended by CR LF (a bare LF is taken too, as wmbusmeters does). A line
starting with ``b`` is a telegram (see :mod:`.types`); every other line answers a command: the
version line, the link-mode answer, or culfw's unknown-command line, which echoes the line it
got up to a NUL, with the command list of its build (wmbusmeters issues #224 and #1495; the
wmbusmeters-wiki ``nanoCUL.md`` log shows ``? ( is unknown) Use one of B b C e F G K l M R T t
V W X x``). Anything else is junk, counted.

A telegram line carries the frame as it was on the air, block CRCs included: the decoder checks
and strips them (:mod:`...blocks`) and hands over the telegram from its L-field without them.
The frame's own L-field says how many hex digits the frame takes, which tells a line with LQI
and RSSI from one without them (wmbusmeters issues #224 and #1245 show both) and a complete
line from one the stock firmware cut (see ``STOCK_LINE_MAX_CHARS``).
"""

from __future__ import annotations

import binascii
from collections import Counter
from enum import StrEnum
import re
from typing import NamedTuple

from ...blocks import (
    BlockCrcMismatch,
    BlockLengthMismatch,
    FrameFormat,
    add_block_crcs,
    format_a_size,
    format_b_size,
    strip_format_a,
    strip_format_b,
)
from .types import (
    FORMAT_B_MARK,
    LINE_END,
    LQI_RSSI_SIZE,
    MAX_LINE_SIZE,
    MODE_ANSWERS,
    TELEGRAM_MARK,
    AnswerKind,
    dbm_to_rssi,
    rssi_to_dbm,
)

_UNKNOWN_PREFIX = "? ("
_UNKNOWN_INFIX = " is unknown)"
# culfw ``set_txreport`` with no argument: DH2(tx_report), DU(credit_10ms, 5), DNL().
_REPORTING_RE = re.compile(r"[0-9A-F]{2} *\d{1,5}")


class DropReason(StrEnum):
    """Why the decoder dropped a line."""

    CUT_BY_FIRMWARE = "cut_by_firmware"  # fewer hex digits than the L-field promises
    CRC_MISMATCH = "crc_mismatch"  # a block CRC does not match: damaged on the air
    LENGTH_MISMATCH = "length_mismatch"  # more (or other) hex digits than the L-field implies
    BAD_HEX = "bad_hex"  # a "b" line with characters that are not hex digits
    UNKNOWN_COMMAND = "unknown_command_answers"  # culfw's "? (... is unknown)" line
    JUNK_LINE = "junk_lines"  # a line that is neither telegram nor answer
    OVERLONG_LINE = "overlong_lines"  # no line feed within MAX_LINE_SIZE bytes


class CulTelegram(NamedTuple):
    """One telegram line: the telegram from its L-field without block CRCs."""

    telegram: bytes
    rssi_dbm: float | None  # None when the line carried no LQI/RSSI (reporting with X01)
    lqi: int | None  # the CC1101's LQI, lower is better (bit 7, CRC OK, masked off)
    frame_format: FrameFormat


class CulAnswer(NamedTuple):
    """A line answering a command."""

    kind: AnswerKind
    text: str
    command: str | None = None  # the line an unknown-command answer echoes


class DroppedLine(NamedTuple):
    """A line the decoder dropped.

    Cut telegrams are always reported (the driver warns once), other drops only by a decoder
    made with ``report_drops`` (the command line).
    """

    reason: DropReason
    line: bytes
    length_field: int | None = None  # a telegram line's L-field, when it has one


type CulLine = CulTelegram | CulAnswer | DroppedLine


def encode_telegram_line(
    telegram: bytes,
    frame_format: FrameFormat = FrameFormat.A,
    *,
    rssi_dbm: float | None = -60.0,
    lqi: int = 0x20,
) -> bytes:
    """The line culfw prints for ``telegram`` (L + data, no CRCs).

    Block CRCs added, upper-case hex, then LQI and RSSI unless ``rssi_dbm`` is None
    (reporting started with ``X01``).
    """
    frame = add_block_crcs(telegram, frame_format)
    mark = b"bY" if frame_format is FrameFormat.B else b"b"
    tail = b"" if rssi_dbm is None else bytes((lqi & 0xFF, dbm_to_rssi(rssi_dbm)))
    return mark + binascii.b2a_hex(frame + tail).upper() + LINE_END


def classify_answer(text: str) -> CulAnswer | None:
    """The answer a non-telegram line gives, or None for junk."""
    if text.startswith("V "):
        return CulAnswer(AnswerKind.VERSION, text)
    if text in MODE_ANSWERS:
        return CulAnswer(AnswerKind.MODE, text)
    if _REPORTING_RE.fullmatch(text):
        return CulAnswer(AnswerKind.REPORTING, text)
    if text.startswith(_UNKNOWN_PREFIX):
        end = text.find(_UNKNOWN_INFIX)
        if end >= 0:
            return CulAnswer(AnswerKind.UNKNOWN_COMMAND, text, text[len(_UNKNOWN_PREFIX) : end])
    return None


class LineDecoder:
    """Incremental decoder of culfw's output: feed it reads of any size, get its lines back.

    Telegrams come back as :class:`CulTelegram` (checked, CRCs stripped), answers as
    :class:`CulAnswer`, cut telegrams as :class:`DroppedLine`; every dropped line is counted
    in ``dropped`` by reason. Nothing raises: a junk line costs one count.
    """

    def __init__(self, *, report_drops: bool = False) -> None:
        """Create a decoder; ``report_drops`` returns every dropped line (debugging tools)."""
        self._buffer = bytearray()
        self._report_drops = report_drops
        self.dropped: Counter[str] = Counter()
        self.telegrams_decoded = 0

    @property
    def buffered(self) -> int:
        """Bytes held for a line without its line feed yet."""
        return len(self._buffer)

    def reset(self) -> None:
        """Forget a partial line (the port was just opened); counters are kept."""
        self._buffer.clear()

    def feed(self, data: bytes) -> list[CulLine]:
        """Add bytes read from the port and return the lines they complete."""
        buf = self._buffer
        # Most reads hold whole lines: then they are cut from ``data`` with no copy to a buffer.
        if buf:
            buf += data
            data = bytes(buf)
            buf.clear()
        lines: list[CulLine] = []
        pos = 0
        while (end := data.find(b"\n", pos)) >= 0:
            line = data[pos:end].strip(b"\r")
            pos = end + 1
            if line:
                item = (
                    self._decode_telegram(line)
                    if line[0] == TELEGRAM_MARK
                    else self._decode_answer(line)
                )
                if item is not None:
                    lines.append(item)
        if pos < len(data):
            if len(data) - pos > MAX_LINE_SIZE:
                self._drop(DropReason.OVERLONG_LINE, b"")
            else:
                buf += data[pos:]
        return lines

    def decode_line(self, line: bytes) -> CulLine | None:
        """One line without its line break; None for a drop that is not reported."""
        if line[0] == TELEGRAM_MARK:
            return self._decode_telegram(line)
        return self._decode_answer(line)

    def _decode_answer(self, line: bytes) -> CulLine | None:
        answer = classify_answer(line.decode("ascii", "replace"))
        if answer is None:
            return self._drop(DropReason.JUNK_LINE, line)
        if answer.kind is AnswerKind.UNKNOWN_COMMAND:
            self.dropped[DropReason.UNKNOWN_COMMAND] += 1
        return answer

    def _drop(
        self, reason: DropReason, line: bytes, length_field: int | None = None
    ) -> DroppedLine | None:
        self.dropped[reason] += 1
        if self._report_drops or reason is DropReason.CUT_BY_FIRMWARE:
            return DroppedLine(reason, line, length_field)
        return None

    def _decode_telegram(self, line: bytes) -> CulLine | None:
        format_b = len(line) > 1 and line[1] == FORMAT_B_MARK
        digits = line[2:] if format_b else line[1:]
        if len(digits) < 2:
            return self._drop(DropReason.LENGTH_MISMATCH, line)
        if len(digits) & 1:
            # An odd count is the stock firmware's cut (wmbusmeters issue #390); the frame may
            # still be whole if only the LQI/RSSI digits were lost.
            digits = digits[:-1]
        try:
            raw = binascii.a2b_hex(digits)
        except binascii.Error:
            return self._drop(DropReason.BAD_HEX, line)
        length_field = raw[0]
        size = len(raw)
        if not format_b:
            # The common line, frame A with LQI and RSSI, without the general search below.
            frame_size = format_a_size(length_field)
            if size == frame_size + LQI_RSSI_SIZE:
                try:
                    telegram = strip_format_a(raw[:frame_size])
                except BlockCrcMismatch:
                    pass  # perhaps frame B in a "b" line: decided below
                else:
                    self.telegrams_decoded += 1
                    return CulTelegram(
                        telegram, rssi_to_dbm(raw[-1]), raw[-2] & 0x7F, FrameFormat.A
                    )
        # The line says B ("bY"); a plain "b" is frame A (T1, C1 frame A), but is tried as B
        # too, since a build may not mark B. Frame A is the one a short line is judged by.
        expected = format_b_size(length_field) if format_b else format_a_size(length_field)
        crc_failed = False
        for frame_format, frame_size in (
            ((FrameFormat.B, expected),)
            if format_b
            else ((FrameFormat.A, expected), (FrameFormat.B, format_b_size(length_field)))
        ):
            if size == frame_size + LQI_RSSI_SIZE:
                frame = raw[:frame_size]
                lqi: int | None = raw[frame_size] & 0x7F
                rssi_dbm: float | None = rssi_to_dbm(raw[frame_size + 1])
            elif frame_size <= size < frame_size + LQI_RSSI_SIZE:
                # No LQI/RSSI (X01, or lines as in wmbusmeters issues #224 and #1245), or
                # only part of them: the frame itself is whole.
                frame = raw[:frame_size]
                lqi = rssi_dbm = None
            else:
                continue
            try:
                if frame_format is FrameFormat.A:
                    telegram = strip_format_a(frame)
                else:
                    telegram = strip_format_b(frame)
            except BlockCrcMismatch:
                crc_failed = True
                continue
            except BlockLengthMismatch:
                continue
            self.telegrams_decoded += 1
            return CulTelegram(telegram, rssi_dbm, lqi, frame_format)
        if size < expected:
            # Shorter than its L-field promises: cut, even where the digits happen to make a
            # frame-B-sized line whose CRC then fails.
            return self._drop(DropReason.CUT_BY_FIRMWARE, line, length_field)
        if crc_failed:
            return self._drop(DropReason.CRC_MISMATCH, line, length_field)
        return self._drop(DropReason.LENGTH_MISMATCH, line, length_field)
