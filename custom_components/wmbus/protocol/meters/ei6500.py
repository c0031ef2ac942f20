"""EI Electronics ei6500: smoke detector sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/ei6500.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="ei6500",
    model="EI Electronics ei6500",
    media="smoke detector",
    detect=(mvt("EIE", 0x0C, 0x1A),),
    fields=(
        ERROR_FLAGS,
        TPL_STATUS_ERRORS,
    ),
)
