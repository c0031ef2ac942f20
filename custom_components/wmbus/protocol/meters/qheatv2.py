"""Qundis Q heat: heat meter, standard records or the walk-by record ``0D FF 5F``.

The walk-by record is read by ``qundis.py``.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/qheatv2.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt
from .qundis import WALK_BY_RECORD, decode_walk_by_with_deltas

PROFILE: Final = MeterProfile(
    name="qheatv2",
    model="Qundis Q heat",
    media="heat",
    detect=(
        mvt("QDS", 0x23, 0x04, 0x37),
        mvt("QDS", 0x3E, 0x04, 0x37),
        mvt("QDS", 0x46, 0x04, 0x37),
        mvt("QDS", 0x47, 0x04, 0x37),
        mvt("QDS", 0x48, 0x04, 0x37),
        mvt("LSE", 0x23, 0x04, 0x37),
        mvt("LSE", 0x3E, 0x04, 0x37),
        mvt("LSE", 0x46, 0x04, 0x37),
        mvt("LSE", 0x47, 0x04, 0x37),
        mvt("LSE", 0x48, 0x04, 0x37),
    ),
    record_layouts={WALK_BY_RECORD: decode_walk_by_with_deltas},
    fields=(
        FieldSpec("total_kwh", "energy", "kWh"),
        FieldSpec("target_kwh", "energy", "kWh", storage=17),
        FieldSpec("target_year_kwh", "energy", "kWh", storage=1),
        FieldSpec("energy_delta_2_kwh", "energy", "kWh", storage=2),
        FieldSpec("energy_delta_3_kwh", "energy", "kWh", storage=3),
        FieldSpec("energy_delta_4_kwh", "energy", "kWh", storage=4),
        FieldSpec("energy_delta_5_kwh", "energy", "kWh", storage=5),
        FieldSpec("energy_delta_6_kwh", "energy", "kWh", storage=6),
        FieldSpec("energy_delta_7_kwh", "energy", "kWh", storage=7),
        FieldSpec("energy_delta_8_kwh", "energy", "kWh", storage=8),
        FieldSpec("energy_delta_9_kwh", "energy", "kWh", storage=9),
        FieldSpec("energy_delta_10_kwh", "energy", "kWh", storage=10),
        FieldSpec("energy_delta_11_kwh", "energy", "kWh", storage=11),
        FieldSpec("energy_delta_12_kwh", "energy", "kWh", storage=12),
        FieldSpec("energy_delta_13_kwh", "energy", "kWh", storage=13),
        TPL_STATUS_ERRORS,
    ),
)
