"""Diehl Hydrus: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/hydrus.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .prios import DIEHL_DEFAULT_OMS_KEY, REAL_DATA_FRAMES
from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt, with_diehl_addresses

PROFILE: Final = MeterProfile(
    name="hydrus",
    model="Diehl Hydrus",
    media="water",
    # Diehl "real data": CI 7A with a manufacturer security mode, or CI 71 (prios.py).
    frames=REAL_DATA_FRAMES,
    default_key=DIEHL_DEFAULT_OMS_KEY,
    detect=with_diehl_addresses(
        (
            mvt("DME", 0x70, 0x06, 0x07, 0x16),
            mvt("DME", 0x76, 0x07),
            mvt("HYD", 0x24, 0x07),
            mvt("HYD", 0x8B, 0x06, 0x07),
        )
    ),
    fields=(
        FieldSpec("operating_time_h", "operating_time", "h"),
        FieldSpec("actuality_duration_s", "actuality_duration", "s"),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("external_temperature_c", "external_temperature", "C"),
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("total_at_date_m3", "volume", "m3", storage=1),
        FieldSpec("target_m3", "volume", "m3", storage=3),
        TPL_STATUS_ERRORS,
    ),
)
