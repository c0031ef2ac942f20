"""Techem MK Radio 3a water meter (TCH, version 0x50, Techem type 0x72 cold water).

CI A2, not DIF/VIF. After the CI: two bytes, the current date (16 bit LE: day bits 0-4,
month bits 5-8, year bits 9-15), the total (24 bit LE, 0.1 m3), then twelve 3-byte
groups: one unknown byte and two half-month consumptions (0.1 m3 each). The consumption of
month ``k`` ago is the sum of two halves, paired differently in the first and the second
half of the current month. Facts: wmbusmeters drivers/src/mkradio3a.xmq and its test.
"""

from __future__ import annotations

from typing import Final

from ..records import Record
from .layout import ByteField, record
from .profile import FieldSpec, ManufacturerFrame, MeterProfile, mvt

_TOTAL: Final = ByteField(4, 3, "volume", "m3", exponent=-1)
_DATE_OFFSET: Final = 2
_HALVES_OFFSET: Final = 8
_MONTHS: Final = 12
_PAYLOAD_SIZE: Final = _HALVES_OFFSET + 3 * _MONTHS - 1
_LATE_DAY: Final = 16


def decode_payload(frame: ManufacturerFrame) -> tuple[Record, ...]:
    """The total, then the consumption of month ``k`` ago as storage ``k`` (1 = last month)."""
    payload = frame.payload
    if len(payload) < _PAYLOAD_SIZE:
        return ()
    total = _TOTAL.read(payload)
    records = [total] if total is not None else []
    day = payload[_DATE_OFFSET] & 0x1F
    late = day >= _LATE_DAY
    halves = [
        (payload[_HALVES_OFFSET + 3 * month], payload[_HALVES_OFFSET + 3 * month + 1])
        for month in range(_MONTHS)
    ]
    for month in range(_MONTHS):
        low, high = halves[month]
        if late:
            value = low + high
        elif month == 0:
            value = low
        else:
            value = halves[month - 1][1] + low
        start = _HALVES_OFFSET + 3 * month
        records.append(
            record(
                value, payload[start : start + 2], "volume", "m3", exponent=-1, storage=month + 1
            )
        )
    return tuple(records)


PROFILE: Final = MeterProfile(
    name="mkradio3a",
    model="Techem MK Radio 3a",
    media="water",
    detect=(mvt("TCH", 0x50, 0x72),),
    payload="manufacturer",
    frames={0xA2: decode_payload},
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        *(
            FieldSpec(f"consumption_{months}_months_ago_m3", "volume", "m3", storage=months)
            for months in range(1, _MONTHS + 1)
        ),
    ),
)
