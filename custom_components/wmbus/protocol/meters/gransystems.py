"""Gran-System electricity meter: electricity meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/gransystems.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .layout import current_alarms
from .profile import CURRENT_ALARM_FLAGS, TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="gransystems",
    model="Gran-System electricity meter",
    media="electricity",
    detect=(mvt("GSS", 0x01, 0x02),),
    # Bits 0..15 are hardware, clock, memory and configuration errors; bits 16..31 say
    # whether it is a single- or three-phase meter (wmbusmeters gransystems.xmq).
    record_layouts={bytes.fromhex("04fd17"): current_alarms(4, 0x0000FFFF)},
    fields=(
        CURRENT_ALARM_FLAGS,
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("target_energy_consumption_kwh", "energy", "kWh", storage=2),
        FieldSpec("voltage_at_phase_1_v", "voltage", "V"),
        FieldSpec("current_at_phase_1_a", "current", "A"),
        TPL_STATUS_ERRORS,
    ),
)
