"""Elster gas meter: gas meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/elster.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="elster",
    model="Elster gas meter",
    media="gas",
    detect=(mvt("ELS", 0x81, 0x03),),
    fields=(
        FieldSpec("actuality_duration_s", "actuality_duration", "s"),
        FieldSpec("total_m3", "volume", "m3", medium="gas"),
    ),
)
