"""The tolerant general parser: any record sequence once, damage costing only what it spoils.

wmbusmeters reads the good records of a telegram whose tail is damaged (manufacturer
bytes without a 0F, trailing filler, a cut-off last record); so does this parser. It
stops at the first record it cannot read, keeps every record before it and says in
:attr:`RecordSet.problems` what was lost and why. It raises only when nothing good came
before the damage: then there is no reading, only an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..crypto import crc16_en13757
from ..errors import MalformedRecords
from .compact_profile import expand_inverse_compact_profile
from .dif import (
    CODING_SPECIAL,
    DIF_GLOBAL_READOUT,
    DIF_IDLE_FILLER,
    DIF_MANUFACTURER_DATA,
    DIF_MANUFACTURER_DATA_MORE,
    RecordValue,
    decode_variable,
)
from .header import RecordHeader, parse_header
from .record import Record, decode_value
from .vif import Decoding

_MANUFACTURER_DIFS: Final = frozenset({DIF_MANUFACTURER_DATA, DIF_MANUFACTURER_DATA_MORE})
_EXCERPT_BYTES: Final = 8
"""How much of a damaged record a problem quotes."""


@dataclass(frozen=True, slots=True)
class RecordSet:
    """Result of a general parse: the records, their format, trailing data and damage.

    ``problems`` is empty for a clean parse; otherwise it says what was not read. A
    record set with problems has a partial format: it must not be learnt as the layout
    of the meter's compact frames. ``records`` holds one record per header of
    ``format_bytes``, in telegram order, so a layout's field indexes address them; the
    elements of inverse compact profiles (which share their profile's header bytes)
    follow after the last of them.
    """

    records: tuple[Record, ...]
    format_bytes: bytes
    manufacturer_data: bytes
    problems: tuple[str, ...] = ()
    more_records_follow: bool = False
    """DIF 1F: the meter continues in its next telegram."""

    @property
    def signature(self) -> int:
        """Format signature (EN 13757-3 compact frame): CRC-16/EN-13757 of the format bytes."""
        return crc16_en13757(self.format_bytes)


def _special_dif_problem(dif: int, position: int, left: int) -> str:
    what = "global readout request" if dif == DIF_GLOBAL_READOUT else "reserved special DIF"
    return f"{what} 0x{dif:02x} at offset {position}: {left} bytes not read"


def parse_records(payload: bytes) -> RecordSet:
    """Parse a full-frame record sequence (the APL after the TPL header) of any shape.

    Idle fillers (2F) are skipped anywhere; 0F/1F start manufacturer data that runs to
    the end. Raises MalformedRecords only when damage comes before any good record.
    """
    records: list[Record] = []
    elements: list[Record] = []
    problems: list[str] = []
    position = 0
    end = len(payload)
    manufacturer_data = b""
    more = False
    while position < end:
        dif = payload[position]
        if dif == DIF_IDLE_FILLER:
            position += 1
            continue
        if dif in _MANUFACTURER_DIFS:
            manufacturer_data = bytes(payload[position + 1 :])
            more = dif == DIF_MANUFACTURER_DATA_MORE
            break
        if dif & 0x0F == CODING_SPECIAL:
            problems.append(_special_dif_problem(dif, position, end - position))
            break
        start = position
        try:
            header, position = parse_header(payload, position)
        except MalformedRecords as error:
            excerpt = bytes(payload[start : start + _EXCERPT_BYTES]).hex()
            problems.append(f"{error}: {excerpt} at offset {start}")
            break
        size = header.size
        value: RecordValue
        if size is None:
            try:
                value, data_start, position = decode_variable(
                    payload, position, header.signed, header.lvar_raw
                )
            except MalformedRecords as error:
                problems.append(f"{error}: record {header.raw.hex()} at offset {start}")
                break
            data = bytes(payload[data_start:position])
        else:
            if position + size > end:
                problems.append(
                    f"cut-off last record {header.raw.hex()} at offset {start}: "
                    f"needs {size} data bytes, {end - position} left"
                )
                break
            data = bytes(payload[position : position + size])
            position += size
            value = decode_value(header, data)
        record = Record(header, data, value)
        records.append(record)
        if header.decoding is Decoding.INVERSE_COMPACT_PROFILE:
            elements.extend(expand_inverse_compact_profile(record, records))
    if problems and not records:
        raise MalformedRecords(problems[0])
    return RecordSet(
        records=(*records, *elements),
        format_bytes=b"".join(record.header.raw for record in records),
        manufacturer_data=manufacturer_data,
        problems=tuple(problems),
        more_records_follow=more,
    )


def parse_format(format_bytes: bytes) -> tuple[RecordHeader, ...]:
    """Split compact-frame format bytes (headers without data) into record headers.

    Strict: a format is declared or learnt whole, so any damage raises MalformedRecords.
    """
    headers: list[RecordHeader] = []
    position = 0
    while position < len(format_bytes):
        header, position = parse_header(format_bytes, position)
        headers.append(header)
    return tuple(headers)
