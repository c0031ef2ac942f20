"""AAA aventieshca: heat cost allocator sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/aventieshca.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="aventieshca",
    model="AAA aventieshca",
    media="heat cost allocator",
    detect=(mvt("AAA", 0x55, 0x08),),
    fields=(
        FieldSpec("current_consumption_hca", "hca_units", "HCA"),
        FieldSpec("consumption_at_set_date_hca", "hca_units", "HCA", storage=1),
        FieldSpec("consumption_at_set_date_2_hca", "hca_units", "HCA", storage=2),
        FieldSpec("consumption_at_set_date_3_hca", "hca_units", "HCA", storage=3),
        FieldSpec("consumption_at_set_date_4_hca", "hca_units", "HCA", storage=4),
        FieldSpec("consumption_at_set_date_5_hca", "hca_units", "HCA", storage=5),
        FieldSpec("consumption_at_set_date_6_hca", "hca_units", "HCA", storage=6),
        FieldSpec("consumption_at_set_date_7_hca", "hca_units", "HCA", storage=7),
        FieldSpec("consumption_at_set_date_8_hca", "hca_units", "HCA", storage=8),
        FieldSpec("consumption_at_set_date_9_hca", "hca_units", "HCA", storage=9),
        FieldSpec("consumption_at_set_date_10_hca", "hca_units", "HCA", storage=10),
        FieldSpec("consumption_at_set_date_11_hca", "hca_units", "HCA", storage=11),
        FieldSpec("consumption_at_set_date_12_hca", "hca_units", "HCA", storage=12),
        FieldSpec("consumption_at_set_date_13_hca", "hca_units", "HCA", storage=13),
        FieldSpec("consumption_at_set_date_14_hca", "hca_units", "HCA", storage=14),
        FieldSpec("consumption_at_set_date_15_hca", "hca_units", "HCA", storage=15),
        FieldSpec("consumption_at_set_date_16_hca", "hca_units", "HCA", storage=16),
        FieldSpec("consumption_at_set_date_17_hca", "hca_units", "HCA", storage=17),
        TPL_STATUS_ERRORS,
    ),
)
