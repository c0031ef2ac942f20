"""Techem compact V / compact 5 heat meter (TCH, versions 0x45/0x22/0x39, 0x04/0x43/0xC3).

CI A1 or A2, not DIF/VIF. Bytes 3-5 after the CI: the energy at the last billing date,
bytes 7-9: the energy since (24 bit LE, kWh); the meter total is their sum. Facts:
wmbusmeters drivers/src/compact5.xmq and its tests (ioBroker.wmbus
lib/tch-decoder.js agrees).
"""

from __future__ import annotations

from typing import Final

from .layout import techem_period_energy
from .profile import FieldSpec, MeterProfile, mvt

_LAYOUT: Final = techem_period_energy(size=3, current_offset=7, unit="Wh", exponent=3)

PROFILE: Final = MeterProfile(
    name="compact5",
    model="Techem compact 5",
    media="heat",
    detect=(
        mvt("TCH", 0x45, 0x04, 0xC3, 0x43),
        mvt("TCH", 0x22, 0x43),
        mvt("TCH", 0x39, 0x43),
    ),
    payload="manufacturer",
    frames={0xA1: _LAYOUT, 0xA2: _LAYOUT},
    fields=(
        FieldSpec("total_kwh", "energy", "kWh"),
        FieldSpec("previous_kwh", "energy", "kWh", storage=1),
    ),
)
