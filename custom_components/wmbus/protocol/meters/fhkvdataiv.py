"""Techem FHKV data IV: heat cost allocator sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/fhkvdataiv.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="fhkvdataiv",
    model="Techem FHKV data IV",
    media="heat cost allocator",
    detect=(
        mvt("TCH", 0x69, 0x08),
        mvt("TCH", 0x94, 0x08),
    ),
    fields=(
        FieldSpec("current_consumption_hca", "hca_units", "HCA"),
        FieldSpec("consumption_at_set_date_hca", "hca_units", "HCA", storage=1),
        TPL_STATUS_ERRORS,
    ),
)
