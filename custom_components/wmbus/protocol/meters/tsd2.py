"""Techem smoke detector TSD2 (TCH, version 0x76, Techem device type 0xF0 "smoke detector").

CI A0 (manufacturer specific), in clear. After the CI: a status byte (0 OK, bit 0 smoke,
bit 7 defect; other values are reported as they come), then the previous billing date
(16 bit LE: day in bits 0..4, month in 5..8, year since 2000 from bit 9) and further bytes
nobody has decoded. The status byte is the detector's error flags: a problem sensor.
Facts: wmbusmeters drivers/src/tsd2.xmq (layout and its test telegrams).
"""

from __future__ import annotations

from typing import Final

from .layout import ByteField, ByteLayout
from .profile import ERROR_FLAGS, MeterProfile, mvt

_LAYOUT: Final = ByteLayout((ByteField(0, 1, "error_flags", ""),))

PROFILE: Final = MeterProfile(
    name="tsd2",
    model="Techem TSD2",
    media="smoke detector",
    detect=(mvt("TCH", 0x76, 0xF0),),
    payload="manufacturer",
    frames={0xA0: _LAYOUT},
    fields=(ERROR_FLAGS,),
)
