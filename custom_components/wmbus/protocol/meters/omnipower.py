"""Kamstrup OmniPower electricity meter (single-phase, three-phase and CT: one datagram).

Facts: wmbusmeters drivers/src/omnipower.xmq (detection KAM, version 0x30, device type 0x02;
the four records and the compact format with signature 0x8C13; it quotes Kamstrup's
"Wireless M-Bus Module for OMNIPOWER", 58101496: single-phase, three-phase and CT meters send
the same datagram) and the captures of meter 32666857 in tests/data/vectors/omnipower.json:
one long frame (CI 78) then seven compact frames (CI 79).
"""

from __future__ import annotations

from typing import Final

from ..records import VIFE_BACKWARD_FLOW
from .profile import FieldSpec, MeterProfile, mvt

OMNIPOWER_FORMAT: Final = bytes.fromhex("040404843c042b04ab3c")
"""A+ (04 04), A- (04 84 3C), P+ (04 2B), P- (04 AB 3C); signature 0x8C13 ("13 8c" on air)."""

_EXPORT: Final = frozenset({VIFE_BACKWARD_FLOW})

PROFILE: Final = MeterProfile(
    name="omnipower",
    model="Kamstrup OmniPower",
    media="electricity",
    # Any version, detected by record set: Kamstrup version 0x33 meters share KAM/0x02
    # but send a different datagram (vector wmbm-plain-kam-v33-other-datagram).
    detect=(mvt("KAM", None, 0x02),),
    detect_by_record_set=True,
    record_formats=(OMNIPOWER_FORMAT,),
    fields=(
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("total_energy_production_kwh", "energy", "kWh", vifes=_EXPORT),
        FieldSpec("current_power_consumption_w", "power", "W", integer=True),
        FieldSpec("current_power_production_w", "power", "W", vifes=_EXPORT, integer=True),
    ),
)

OMNIPOWER: Final = PROFILE
