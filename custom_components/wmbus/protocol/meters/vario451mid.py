"""Techem vario 451 MID: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/vario451mid.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="vario451mid",
    model="Techem vario 451 MID",
    media="heat",
    detect=(mvt("TCH", 0x17, 0x04),),
    fields=(
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("energy_at_old_date_kwh", "energy", "kWh", storage=1),
        FieldSpec("energy_at_set_date_kwh", "energy", "kWh", storage=8),
    ),
)
