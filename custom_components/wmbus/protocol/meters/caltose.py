"""Zenner Caltos E: heat cost allocator sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/caltose.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="caltose",
    model="Zenner Caltos E",
    media="heat cost allocator",
    detect=(mvt("ZRI", 0xFC, 0x08),),
    fields=(
        FieldSpec("consumption_hca", "hca_units", "HCA"),
        FieldSpec("target_hca", "hca_units", "HCA", storage=1),
        FieldSpec("base_hca", "hca_units", "HCA", storage=8),
        TPL_STATUS_ERRORS,
    ),
)
