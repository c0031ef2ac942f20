"""Carlo Gavazzi EM24: electricity meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/em24.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import BACKWARD_FLOW, ERROR_FLAGS, FieldSpec, MeterProfile, mvt

COMPACT_FORMATS: Final = (bytes.fromhex("040504fb827504853c04fb82f53c01fd17"),)
"""Compact-frame formats the meter sends (wmbusmeters compact_frame_formats)."""

PROFILE: Final = MeterProfile(
    name="em24",
    model="Carlo Gavazzi EM24",
    media="electricity",
    detect=(
        mvt("KAM", 0x33, 0x02),
        mvt("GAV", 0x00, 0x02),
    ),
    record_formats=COMPACT_FORMATS,
    fields=(
        ERROR_FLAGS,
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("power_kw", "power", "kW"),
        FieldSpec("total_energy_production_kwh", "energy", "kWh", vifes=BACKWARD_FLOW),
    ),
)
