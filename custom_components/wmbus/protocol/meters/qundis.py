"""Qundis walk-by record ``0D FF 5F``: the meter's registers in one manufacturer record.

Shared by Qundis heat cost allocators, water and heat meters (their profiles declare it in
``record_layouts``). The record's 53 data bytes: 9 bytes, then a primary VIF byte giving
the unit of the registers (13 litres; 05/06 energy in 100 Wh / kWh; 0D/0E in 100 kJ /
MJ; 6E HCA units), the error date, the current register (8-digit BCD), the date and
register at the end of the previous year (storage 1, BCD), the last set date and its
register (storage 17, BCD), then twelve monthly deltas (signed 16 bit, 0x8000 for none),
which wmbusmeters reads, for water and heat meters, as the same quantity at storage
2-13. Facts: wmbusmeters drivers/src/qcaloric.xmq, qwaterv2.xmq, qheatv2.xmq (grammar and
tests) and src/driver_qwater.cc (the walk-by record).
"""

from __future__ import annotations

from typing import Final

from ..errors import MalformedRecords
from ..records import Record, parse_header
from .layout import ByteField, Coding
from .profile import ManufacturerFrame

WALK_BY_RECORD: Final = bytes.fromhex("0dff5f")
PREVIOUS_SET_DATE_STORAGE: Final = 17
_UNIT_OFFSET: Final = 9
_REGISTERS: Final = ((12, 0), (18, 1), (24, PREVIOUS_SET_DATE_STORAGE))
_DELTAS_OFFSET: Final = 28
_DELTAS: Final = 12
_FIRST_DELTA_STORAGE: Final = 2
_NO_DELTA: Final = -0x8000
_UNIT_VIFS: Final = frozenset({0x13, 0x05, 0x06, 0x0D, 0x0E, 0x6E})
_BCD_8_DIGITS: Final = 0x0C


def decode_walk_by(frame: ManufacturerFrame) -> tuple[Record, ...]:
    """Current, previous-year and last-set-date registers (heat cost allocators)."""
    return _walk_by(frame, with_deltas=False)


def decode_walk_by_with_deltas(frame: ManufacturerFrame) -> tuple[Record, ...]:
    """The registers and the monthly deltas (water and heat meters, as wmbusmeters reads them)."""
    return _walk_by(frame, with_deltas=True)


def _walk_by(frame: ManufacturerFrame, *, with_deltas: bool) -> tuple[Record, ...]:
    data = frame.payload
    if len(data) <= _UNIT_OFFSET or data[_UNIT_OFFSET] not in _UNIT_VIFS:
        return ()
    try:
        # The unit byte is a standard primary VIF: let the VIF table say what it means.
        meaning, _ = parse_header(bytes((_BCD_8_DIGITS, data[_UNIT_OFFSET])), 0)
    except MalformedRecords:
        return ()
    if meaning.quantity is None:
        return ()
    records = []
    for offset, storage in _REGISTERS:
        spec = ByteField(
            offset,
            4,
            meaning.quantity,
            meaning.unit,
            exponent=meaning.exponent,
            coding=Coding.BCD_LE,
            storage=storage,
        )
        read = spec.read(data)
        if read is not None:
            records.append(read)
    for index in range(_DELTAS if with_deltas else 0):
        spec = ByteField(
            _DELTAS_OFFSET + 2 * index,
            2,
            meaning.quantity,
            meaning.unit,
            exponent=meaning.exponent,
            coding=Coding.INT_LE,
            storage=_FIRST_DELTA_STORAGE + index,
            no_value=_NO_DELTA,
        )
        read = spec.read(data)
        if read is not None:
            records.append(read)
    return tuple(records)
