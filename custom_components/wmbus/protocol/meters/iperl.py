"""Sensus iPERL: water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/iperl.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="iperl",
    model="Sensus iPERL",
    media="water",
    detect=(
        mvt("SEN", 0x68, 0x06, 0x07),
        mvt("SEN", 0x7C, 0x07),
    ),
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        # The meter's only flow, sent as a plain instantaneous flow record (iperl.xmq names
        # it max_flow): its primary reading beside the volume, so shown and enabled as the
        # volume flow it is sent as.
        FieldSpec("max_flow_m3h", "volume_flow", "m3/h"),
    ),
)
