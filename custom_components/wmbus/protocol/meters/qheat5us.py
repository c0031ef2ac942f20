"""Qundis Q heat 5 US: heat meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/qheat5us.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="qheat5us",
    model="Qundis Q heat 5 US",
    media="heat",
    detect=(mvt("LSE", 0x23, 0x04),),
    fields=(
        FieldSpec("total_kwh", "energy", "kWh"),
        FieldSpec("target_kwh", "energy", "kWh", storage=1),
        TPL_STATUS_ERRORS,
    ),
)
