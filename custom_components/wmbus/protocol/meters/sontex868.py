"""Sontex 868: heat cost allocator sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/sontex868.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="sontex868",
    model="Sontex 868",
    media="heat cost allocator",
    detect=(mvt("SON", 0x16, 0x08),),
    fields=(
        FieldSpec("current_consumption_hca", "hca_units", "HCA"),
        FieldSpec("consumption_at_set_date_hca", "hca_units", "HCA", storage=1),
        FieldSpec("current_temp_c", "flow_temperature", "C"),
        FieldSpec("current_room_temp_c", "external_temperature", "C"),
        FieldSpec("max_temp_c", "flow_temperature", "C", function=Function.MAXIMUM),
        FieldSpec(
            "max_temp_previous_period_c",
            "flow_temperature",
            "C",
            storage=1,
            function=Function.MAXIMUM,
        ),
    ),
)
