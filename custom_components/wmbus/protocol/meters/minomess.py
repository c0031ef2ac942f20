"""Zenner Minomess: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/minomess.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from ..records import Function
from .layout import current_alarms
from .profile import (
    BACKWARD_FLOW,
    CURRENT_ALARM_FLAGS,
    TPL_STATUS_ERRORS,
    FieldSpec,
    MeterProfile,
    mvt,
)

PROFILE: Final = MeterProfile(
    name="minomess",
    model="Zenner Minomess",
    media="water",
    detect=(
        mvt("ZRI", 0x00, 0x07),
        mvt("ZRI", 0x01, 0x06, 0x16),
    ),
    # Alarms now: BURSTING, REMOVED, LEAKING, BACKFLOWING, UNDERSIZED, OVERSIZED, TEMPORARY
    # and PERMANENT_ERROR, BATTERY_EOL, ABNORMAL_CONDITION; the WAS_* bits (0x1000, 0x0400,
    # 0x0080, 0x0040, 0x0020) are history (wmbusmeters minomess.xmq).
    record_layouts={bytes.fromhex("02fd17"): current_alarms(2, 0xEB1E)},
    fields=(
        CURRENT_ALARM_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("operating_time_h", "operating_time", "h"),
        FieldSpec("on_time_h", "on_time", "h"),
        FieldSpec("on_time_at_error_h", "on_time", "h", function=Function.ERROR_STATE),
        FieldSpec("total_backward_m3", "volume", "m3", vifes=BACKWARD_FLOW),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("target_m3", "volume", "m3", storage=8),
        TPL_STATUS_ERRORS,
    ),
)
