"""Inverse compact profiles: a series of past values packed into one record.

VIFE 13 turns a record into an "inverse compact profile" (EN 13757-3 Annex F,
PROTOCOL-GENERIC.md 4.5): its LVAR data is a spacing control byte (bits 7-6 increment
mode, 5-4 spacing unit, 3-0 element coding as a DIF's), a spacing value, then elements,
newest first. wmbusmeters turns element n into the value of storage number (the
record's storage + n) (its caltose driver reads consumption_1.. from storages 9..),
and so does this module, so a heat cost allocator's monthly history reads like the
plain historic records other meters send.

Only absolute elements are expanded: incremental modes need the base record and their
direction is not confirmed by a second source, so such a profile stays one raw record.
An all-FF element is an empty slot and the signed minimum of an integer coding is the
usual "no value" marker: neither becomes a value.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from .dif import DATA_SIZES, INTEGER_CODINGS
from .header import RecordHeader
from .record import Record, decode_value
from .vif import VIFE_INVERSE_COMPACT_PROFILE, Decoding

_ABSOLUTE: Final = 0
_CONTROL_BYTES: Final = 2
_EMPTY: Final = 0xFF


def expand_inverse_compact_profile(record: Record) -> tuple[Record, ...]:
    """The profile's elements as records of storage numbers after the profile's own."""
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
    elements: list[Record] = []
    for number, offset in enumerate(range(_CONTROL_BYTES, len(data) - size + 1, size), start=1):
        chunk = data[offset : offset + size]
        if chunk.count(_EMPTY) == size:
            continue
        value = decode_value(element, chunk)
        if value is None or value == no_value:
            continue
        elements.append(Record(replace(element, storage=header.storage + number), chunk, value))
    return tuple(elements)
