"""Engelmann HCA e2: heat cost allocator sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/hcae2.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="hcae2",
    model="Engelmann HCA e2",
    media="heat cost allocator",
    detect=(mvt("EFE", 0x31, 0x08),),
    fields=(
        FieldSpec("consumption_hca", "hca_units", "HCA"),
        FieldSpec("target_hca", "hca_units", "HCA", storage=1),
        FieldSpec("current_consumption_hca", "hca_units", "HCA"),
        FieldSpec("consumption_at_set_date_1_hca", "hca_units", "HCA", storage=1),
    ),
)
