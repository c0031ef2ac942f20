"""Qundis Q caloric heat cost allocator (QDS/LSE/ZRI, versions 0x18/0x34/0x35/0x36/0xFD, 0x08).

Standard records: ``0B 6E`` current units, ``4B 6E`` / ``42 6C`` units at the set date,
storage 17 (``CB 08 6E``) the previous set date, ``01 FD 73`` status. The walk-by
datagram (CI 78) carries the manufacturer record ``0D FF 5F`` instead (``qundis.py``).
Facts: wmbusmeters drivers/src/qcaloric.xmq (fields, walk-by grammar) and its
tests.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt
from .qundis import PREVIOUS_SET_DATE_STORAGE, WALK_BY_RECORD, decode_walk_by

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
    record_layouts={WALK_BY_RECORD: decode_walk_by},
    fields=(
        FieldSpec("current_consumption_hca", "hca_units", "HCA"),
        FieldSpec("consumption_at_set_date_hca", "hca_units", "HCA", storage=1),
        *(
            FieldSpec(f"consumption_at_set_date_{storage}_hca", "hca_units", "HCA", storage=storage)
            for storage in range(2, PREVIOUS_SET_DATE_STORAGE + 1)
        ),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        TPL_STATUS_ERRORS,
    ),
)
