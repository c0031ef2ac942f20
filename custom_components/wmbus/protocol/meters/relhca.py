"""REL relhca: heat cost allocator sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/relhca.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="relhca",
    model="REL relhca",
    media="heat cost allocator",
    detect=(mvt("REL", 0x41, 0x00),),
    fields=(
        FieldSpec("consumption_hca", "hca_units", "HCA"),
        FieldSpec("target_hca", "hca_units", "HCA", storage=1),
    ),
)
