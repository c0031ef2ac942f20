"""Diehl Aerius gas meter: gas meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/aerius.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="aerius",
    model="Diehl Aerius gas meter",
    media="gas",
    detect=(mvt("DME", 0x30, 0x03),),
    fields=(
        FieldSpec("flow_m3h", "volume_flow", "m3/h"),
        FieldSpec("temperature_c", "flow_temperature", "C"),
    ),
)
