"""Axioma Qalcosonic W1 / Q400: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/q400.xmq and its tests; the values come from the records as the standard
defines them, except ``01 FD 74``: Axioma's battery level in percent, not days.
"""

from __future__ import annotations

from typing import Final

from .layout import ByteField, ByteLayout
from .profile import (
    BACKWARD_FLOW,
    ERROR_FLAGS_AT_ERROR,
    FORWARD_FLOW,
    TPL_STATUS_ERRORS,
    FieldSpec,
    MeterProfile,
    mvt,
)

BATTERY_RECORD: Final = bytes.fromhex("01fd74")

PROFILE: Final = MeterProfile(
    name="q400",
    model="Axioma Qalcosonic W1 / Q400",
    media="water",
    detect=(
        mvt("AXI", 0x01, 0x07),
        mvt("AXI", 0x10, 0x07),
        mvt("AXI", 0x20, 0x07),
    ),
    # Axioma sends its battery level in percent under the remaining-battery-days VIF.
    record_layouts={BATTERY_RECORD: ByteLayout((ByteField(0, 1, "battery_level", "%"),))},
    fields=(
        ERROR_FLAGS_AT_ERROR,
        FieldSpec("on_time_h", "on_time", "h"),
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("battery_pct", "battery_level", "%"),
        FieldSpec("total_forward_m3", "volume", "m3", vifes=FORWARD_FLOW),
        FieldSpec("total_backward_m3", "volume", "m3", vifes=BACKWARD_FLOW),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("volume_flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("consumption_at_set_date_m3", "volume", "m3", storage=1),
        FieldSpec("forward_at_set_date_m3", "volume", "m3", vifes=FORWARD_FLOW, storage=1),
        FieldSpec("backward_at_set_date_m3", "volume", "m3", vifes=BACKWARD_FLOW, storage=1),
        FieldSpec("error_free_time_h", "operating_time", "h"),
        TPL_STATUS_ERRORS,
    ),
)
