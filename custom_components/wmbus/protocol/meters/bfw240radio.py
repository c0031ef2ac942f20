"""BFW 240 radio heat cost allocator (BFW, version 0x02, type 0x08).

CI 7A without encryption, but the APL is not DIF/VIF: after ``2F 2F`` and two bytes come
the previous-period and current HCA units (16 bit, big endian), two unknown bytes, 18
monthly values packed as 12-bit numbers into nine 3-byte groups (oldest first; the newer
value of a pair takes the high nibble of the middle byte), then the device date as BCD
day, month, year. Facts: wmbusmeters drivers/src/bfw240radio.xmq (layout and tests).
"""

from __future__ import annotations

from typing import Final

from ..records import Record
from .layout import ByteField, Coding, record
from .profile import FieldSpec, ManufacturerFrame, MeterProfile, mvt

_CURRENT: Final = ByteField(6, 2, "hca_units", "HCA", coding=Coding.UINT_BE)
_PREVIOUS: Final = ByteField(4, 2, "hca_units", "HCA", coding=Coding.UINT_BE, storage=1)
_HISTORY_OFFSET: Final = 10
_HISTORY_PAIRS: Final = 9
_PAYLOAD_SIZE: Final = 40
CI_SHORT_TPL: Final = 0x7A


def decode_payload(frame: ManufacturerFrame) -> tuple[Record, ...]:
    """Current and previous-period units, then month ``n`` ago as storage ``n + 1``."""
    payload = frame.payload
    if len(payload) < _PAYLOAD_SIZE:
        return ()
    records = [read for spec in (_CURRENT, _PREVIOUS) if (read := spec.read(payload))]
    for pair in range(_HISTORY_PAIRS):
        start = _HISTORY_OFFSET + 3 * pair
        group = payload[start : start + 3]
        older_month = 2 * (_HISTORY_PAIRS - pair)
        older = ((group[1] >> 4) << 8) | group[0]
        newer = ((group[1] & 0x0F) << 8) | group[2]
        records.append(record(older, group, "hca_units", "HCA", storage=older_month + 1))
        records.append(record(newer, group, "hca_units", "HCA", storage=older_month))
    records.sort(key=lambda item: item.header.storage)
    return tuple(records)


PROFILE: Final = MeterProfile(
    name="bfw240radio",
    model="BFW 240 radio",
    media="heat cost allocator",
    detect=(mvt("BFW", 0x02, 0x08),),
    payload="manufacturer",
    frames={CI_SHORT_TPL: decode_payload},
    fields=(
        FieldSpec("current_hca", "hca_units", "HCA"),
        FieldSpec("prev_hca", "hca_units", "HCA", storage=1),
        *(
            FieldSpec(f"prev_{month:02d}_hca", "hca_units", "HCA", storage=month + 1)
            for month in range(1, 19)
        ),
    ),
)
