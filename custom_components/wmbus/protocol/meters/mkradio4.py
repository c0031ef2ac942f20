"""Techem MK Radio 4 water meter (TCH, versions 0x95/0x70, Techem types 0x62 / 0x72).

CI A2, not DIF/VIF. Bytes 3-4 after the CI: the volume at the last billing date, bytes
7-8: the volume used since (16 bit LE, 0.1 m3); the meter total is their sum. Facts:
wmbusmeters drivers/src/mkradio4.xmq and its test (ioBroker.wmbus
lib/tch-decoder.js agrees on the positions).
"""

from __future__ import annotations

from typing import Final

from .layout import techem_period_volumes
from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="mkradio4",
    model="Techem MK Radio 4",
    media="water",
    detect=(mvt("TCH", 0x95, 0x62, 0x72), mvt("TCH", 0x70, 0x62, 0x72)),
    payload="manufacturer",
    frames={0xA2: techem_period_volumes(previous_offset=3, current_offset=7)},
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
    ),
)
