"""Qundis Q smoke: smoke detector sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/qsmoke.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import ERROR_FLAGS, TPL_STATUS_ERRORS, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="qsmoke",
    model="Qundis Q smoke",
    media="smoke detector",
    detect=(
        mvt("QDS", 0x21, 0x1A),
        mvt("QDS", 0x23, 0x1A),
        mvt("LSE", 0x21, 0x1A),
        mvt("LSE", 0x23, 0x1A),
    ),
    fields=(
        ERROR_FLAGS,
        TPL_STATUS_ERRORS,
    ),
)
