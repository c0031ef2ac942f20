"""Qundis Q caloric heat cost allocator (QDS/LSE/ZRI, versions 0x18/0x34/0x35/0x36/0xFD, 0x08).

Standard records: ``0B 6E`` current units, ``4B 6E`` / ``42 6C`` units at the set date,
storage 17 (``CB 08 6E``) the previous set date, ``01 FD 73`` status. The walk-by datagram
(CI 78) carries a manufacturer record ``0D FF 5F`` instead: after 9 bytes, the byte 6E,
the error date, current units (8-digit BCD), the set date and the units then (BCD), the
previous set date and the units then (BCD). Facts: wmbusmeters drivers/src/qcaloric.xmq
(fields, walk-by grammar) and its tests; PROTOCOL-GENERIC.md 8.6.
"""

from __future__ import annotations

from typing import Final

from .layout import ByteField, ByteLayout, Coding
from .profile import FieldSpec, MeterProfile, mvt

WALK_BY_RECORD: Final = bytes.fromhex("0dff5f")
PREVIOUS_SET_DATE_STORAGE: Final = 17


def _units(offset: int, storage: int) -> ByteField:
    return ByteField(offset, 4, "hca_units", "HCA", coding=Coding.BCD_LE, storage=storage)


_WALK_BY: Final = ByteLayout(
    variant_offset=9,
    variants={
        0x6E: (_units(12, 0), _units(18, 1), _units(24, PREVIOUS_SET_DATE_STORAGE)),
    },
)

PROFILE: Final = MeterProfile(
    name="qcaloric",
    model="Qundis Q caloric",
    media="heat cost allocator",
    detect=(
        mvt("QDS", 0x34, 0x08),
        mvt("QDS", 0x35, 0x08),
        mvt("QDS", 0x36, 0x08),
        mvt("LSE", 0x18, 0x08),
        mvt("LSE", 0x34, 0x08),
        mvt("LSE", 0x35, 0x08),
        mvt("ZRI", 0xFD, 0x08),
    ),
    record_layouts={WALK_BY_RECORD: _WALK_BY},
    fields=(
        FieldSpec("current_consumption_hca", "hca_units", "HCA"),
        FieldSpec("consumption_at_set_date_hca", "hca_units", "HCA", storage=1),
        *(
            FieldSpec(f"consumption_at_set_date_{storage}_hca", "hca_units", "HCA", storage=storage)
            for storage in range(2, PREVIOUS_SET_DATE_STORAGE + 1)
        ),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
    ),
)
