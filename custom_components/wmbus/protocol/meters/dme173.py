"""Diehl Altair V4 (DME 173): water meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/dme173.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .prios import DIEHL_DEFAULT_OMS_KEY, REAL_DATA_FRAMES
from .profile import (
    BACKWARD_FLOW,
    ERROR_FLAGS,
    TPL_STATUS_ERRORS,
    FieldSpec,
    MeterProfile,
    mvt,
    with_diehl_addresses,
)

PROFILE: Final = MeterProfile(
    name="dme173",
    model="Diehl Altair V4 (DME 173)",
    media="water",
    # Diehl "real data": CI 7A with a manufacturer security mode, or CI 71 (prios.py).
    frames=REAL_DATA_FRAMES,
    default_key=DIEHL_DEFAULT_OMS_KEY,
    detect=with_diehl_addresses((mvt("DME", 0x63, 0x07),)),
    fields=(
        ERROR_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("total_backward_m3", "volume", "m3", vifes=BACKWARD_FLOW),
        FieldSpec("target_m3", "volume", "m3", storage=8),
        FieldSpec("total_at_set_date_m3", "volume", "m3", storage=1),
        TPL_STATUS_ERRORS,
    ),
)
