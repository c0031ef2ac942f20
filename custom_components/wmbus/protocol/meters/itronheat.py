"""Itron heat meter: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/itronheat.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="itronheat",
    model="Itron heat meter",
    media="heat",
    detect=(mvt("ITW", 0x00, 0x04),),
    fields=(
        FieldSpec("total_kwh", "energy", "kWh"),
        FieldSpec("total_m3", "volume", "m3"),
        FieldSpec("last_year_kwh", "energy", "kWh", storage=1),
        TPL_STATUS_ERRORS,
    ),
)
