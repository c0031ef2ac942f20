"""EN 13757-3 Annex A date and time types (G, F, I, J).

As wmbusmeters src/dvparser.cc extractDate and libmbus mbus_data_tm_decode read them.

Values come out as text in the form wmbusmeters prints ("2008-05-31 23:50"), which
``datetime.fromisoformat`` reads back. A date the meter marks invalid (the IV bit, all
ones, month 0 or 13..15, a day the month does not have) is None: a "no date" marker is
never turned into a plausible-looking date.
"""

from __future__ import annotations

import calendar
from typing import Final

_LAST_TWO_DIGIT_YEAR: Final = 99
_SAME_CENTURY_UNTIL: Final = 80
"""Without century bits, years 00..80 are 20xx and 81..99 are 19xx (EN 13757-3 A.5 note)."""
_INVALID: Final = 0x80
_MONTHS: Final = 12
_HOUR_MAX: Final = 23
_MINUTE_MAX: Final = 59


def _year(two_digits: int) -> int | None:
    if two_digits > _LAST_TWO_DIGIT_YEAR:
        return None  # 127 = "every year" wildcard, 100..126 unassigned
    return (2000 if two_digits <= _SAME_CENTURY_UNTIL else 1900) + two_digits


def _date(low: int, high: int) -> str | None:
    """Read a type G date (or the date half of type F/I).

    Day bits 0-4 and year bits 0-2 (bits 5-7) are in ``low``, month bits 0-3 and year
    bits 3-6 (bits 4-7) in ``high``.
    """
    day = low & 0x1F
    month = high & 0x0F
    year = _year((low >> 5) | ((high & 0xF0) >> 1))
    if year is None or not 1 <= month <= _MONTHS:
        return None
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _clock(hour: int, minute: int, second: int | None = None) -> str | None:
    if hour > _HOUR_MAX or minute > _MINUTE_MAX or (second is not None and second > _MINUTE_MAX):
        return None
    if second is None:
        return f"{hour:02d}:{minute:02d}"
    return f"{hour:02d}:{minute:02d}:{second:02d}"


def decode_type_g(data: bytes) -> str | None:
    """Type G, 2 bytes: a date."""
    return _date(data[0], data[1])


def decode_type_f(data: bytes) -> str | None:
    """Type F, 4 bytes: date and time to the minute.

    Byte 0 bit 7 says "invalid". Byte 1 bits 5-6 (HY, hundred years) are ignored, as
    wmbusmeters does: senders disagree on them (the standard's example has HY 1 for
    2008, the uiws corpus telegram HY 2 for 2026), the two-digit rule fits both.
    """
    if data[0] & _INVALID:
        return None
    date = _date(data[2], data[3])
    clock = _clock(data[1] & 0x1F, data[0] & 0x3F)
    return None if date is None or clock is None else f"{date} {clock}"


def decode_type_i(data: bytes) -> str | None:
    """Type I, 6 bytes: date and time to the second; byte 1 bit 7 says invalid."""
    if data[1] & _INVALID:
        return None
    date = _date(data[3], data[4])
    clock = _clock(data[2] & 0x1F, data[1] & 0x3F, data[0] & 0x3F)
    return None if date is None or clock is None else f"{date} {clock}"


def decode_type_j(data: bytes) -> str | None:
    """Type J, 3 bytes: a time of day."""
    return _clock(data[2] & 0x1F, data[1] & 0x3F, data[0] & 0x3F)


TIMESTAMP_TYPES: Final = {
    2: ("date", decode_type_g),
    3: ("time", decode_type_j),
    4: ("datetime", decode_type_f),
    6: ("datetime", decode_type_i),
}
"""Data size -> (unit, decoder): the DIF's integer size selects the type for VIF 6C/6D
and the other date/time VIFs and VIFEs."""
