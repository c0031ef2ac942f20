"""Apator 17-2 water meter (APT with the national bit, version 0x04, type 0x11).

CI A0, unencrypted: the first four bytes after the CI are the total, 32 bit LE, in
thirds of a cubic metre. Facts: wmbusmeters drivers/src/apator172.xmq and its tests
(SzczepanLeon/esphome-components, a port of the same driver, agrees).
"""

from __future__ import annotations

from typing import Final

from .layout import ByteField, ByteLayout
from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="apator172",
    model="Apator 17-2",
    media="water",
    detect=(mvt("APT", 0x04, 0x11),),
    payload="manufacturer",
    frames={0xA0: ByteLayout((ByteField(0, 4, "volume", "m3", divisor=3),))},
    fields=(FieldSpec("total_m3", "volume", "m3", medium="water"),),
)
