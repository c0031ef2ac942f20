"""Telegrams as network feeds carry them: one line or one MQTT payload in, telegrams out. No I/O.

Gateways on the network hand telegrams over as text, and a listener cannot know beforehand which
form a sender uses, so every message is recognised on its own:

- **bare hex**, with or without ``0x``: what ESPHome's ``frame->as_hex()`` and the raw-only
  MQTT bridges publish, and wmbusmeters' ``stdin:hex`` reads: the frame from its L-field, the
  block CRCs already removed. A line that still carries its frame-format-A block CRCs (its
  length is the on-air size for its L-field) has them checked and stripped.
- **an rtl_wmbus line** ``MODE;CRC_OK;3OUTOF6OK;TIMESTAMP;PACKET_RSSI;CURRENT_RSSI;ID;0xDATA``
  as rtl_wmbus prints it (wmbusmeters' ``checkRTLWMBUSFrame`` reads the same fields): ``X1`` or a
  ``0`` in the CRC or 3-out-of-6 fields marks a frame that failed on the air; the timestamp is
  UTC with ``.000``, local time with microseconds (rtl-wmbus since its commit b6a7705) or
  ESPHome's ``.00Z``. rtl_wmbus' PACKET_RSSI is a demodulator magnitude, not dBm, so it is kept
  as a level and the RSSI is None. ESPHome's ``as_rtlwmbus()`` (SzczepanLeon/esphome-components
  ``packet.cpp``) leaves fields 6 and 7 empty and puts a signed dBm value in field 5: that one is
  an RSSI in dBm.
- **an rtl_433 JSON event** of its ``Wireless-MBus`` decoder: ``data`` is the frame from the
  L-field with the block CRCs removed, ``mode`` C/T/S and ``id`` the meter id as a decimal
  number (leading zeros lost). For mode C frame format B rtl_433 keeps the L-field as received,
  which counts the CRC bytes that are no longer there (the events stored in
  merbanan/rtl_433_tests ``tests/m-bus/01`` have L - 1 data bytes): L is rewritten. Its ``rssi``
  (only with ``-M level``) is dB relative to the SDR's full scale, not dBm: kept as a level.
  Events of other devices (rtl_433 publishes every decoder's events on one topic) are
  ``other_device``.

The result is a :class:`FeedTelegram` (the telegram in the form every later stage takes: from the
L-field, no block CRCs, L counting the bytes after it) or a :class:`FeedRejected` with a
:class:`RejectReason`. An L-field that disagrees with the data beyond the quirks above is
refused, never guessed at. Nothing here raises on any input and nothing logs: the radios count
the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import json
import math
import re
from typing import Final

from ...blocks import BlockCrcMismatch, BlockLengthMismatch, format_a_size, strip_format_a

# L + C + M (2) + A (6) + CI: the shortest frame that names a meter and a layer above the link.
MIN_TELEGRAM_BYTES: Final = 11
# L is one byte: at most 255 bytes after it.
MAX_TELEGRAM_BYTES: Final = 256
# The longest line worth reading: an rtl_433 event with a 256-byte frame and every field is
# well under 2 KiB; anything longer is not a feed line (and must not grow a buffer).
MAX_LINE_BYTES: Final = 4096
# Frame format B (EN 13757-4): block 2 ends at byte 126 of the frame, its CRC included.
_FORMAT_B_BLOCK2_END: Final = 126
_CRC_BYTES: Final = 2

_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")
_RTL_MODE_RE: Final = re.compile(r"(?:.*[^A-Za-z0-9])?([CSTX]1)")
# Three forms in the wild: "2019-02-09 07:14:18.000" (UTC), "2026-12-07 21:24:46.170254"
# (rtl-wmbus since b6a7705, local time), "2026-12-07 21:24:46.00Z" (ESPHome).
_RTL_TIME_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z?")
_SIGNED_INT_RE: Final = re.compile(r"[+-]?\d{1,4}")
_RTL_433_MODES: Final = frozenset({"C", "T", "S"})
_RTL_433_MODEL: Final = "Wireless-MBus"
_RTL_WMBUS_FIELDS: Final = 8


class FeedFormat(StrEnum):
    """Which form a message had."""

    HEX = "hex"
    RTL_WMBUS = "rtl_wmbus"  # rtl_wmbus' own line: PACKET_RSSI is not dBm
    ESPHOME_RTL_WMBUS = "esphome_rtl_wmbus"  # ESPHome's as_rtlwmbus(): RSSI in dBm
    RTL_433_JSON = "rtl_433_json"


class RejectReason(StrEnum):
    """Why a message is not a telegram (what the radios count)."""

    EMPTY = "empty"  # a message with nothing in it
    TOO_LONG = "too_long"  # longer than any feed line (MAX_LINE_BYTES)
    NOT_HEX = "not_hex"  # a hex field with other characters or an odd number of digits
    CRC_FAILED = "crc_failed"  # the receiver or a block CRC says the frame was damaged
    CODING_FAILED = "coding_failed"  # rtl_wmbus: the 3-out-of-6 decoding failed
    LENGTH_MISMATCH = "length_mismatch"  # L-field and data length disagree
    NOT_A_TELEGRAM = "not_a_telegram"  # too short to be a wM-Bus frame
    ID_MISMATCH = "id_mismatch"  # the line's meter id is not the telegram's
    OTHER_DEVICE = "other_device"  # an rtl_433 event of another decoder
    UNKNOWN_FORMAT = "unknown_format"  # none of the forms above


@dataclass(frozen=True, slots=True)
class FeedTelegram:
    """A telegram from a feed: from the L-field, no block CRCs, L counting what follows.

    ``rssi_dbm`` only where the feed carries dBm (ESPHome); ``level`` is the feed's own signal
    figure where it has one that is not dBm (rtl_wmbus' demodulator magnitude, rtl_433's dB).
    """

    telegram: bytes
    feed_format: FeedFormat
    rssi_dbm: float | None = None
    level: float | None = None


@dataclass(frozen=True, slots=True)
class FeedRejected:
    """A message (or line) that is not a telegram, and why."""

    reason: RejectReason
    feed_format: FeedFormat | None = None


type FeedResult = FeedTelegram | FeedRejected


def parse_message(payload: bytes | str) -> list[FeedResult]:
    """Every telegram (or rejection) in one MQTT payload or UDP datagram.

    A JSON object is one rtl_433 event; any other message is one or more lines, blank lines
    skipped. A message with nothing in it is one ``empty`` rejection. Never raises.
    """
    text = _as_text(payload)
    if text is None:
        return [FeedRejected(RejectReason.UNKNOWN_FORMAT)]
    stripped = text.strip()
    if not stripped:
        return [FeedRejected(RejectReason.EMPTY)]
    if len(stripped) > MAX_LINE_BYTES * 16:
        return [FeedRejected(RejectReason.TOO_LONG)]
    if stripped.startswith("{"):
        event = parse_rtl_433_event(stripped)
        # JSON lines (one event a line) are read line by line below.
        if event != FeedRejected(RejectReason.UNKNOWN_FORMAT) or "\n" not in stripped:
            return [event]
    results: list[FeedResult] = []
    for line in stripped.splitlines():
        if line.strip():
            results.extend(parse_line(line))
    return results


def parse_line(line: bytes | str) -> list[FeedResult]:
    """The telegram(s) of one line: hex, an rtl_wmbus line or an rtl_433 event. Never raises.

    A list because wmbusmeters reads a second telegram after ``;0x`` on an rtl_wmbus line; a
    blank line gives an empty list.
    """
    text = _as_text(line)
    if text is None:
        return [FeedRejected(RejectReason.UNKNOWN_FORMAT)]
    text = text.strip()
    if not text:
        return []
    if len(text) > MAX_LINE_BYTES:
        return [FeedRejected(RejectReason.TOO_LONG)]
    if text.startswith("{"):
        return [parse_rtl_433_event(text)]
    if ";" in text:
        return _parse_rtl_wmbus(text)
    return [_parse_hex_line(text)]


def _as_text(payload: bytes | str) -> str | None:
    if isinstance(payload, str):
        return payload
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _hex_bytes(digits: str) -> bytes | None:
    if digits[:2] in ("0x", "0X"):
        digits = digits[2:]
    if not digits or len(digits) % 2 or not _HEX_DIGITS.issuperset(digits):
        return None
    return bytes.fromhex(digits)


def _parse_hex_line(text: str) -> FeedResult:
    # Spaces between bytes are taken, as wmbusmeters' hex input drops them.
    text = text.replace(" ", "").replace("\t", "")
    data = _hex_bytes(text)
    if data is None:
        # A word of text is not a broken telegram: only hex-looking lines count as not_hex.
        body = text[2:] if text[:2] in ("0x", "0X") else text
        looks_hex = sum(char in _HEX_DIGITS for char in body) * 2 > len(body)
        reason = RejectReason.NOT_HEX if looks_hex else RejectReason.UNKNOWN_FORMAT
        return FeedRejected(reason, FeedFormat.HEX if looks_hex else None)
    return _telegram_from_stripped(data, FeedFormat.HEX, crcs_allowed=True)


def _telegram_from_stripped(
    data: bytes,
    feed_format: FeedFormat,
    *,
    crcs_allowed: bool = False,
    format_b_quirk: bool = False,
    rssi_dbm: float | None = None,
    level: float | None = None,
) -> FeedResult:
    """Check L against the data; strip format-A CRCs a hex line still carries; fix quirks."""
    if len(data) < MIN_TELEGRAM_BYTES:
        return FeedRejected(RejectReason.NOT_A_TELEGRAM, feed_format)
    length_field = data[0]
    size = len(data)
    if size != length_field + 1:
        if crcs_allowed and size == format_a_size(length_field):
            try:
                data = strip_format_a(data)
            except BlockCrcMismatch:
                return FeedRejected(RejectReason.CRC_FAILED, feed_format)
            except BlockLengthMismatch:  # pragma: no cover - the size was just checked
                return FeedRejected(RejectReason.LENGTH_MISMATCH, feed_format)
        elif format_b_quirk and _is_format_b_quirk(length_field, size):
            data = bytes((size - 1,)) + data[1:]
        else:
            return FeedRejected(RejectReason.LENGTH_MISMATCH, feed_format)
    return FeedTelegram(data, feed_format, rssi_dbm, level)


def _is_format_b_quirk(length_field: int, size: int) -> bool:
    """L counts frame-format-B CRCs that were removed: one (block 2) or two (block 3 too)."""
    on_air = length_field + 1
    crcs = 1 if on_air <= _FORMAT_B_BLOCK2_END else 2
    return size == on_air - _CRC_BYTES * crcs


def _parse_rtl_wmbus(text: str) -> list[FeedResult]:
    fields = text.split(";")
    if len(fields) < _RTL_WMBUS_FIELDS:
        return [FeedRejected(RejectReason.UNKNOWN_FORMAT)]
    mode_field, crc_ok, coding_ok, timestamp, packet_rssi, current_rssi, ident = fields[:7]
    mode = _RTL_MODE_RE.fullmatch(mode_field.strip())
    if (
        mode is None
        or crc_ok not in ("0", "1")
        or coding_ok not in ("0", "1")
        or not _RTL_TIME_RE.fullmatch(timestamp.strip())
    ):
        return [FeedRejected(RejectReason.UNKNOWN_FORMAT)]
    esphome = not current_rssi and not ident
    feed_format = FeedFormat.ESPHOME_RTL_WMBUS if esphome else FeedFormat.RTL_WMBUS
    if mode.group(1) == "X1" or crc_ok == "0":
        return [FeedRejected(RejectReason.CRC_FAILED, feed_format)]
    if coding_ok == "0":
        return [FeedRejected(RejectReason.CODING_FAILED, feed_format)]
    rssi_dbm: float | None = None
    level: float | None = None
    packet_rssi = packet_rssi.strip()
    if packet_rssi:
        if not _SIGNED_INT_RE.fullmatch(packet_rssi):
            return [FeedRejected(RejectReason.UNKNOWN_FORMAT, feed_format)]
        if esphome:
            rssi_dbm = float(int(packet_rssi))
        else:
            level = float(int(packet_rssi))
    results: list[FeedResult] = []
    for data_field in fields[7:]:
        digits = data_field.strip()
        if not digits and results:
            continue  # a trailing ";"
        data = _hex_bytes(digits) if digits[:2] in ("0x", "0X") else None
        if data is None:
            results.append(FeedRejected(RejectReason.NOT_HEX, feed_format))
            continue
        # Older rtl_wmbus builds left a C1 frame-B L-field counting the removed CRCs (fixed
        # in weetmuts' rtl-wmbus fork, "Adjust length byte after DLL CRC:s are removed").
        result = _telegram_from_stripped(
            data,
            feed_format,
            format_b_quirk=mode.group(1) == "C1",
            rssi_dbm=rssi_dbm,
            level=level,
        )
        if (
            isinstance(result, FeedTelegram)
            and ident
            and ident.strip().upper() != result.telegram[7:3:-1].hex().upper()
        ):
            result = FeedRejected(RejectReason.ID_MISMATCH, feed_format)
        results.append(result)
    return results


def parse_rtl_433_event(text: str) -> FeedResult:
    """One rtl_433 JSON event (see the module docstring). Never raises."""
    feed_format = FeedFormat.RTL_433_JSON
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        return FeedRejected(RejectReason.UNKNOWN_FORMAT)
    if not isinstance(event, dict):
        return FeedRejected(RejectReason.UNKNOWN_FORMAT)
    model = event.get("model")
    if model is not None and model != _RTL_433_MODEL:
        return FeedRejected(RejectReason.OTHER_DEVICE, feed_format)
    data_hex = event.get("data")
    if not isinstance(data_hex, str):
        reason = RejectReason.UNKNOWN_FORMAT if model is None else RejectReason.NOT_A_TELEGRAM
        return FeedRejected(reason, feed_format if model is not None else None)
    if len(data_hex) > MAX_TELEGRAM_BYTES * 2 + 2:
        return FeedRejected(RejectReason.LENGTH_MISMATCH, feed_format)
    data = _hex_bytes(data_hex.strip())
    if data is None:
        return FeedRejected(RejectReason.NOT_HEX, feed_format)
    mode = event.get("mode")
    if mode is not None and mode not in _RTL_433_MODES:
        return FeedRejected(RejectReason.UNKNOWN_FORMAT, feed_format)
    level = _number(event.get("rssi"))
    result = _telegram_from_stripped(data, feed_format, format_b_quirk=mode == "C", level=level)
    if isinstance(result, FeedTelegram) and not _rtl_433_id_matches(
        event.get("id"), result.telegram
    ):
        return FeedRejected(RejectReason.ID_MISMATCH, feed_format)
    return result


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and abs(number) < 1e6 else None


def _rtl_433_id_matches(event_id: object, telegram: bytes) -> bool:
    """rtl_433's ``id`` is the BCD digits read as a decimal number; other ids are not checked."""
    digits = telegram[7:3:-1].hex()
    if isinstance(event_id, bool) or not isinstance(event_id, int) or not digits.isdigit():
        return True
    return event_id == int(digits)


class LineSplitter:
    """Bytes of a stream (a TCP connection) into lines, with a bounded buffer.

    A line ends at LF (CR LF too). A line longer than :data:`MAX_LINE_BYTES` is dropped up to its
    end and counted in ``too_long``; ``finish()`` hands over what is left when the stream ends,
    as ESPHome's socket_transmitter closes the connection after a frame that need not end in LF.
    """

    __slots__ = ("_buffer", "_discarding", "too_long")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._discarding = False
        self.too_long = 0

    def feed(self, data: bytes) -> list[bytes]:
        """Complete lines in ``data`` (with what was buffered before)."""
        lines: list[bytes] = []
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            piece = data[start:end]
            start = end + 1
            if self._discarding:
                self._discarding = False
                self._buffer.clear()
                continue
            if len(self._buffer) + len(piece) > MAX_LINE_BYTES:
                self.too_long += 1
                self._buffer.clear()
                continue
            if self._buffer:
                piece = bytes(self._buffer) + piece
                self._buffer.clear()
            lines.append(piece)
        rest = data[start:]
        if not self._discarding:
            if len(self._buffer) + len(rest) > MAX_LINE_BYTES:
                self.too_long += 1
                self._buffer.clear()
                self._discarding = True
            else:
                self._buffer += rest
        return lines

    def finish(self) -> bytes | None:
        """The unterminated last line at the end of the stream, if any."""
        rest = None if self._discarding or not self._buffer.strip() else bytes(self._buffer)
        self._buffer.clear()
        self._discarding = False
        return rest


def describe_stream(stream: bytes) -> list[dict[str, object]]:
    """The lines of a feed's byte stream for ``frames --radio tcp``: what each one is."""
    splitter = LineSplitter()
    lines = splitter.feed(stream)
    last = splitter.finish()
    if last is not None:
        lines.append(last)
    described: list[dict[str, object]] = []
    for line in lines:
        for result in parse_line(line):
            if isinstance(result, FeedTelegram):
                described.append(
                    {
                        "line": str(result.feed_format),
                        "telegram_hex": result.telegram.hex(),
                        "rssi_dbm": result.rssi_dbm,
                        "level": result.level,
                    }
                )
            else:
                described.append(
                    {
                        "error": str(result.reason),
                        "line": None if result.feed_format is None else str(result.feed_format),
                        "line_text": line[:80].decode("utf-8", "replace"),
                    }
                )
    described.extend({"error": "too_long"} for _ in range(splitter.too_long))
    return described
