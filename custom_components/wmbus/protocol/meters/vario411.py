"""Techem vario 411: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/vario411.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="vario411",
    model="Techem vario 411",
    media="heat",
    detect=(mvt("TCH", 0x28, 0x04),),
    fields=(FieldSpec("target_kwh", "energy", "kWh", storage=1),),
)
