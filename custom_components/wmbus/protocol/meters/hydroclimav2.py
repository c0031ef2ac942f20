"""BMeters Hydroclima heat cost allocator, second generation (BMP, versions 0x53/0x85, 0x08).

Standard records (``6E`` HCA units, set date), then DIF 0F manufacturer data whose first
byte names the frame. Frame 0x10: status, time, date, average room temperature, its
maximum and the date of it, a measurement count, the previous period's average room and
radiator temperatures, units and the total units (24 bit). Frame 0x11: status, time,
date, housing-open date, average radiator and room temperature, maximum room temperature
and its date, previous averages (radiator, room), four consumption history values, three
room-temperature history values (0x8000: none), temperature bin counters, total units.
Temperatures are signed 16 bit in 1/100 degC, words LE. Storage numbers as wmbusmeters
gives them (history 2-5, total 10). Facts: wmbusmeters drivers/src/hydroclimav2.xmq.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .layout import ByteField, ByteLayout, Coding
from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

_NO_TEMPERATURE: Final = -0x8000
TOTAL_STORAGE: Final = 10


def _room(offset: int, storage: int = 0, function: Function = Function.INSTANTANEOUS) -> ByteField:
    return ByteField(
        offset,
        2,
        "external_temperature",
        "C",
        exponent=-2,
        coding=Coding.INT_LE,
        storage=storage,
        function=function,
        no_value=_NO_TEMPERATURE,
    )


def _radiator(offset: int, storage: int = 0) -> ByteField:
    return ByteField(
        offset, 2, "flow_temperature", "C", exponent=-2, coding=Coding.INT_LE, storage=storage
    )


def _units(offset: int, size: int, storage: int) -> ByteField:
    return ByteField(offset, size, "hca_units", "HCA", storage=storage)


_FRAME_10: Final = (
    _room(7),
    _room(9, function=Function.MAXIMUM),
    _room(15, storage=1),
    _radiator(17, storage=1),
    _units(21, 3, TOTAL_STORAGE),
)
_FRAME_11: Final = (
    _radiator(9),
    _room(11),
    _room(13, function=Function.MAXIMUM),
    _radiator(17, storage=1),
    _room(19, storage=1),
    *(_units(21 + 2 * index, 2, 2 + index) for index in range(4)),
    *(_room(29 + 2 * index, storage=2 + index) for index in range(3)),
    _units(44, 3, TOTAL_STORAGE),
)

PROFILE: Final = MeterProfile(
    name="hydroclimav2",
    model="BMeters Hydroclima",
    media="heat cost allocator",
    detect=(mvt("BMP", 0x53, 0x08), mvt("BMP", 0x85, 0x08)),
    manufacturer_data=ByteLayout(variants={0x10: _FRAME_10, 0x11: _FRAME_11}),
    fields=(
        FieldSpec("consumption_hca", "hca_units", "HCA"),
        FieldSpec("target_hca", "hca_units", "HCA", storage=1),
        FieldSpec("total_consumption_hca", "hca_units", "HCA", storage=TOTAL_STORAGE),
        FieldSpec("average_ambient_temperature_c", "external_temperature", "C"),
        FieldSpec(
            "max_ambient_temperature_c", "external_temperature", "C", function=Function.MAXIMUM
        ),
        FieldSpec("average_heater_temperature_c", "flow_temperature", "C"),
        FieldSpec(
            "average_ambient_temperature_last_month_c", "external_temperature", "C", storage=1
        ),
        FieldSpec("average_heater_temperature_last_month_c", "flow_temperature", "C", storage=1),
        *(
            FieldSpec(f"consumption_at_set_date_{index}_hca", "hca_units", "HCA", storage=index + 1)
            for index in range(1, 5)
        ),
        *(
            FieldSpec(
                f"ambient_temperature_at_set_date_{index}_c",
                "external_temperature",
                "C",
                storage=index + 1,
            )
            for index in range(1, 4)
        ),
        TPL_STATUS_ERRORS,
    ),
)
