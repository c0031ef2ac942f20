"""Techem vario 4 / 451 heat meter (TCH, version 0x27, types 0x04 and Techem 0xC3).

CI A2, not DIF/VIF. Bytes 3-4 after the CI: the energy at the last billing date, bytes
7-8: the energy since (16 bit LE, in 1/1000 GJ = MJ); the meter total is their sum.
Facts: wmbusmeters drivers/src/vario451.xmq (kWh = raw / 3.6) and its test.
"""

from __future__ import annotations

from typing import Final

from .layout import techem_period_energy
from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="vario451",
    model="Techem vario 451",
    media="heat",
    detect=(mvt("TCH", 0x27, 0x04, 0xC3),),
    payload="manufacturer",
    frames={0xA2: techem_period_energy(size=2, current_offset=7, unit="J", exponent=6)},
    fields=(
        FieldSpec("total_kwh", "energy", "kWh"),
        FieldSpec("previous_kwh", "energy", "kWh", storage=1),
    ),
)
