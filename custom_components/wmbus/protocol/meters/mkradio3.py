"""Techem MK Radio 3 water meter (TCH, version 0x74, Techem types 0x62 warm / 0x72 cold).

CI A2, not DIF/VIF. After the CI: one byte, previous billing date, the volume at that date
(16 bit LE, 0.1 m3), the current date and the volume used since (0.1 m3); the meter total
is their sum. Facts: wmbusmeters drivers/src/mkradio3.xmq (ioBroker.wmbus
lib/tch-decoder.js agrees on the positions).
"""

from __future__ import annotations

from typing import Final

from .layout import techem_period_volumes
from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="mkradio3",
    model="Techem MK Radio 3",
    media="water",
    detect=(mvt("TCH", 0x74, 0x62, 0x72),),
    payload="manufacturer",
    frames={0xA2: techem_period_volumes(previous_offset=3, current_offset=7)},
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
    ),
)
