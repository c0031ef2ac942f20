"""BMeters Hydrodigit water meter (BMT, versions 0x13/0x15/0x17, types 0x06/0x07).

Standard records (``0C 13`` total, ``04 6D`` time), then DIF 0F manufacturer data: a
contents byte says which blocks follow, in this order: battery (bit 0: one byte, the
low nibble indexes a voltage table), fraud (bit 1: type byte and a 3-byte date), leak
(bit 7: 3-byte date), backflow (bit 2: 32 bit LE litres; all bits set means no value),
monthly totals (bit 4: twelve 24-bit LE values in 1/100 m3, January first; 10,000,000 and
above, all bits set among them, means no value).
Facts: wmbusmeters drivers/src/hydrodigit.xmq (grammar, voltage table) and its tests.
"""

from __future__ import annotations

from typing import Final

from ..records import VIFE_BACKWARD_FLOW, Record
from .layout import record
from .profile import FieldSpec, ManufacturerFrame, MeterProfile, mvt

BATTERY_VOLTS: Final = (
    3.7, 1.9, 2.1, 2.2, 2.3, 2.4, 2.5, 2.65, 2.8, 2.9, 3.05, 3.2, 3.35, 3.5, 3.7, 3.7,
)  # fmt: skip
"""Battery voltage by the low nibble of the battery byte."""
_BATTERY: Final = 0x01
_FRAUD: Final = 0x02
_BACKFLOW: Final = 0x04
_MONTHLY: Final = 0x10
_LEAK: Final = 0x80
_NO_VALUE: Final = 10_000_000
_BACKFLOW_NOT_SET: Final = 0xFFFF_FFFF
"""A backflow block with every bit set is the "not set" marker (4,294,967 m3 otherwise)."""
MONTHS: Final = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip


def decode_data(frame: ManufacturerFrame) -> tuple[Record, ...]:
    """Battery voltage, backflow volume and the monthly totals (storage = month 1-12)."""
    data = frame.payload
    if not data:
        return ()
    contents = data[0]
    position = 1
    records: list[Record] = []
    if contents & _BATTERY:
        if position >= len(data):
            return ()
        battery = data[position : position + 1]
        records.append(record(BATTERY_VOLTS[battery[0] & 0x0F], battery, "voltage", "V"))
        position += 1
    if contents & _FRAUD:
        position += 4
    if contents & _LEAK:
        position += 3
    if contents & _BACKFLOW:
        block = data[position : position + 4]
        if len(block) < 4:
            return tuple(records)
        litres = int.from_bytes(block, "little")
        if litres != _BACKFLOW_NOT_SET:
            records.append(
                record(litres, block, "volume", "m3", exponent=-3, vifes=(VIFE_BACKWARD_FLOW,))
            )
        position += 4
    if contents & _MONTHLY:
        for month in range(len(MONTHS)):
            block = data[position : position + 3]
            if len(block) < 3:
                break
            raw = int.from_bytes(block, "little")
            if raw < _NO_VALUE:
                records.append(record(raw, block, "volume", "m3", exponent=-2, storage=month + 1))
            position += 3
    return tuple(records)


PROFILE: Final = MeterProfile(
    name="hydrodigit",
    model="BMeters Hydrodigit",
    media="water",
    detect=(
        mvt("BMT", 0x13, 0x06, 0x07),
        mvt("BMT", 0x15, 0x06, 0x07),
        mvt("BMT", 0x17, 0x06, 0x07),
    ),
    manufacturer_data=decode_data,
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("backflow_m3", "volume", "m3", vifes=frozenset({VIFE_BACKWARD_FLOW})),
        FieldSpec("voltage_v", "voltage", "V"),
        *(
            FieldSpec(f"{name}_total_m3", "volume", "m3", storage=number)
            for number, name in enumerate(MONTHS, start=1)
        ),
    ),
)
