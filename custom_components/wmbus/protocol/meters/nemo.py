"""IME nemo: electricity meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/nemo.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="nemo",
    model="IME nemo",
    media="electricity",
    detect=(mvt("IME", 0x1D, 0x02),),
    fields=(
        FieldSpec(
            "total_active_positive_3phase_kwh", "energy", "kWh", tariff=1, subunit=1, role="active"
        ),
        FieldSpec("active_positive_3phase_kw", "power", "kW", tariff=1, subunit=1, role="active"),
        FieldSpec(
            "total_reactive_positive_3phase_kwh",
            "energy",
            "kWh",
            tariff=1,
            subunit=2,
            role="reactive",
        ),
        FieldSpec(
            "reactive_positive_3phase_kw", "power", "kW", tariff=1, subunit=2, role="reactive"
        ),
        FieldSpec(
            "total_active_partial_3phase_kwh", "energy", "kWh", tariff=2, subunit=1, role="active"
        ),
        FieldSpec("active_negative_3phase_kw", "power", "kW", tariff=2, subunit=1, role="active"),
        FieldSpec(
            "total_reactive_partial_3phase_kwh",
            "energy",
            "kWh",
            tariff=2,
            subunit=2,
            role="reactive",
        ),
        FieldSpec(
            "reactive_negative_3phase_kw", "power", "kW", tariff=2, subunit=2, role="reactive"
        ),
        TPL_STATUS_ERRORS,
    ),
)
