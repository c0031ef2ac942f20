"""Apator Ultrimis: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/ultrimisv2.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .layout import current_alarms
from .profile import BACKWARD_FLOW, CURRENT_ALARM_FLAGS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="ultrimisv2",
    model="Apator Ultrimis",
    media="water",
    detect=(
        mvt("APA", 0x01, 0x16),
        mvt("APA", 0x20, 0x16),
    ),
    # Bits 0..7 are the alarms now (TAMPER, LOW_BATTERY, DRY, NO_FLOW, HIGH_TEMPERATURE,
    # BURST, REVERSE, LEAK); bits 8..23 repeat them for this and the previous month
    # (wmbusmeters ultrimisv2.xmq).
    record_layouts={bytes.fromhex("03fd17"): current_alarms(3, 0x0000FF)},
    fields=(
        CURRENT_ALARM_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        FieldSpec("total_backward_m3", "volume", "m3", vifes=BACKWARD_FLOW),
    ),
)
