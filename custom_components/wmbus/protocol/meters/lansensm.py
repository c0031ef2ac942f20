"""Lansen lansensm: smoke detector sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/lansensm.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .layout import current_alarms
from .profile import CURRENT_ALARM_FLAGS, TPL_STATUS_ERRORS, MeterProfile, mvt

MANUAL_TEST: Final = 0x0008
"""The user pressed the test button: reported beside LOW_BATTERY 0x02, SMOKE 0x04,
MALFUNCTION 0x10, NO_CONNECTION 0x20, END_OF_LIFE 0x100 (wmbusmeters lansensm.xmq), but
it is no problem."""

PROFILE: Final = MeterProfile(
    name="lansensm",
    model="Lansen lansensm",
    media="smoke detector",
    detect=(mvt("LAS", 0x03, 0x1A),),
    # The flags come as 02 FD 97 1D (FD 17 with a combinable VIFE).
    record_layouts={bytes.fromhex("02fd971d"): current_alarms(2, 0xFFFF & ~MANUAL_TEST)},
    fields=(CURRENT_ALARM_FLAGS, TPL_STATUS_ERRORS),
)
