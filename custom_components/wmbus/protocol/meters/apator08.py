"""Apator AT-WMBUS-08 water meter (APT with the national bit, version/type 0x03 or 0x0F).

CI A0, unencrypted: the first four bytes after the CI are the total, 32 bit LE, in
thirds of a litre. Facts: wmbusmeters drivers/src/apator08.xmq (``force_scale = 1/3``) and
its tests (the ESPHome port in SzczepanLeon/esphome-components apator_08.h agrees).
"""

from __future__ import annotations

from typing import Final

from .layout import ByteField, ByteLayout
from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="apator08",
    model="Apator AT-WMBUS-08",
    media="water",
    detect=(mvt("APT", 0x03, 0x03), mvt("APT", 0x0F, 0x0F)),
    payload="manufacturer",
    frames={0xA0: ByteLayout((ByteField(0, 4, "volume", "m3", exponent=-3, divisor=3),))},
    fields=(FieldSpec("total_m3", "volume", "m3", medium="water"),),
)
