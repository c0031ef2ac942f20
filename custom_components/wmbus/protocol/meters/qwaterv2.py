"""Qundis Q water 5.5: water meter, standard records or the walk-by record ``0D FF 5F``.

The walk-by record is read by ``qundis.py``.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/qwaterv2.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt
from .qundis import WALK_BY_RECORD, decode_walk_by_with_deltas

PROFILE: Final = MeterProfile(
    name="qwaterv2",
    model="Qundis Q water 5.5",
    media="water",
    detect=(
        mvt("QDS", 0x33, 0x37),
        mvt("QDS", 0x35, 0x37),
        mvt("QDS", 0x16, 0x06, 0x07),
        mvt("QDS", 0x17, 0x06, 0x07),
        mvt("QDS", 0x18, 0x06, 0x07),
        mvt("QDS", 0x19, 0x07),
        mvt("QDS", 0x1A, 0x06, 0x07),
        mvt("QDS", 0x1D, 0x06, 0x07),
        mvt("QDS", 0x36, 0x06, 0x07),
        mvt("LSE", 0x19, 0x07),
        mvt("LSE", 0x1A, 0x06, 0x07),
        mvt("LSE", 0x1D, 0x06, 0x07),
        mvt("LSE", 0x33, 0x37),
        mvt("LSE", 0x35, 0x37),
        mvt("LSE", 0x36, 0x06, 0x07),
    ),
    record_layouts={WALK_BY_RECORD: decode_walk_by_with_deltas},
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=17),
        FieldSpec("target_year_m3", "volume", "m3", storage=1),
        FieldSpec("volume_delta_2_m3", "volume", "m3", storage=2),
        FieldSpec("volume_delta_3_m3", "volume", "m3", storage=3),
        FieldSpec("volume_delta_4_m3", "volume", "m3", storage=4),
        FieldSpec("volume_delta_5_m3", "volume", "m3", storage=5),
        FieldSpec("volume_delta_6_m3", "volume", "m3", storage=6),
        FieldSpec("volume_delta_7_m3", "volume", "m3", storage=7),
        FieldSpec("volume_delta_8_m3", "volume", "m3", storage=8),
        FieldSpec("volume_delta_9_m3", "volume", "m3", storage=9),
        FieldSpec("volume_delta_10_m3", "volume", "m3", storage=10),
        FieldSpec("volume_delta_11_m3", "volume", "m3", storage=11),
        FieldSpec("volume_delta_12_m3", "volume", "m3", storage=12),
        FieldSpec("volume_delta_13_m3", "volume", "m3", storage=13),
        TPL_STATUS_ERRORS,
    ),
)
