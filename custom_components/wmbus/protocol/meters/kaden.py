"""Kaden kaden: heat cost allocator sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/kaden.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="kaden",
    model="Kaden kaden",
    media="heat cost allocator",
    detect=(mvt("VIP", 0x1E, 0x08),),
    fields=(
        ERROR_FLAGS,
        FieldSpec("consumption_hca", "hca_units", "HCA"),
        FieldSpec("target_hca", "hca_units", "HCA", storage=1),
        FieldSpec("external_temperature_c", "external_temperature", "C"),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        TPL_STATUS_ERRORS,
    ),
)
