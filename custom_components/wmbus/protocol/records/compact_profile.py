"""Inverse compact profiles: a series of past values packed into one record.

VIFE 13 turns a record into an "inverse compact profile" (EN 13757-3 Annex F; wmbusmeters
src/dvparser.cc decodeCompactProfileHeader): its LVAR data is a spacing control byte (bits
7-6 increment mode, 5-4 spacing unit, 3-0 element coding as a DIF's), a spacing value, then
elements, newest first. wmbusmeters turns element n into the value of storage number (the
record's storage + n) (its caltose driver reads consumption_1.. from storages 9..),
and so does this module, so a heat cost allocator's monthly history reads like the
plain historic records other meters send.

Only absolute elements are expanded: incremental modes need the base record and their
direction is not confirmed by a second source, so such a profile stays one raw record.
An all-FF element is an empty slot and the signed minimum of an integer coding is the
usual "no value" marker: neither becomes a value.

A monthly profile (spacing value 254 with unit "days") whose base date is in the same
telegram (a date record of the profile's storage, tariff and subunit) also gets the date
of each element, one month before the previous one, as wmbusmeters' caltose test
expects (base 2026-02-01: elements 2026-01-01, 2025-12-01, ...). The other spacings
are single-source facts and get no dates.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from .dif import DATA_SIZES, INTEGER_CODINGS
from .header import RecordHeader
from .record import Record, decode_value
from .vif import VIFE_INVERSE_COMPACT_PROFILE, Decoding

_ABSOLUTE: Final = 0
_CONTROL_BYTES: Final = 2
_EMPTY: Final = 0xFF
_SPACING_DAYS: Final = 3
_SPACING_ONE_MONTH: Final = 254
_MONTHS: Final = 12
_DATE_QUANTITIES: Final = frozenset({"date", "datetime"})


def _months_before(date: str, months: int) -> str:
    """``date`` (YYYY-MM-DD...) moved back by whole months, the day kept if it exists."""
    year, month, day = int(date[0:4]), int(date[5:7]), int(date[8:10])
    index = year * _MONTHS + month - 1 - months
    year, month = divmod(index, _MONTHS)
    day = min(day, calendar.monthrange(year, month + 1)[1])
    return f"{year:04d}-{month + 1:02d}-{day:02d}{date[10:]}"


def _base_date(profile: RecordHeader, earlier: Sequence[Record]) -> Record | None:
    for record in earlier:
        header = record.header
        if (
            header.quantity in _DATE_QUANTITIES
            and isinstance(record.value, str)
            and (header.storage, header.tariff, header.subunit)
            == (profile.storage, profile.tariff, profile.subunit)
        ):
            return record
    return None


def expand_inverse_compact_profile(
    record: Record, earlier: Sequence[Record] = ()
) -> tuple[Record, ...]:
    """Expand the profile into records of the storage numbers after its own.

    Each element is followed by its date when the profile is monthly and ``earlier``
    (the records before it) holds the base date.
    """
    data = record.data
    if len(data) < _CONTROL_BYTES or data[0] >> 6 != _ABSOLUTE:
        return ()
    coding = data[0] & 0x0F
    size = DATA_SIZES.get(coding)
    if not size:
        return ()  # no data, LVAR or special: not an element coding
    header = record.header
    element: RecordHeader = replace(
        header,
        coding=coding,
        size=size,
        vifes=tuple(vife for vife in header.vifes if vife != VIFE_INVERSE_COMPACT_PROFILE),
        decoding=Decoding.NUMBER,
    )
    no_value = -(1 << (8 * size - 1)) if coding in INTEGER_CODINGS and header.signed else None
    monthly = (data[0] >> 4) & 0x03 == _SPACING_DAYS and data[1] == _SPACING_ONE_MONTH
    base = _base_date(header, earlier) if monthly else None
    elements: list[Record] = []
    for number, offset in enumerate(range(_CONTROL_BYTES, len(data) - size + 1, size), start=1):
        chunk = data[offset : offset + size]
        if chunk.count(_EMPTY) == size:
            continue
        value = decode_value(element, chunk)
        if value is None or value == no_value:
            continue
        storage = header.storage + number
        elements.append(Record(replace(element, storage=storage), chunk, value))
        if base is not None and isinstance(base.value, str):
            date = _months_before(base.value, number)
            elements.append(Record(replace(base.header, storage=storage), b"", date))
    return tuple(elements)
