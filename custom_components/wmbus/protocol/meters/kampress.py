"""Kamstrup pressure sensor: pressure meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/kampress.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .profile import ERROR_FLAGS, FieldSpec, MeterProfile, mvt

COMPACT_FORMATS: Final = (bytes.fromhex("22691269026905ff0905ff0a02fd17"),)
"""Compact-frame formats the meter sends (wmbusmeters compact_frame_formats)."""

PROFILE: Final = MeterProfile(
    name="kampress",
    model="Kamstrup pressure sensor",
    media="pressure",
    detect=(mvt("KAM", 0x01, 0x18),),
    record_formats=COMPACT_FORMATS,
    fields=(
        ERROR_FLAGS,
        FieldSpec("pressure_bar", "pressure", "bar"),
        FieldSpec("max_pressure_bar", "pressure", "bar", function=Function.MAXIMUM),
        FieldSpec("min_pressure_bar", "pressure", "bar", function=Function.MINIMUM),
    ),
)
