"""ABB B23: electricity meter sending standard DIF/VIF records.

Detection (manufacturer, version, device type) and field names follow wmbusmeters
drivers/src/abbb23.xmq and its tests; the values come from the records as the
standard defines them.
"""

from __future__ import annotations

from typing import Final

from .profile import TPL_STATUS_ERRORS, FieldSpec, MeterProfile, mvt

PROFILE: Final = MeterProfile(
    name="abbb23",
    model="ABB B23",
    media="electricity",
    detect=(mvt("ABB", 0x20, 0x02),),
    fields=(
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("total_energy_production_kwh", "energy", "kWh", subunit=1, role="active_export"),
        FieldSpec("active_consumption_kw", "power", "kW"),
        FieldSpec("active_consumption_l1_kw", "power", "kW"),
        FieldSpec("active_consumption_l2_kw", "power", "kW"),
        FieldSpec("active_consumption_l3_kw", "power", "kW"),
        FieldSpec("reactive_consumption_kw", "power", "kW", subunit=2, role="reactive_import"),
        FieldSpec("reactive_consumption_l1_kw", "power", "kW", subunit=2, role="reactive_import"),
        FieldSpec("reactive_consumption_l2_kw", "power", "kW", subunit=2, role="reactive_import"),
        FieldSpec("reactive_consumption_l3_kw", "power", "kW", subunit=2, role="reactive_import"),
        FieldSpec("apparent_consumption_kw", "power", "kW", subunit=4, role="apparent_import"),
        FieldSpec("apparent_consumption_l1_kw", "power", "kW", subunit=4, role="apparent_import"),
        FieldSpec("apparent_consumption_l2_kw", "power", "kW", subunit=4, role="apparent_import"),
        FieldSpec("apparent_consumption_l3_kw", "power", "kW", subunit=4, role="apparent_import"),
        FieldSpec("voltage_l1_n_v", "voltage", "V"),
        FieldSpec("voltage_l2_n_v", "voltage", "V"),
        FieldSpec("voltage_l3_n_v", "voltage", "V"),
        FieldSpec("voltage_l1_l2_v", "voltage", "V"),
        FieldSpec("voltage_l2_l3_v", "voltage", "V"),
        FieldSpec("voltage_l3_l1_v", "voltage", "V"),
        FieldSpec("current_l1_a", "current", "A"),
        FieldSpec("current_l2_a", "current", "A"),
        FieldSpec("current_l3_a", "current", "A"),
        FieldSpec(
            "total_reactive_energy_consumption_kwh",
            "energy",
            "kWh",
            subunit=2,
            role="reactive_import",
        ),
        FieldSpec(
            "total_reactive_energy_production_kwh",
            "energy",
            "kWh",
            subunit=3,
            role="reactive_export",
        ),
        FieldSpec("resettable_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec(
            "resettable_energy_production_kwh", "energy", "kWh", subunit=1, role="active_export"
        ),
        FieldSpec(
            "resettable_reactive_energy_consumption_kwh",
            "energy",
            "kWh",
            subunit=2,
            role="reactive_import",
        ),
        FieldSpec(
            "resettable_reactive_energy_production_kwh",
            "energy",
            "kWh",
            subunit=3,
            role="reactive_export",
        ),
        FieldSpec(
            "total_apparent_energy_consumption_kwh",
            "energy",
            "kWh",
            subunit=4,
            role="apparent_import",
        ),
        FieldSpec(
            "total_apparent_energy_production_kwh",
            "energy",
            "kWh",
            subunit=5,
            role="apparent_export",
        ),
        FieldSpec("total_energy_consumption_l1_kwh", "energy", "kWh"),
        FieldSpec("total_energy_consumption_l2_kwh", "energy", "kWh"),
        FieldSpec("total_energy_consumption_l3_kwh", "energy", "kWh"),
        FieldSpec(
            "total_reactive_energy_consumption_l1_kwh",
            "energy",
            "kWh",
            subunit=2,
            role="reactive_import",
        ),
        FieldSpec(
            "total_reactive_energy_consumption_l2_kwh",
            "energy",
            "kWh",
            subunit=2,
            role="reactive_import",
        ),
        FieldSpec(
            "total_reactive_energy_consumption_l3_kwh",
            "energy",
            "kWh",
            subunit=2,
            role="reactive_import",
        ),
        FieldSpec(
            "total_apparent_energy_consumption_l1_kwh",
            "energy",
            "kWh",
            subunit=4,
            role="apparent_import",
        ),
        FieldSpec(
            "total_apparent_energy_consumption_l2_kwh",
            "energy",
            "kWh",
            subunit=4,
            role="apparent_import",
        ),
        FieldSpec(
            "total_apparent_energy_consumption_l3_kwh",
            "energy",
            "kWh",
            subunit=4,
            role="apparent_import",
        ),
        FieldSpec(
            "total_energy_production_l1_kwh", "energy", "kWh", subunit=1, role="active_export"
        ),
        FieldSpec(
            "total_energy_production_l2_kwh", "energy", "kWh", subunit=1, role="active_export"
        ),
        FieldSpec(
            "total_energy_production_l3_kwh", "energy", "kWh", subunit=1, role="active_export"
        ),
        FieldSpec(
            "total_reactive_energy_production_l1_kwh",
            "energy",
            "kWh",
            subunit=3,
            role="reactive_export",
        ),
        FieldSpec(
            "total_reactive_energy_production_l2_kwh",
            "energy",
            "kWh",
            subunit=3,
            role="reactive_export",
        ),
        FieldSpec(
            "total_reactive_energy_production_l3_kwh",
            "energy",
            "kWh",
            subunit=3,
            role="reactive_export",
        ),
        FieldSpec(
            "total_apparent_energy_production_l1_kwh",
            "energy",
            "kWh",
            subunit=5,
            role="apparent_export",
        ),
        FieldSpec(
            "total_apparent_energy_production_l2_kwh",
            "energy",
            "kWh",
            subunit=5,
            role="apparent_export",
        ),
        FieldSpec(
            "total_apparent_energy_production_l3_kwh",
            "energy",
            "kWh",
            subunit=5,
            role="apparent_export",
        ),
        FieldSpec("total_net_energy_kwh", "energy", "kWh", subunit=6, role="net"),
        FieldSpec("total_net_energy_l1_kwh", "energy", "kWh", subunit=6, role="net"),
        FieldSpec("total_net_energy_l2_kwh", "energy", "kWh", subunit=6, role="net"),
        FieldSpec("total_net_energy_l3_kwh", "energy", "kWh", subunit=6, role="net"),
        FieldSpec("total_net_reactive_energy_kwh", "energy", "kWh", subunit=7, role="net_reactive"),
        FieldSpec(
            "total_net_reactive_energy_l1_kwh", "energy", "kWh", subunit=7, role="net_reactive"
        ),
        FieldSpec(
            "total_net_reactive_energy_l2_kwh", "energy", "kWh", subunit=7, role="net_reactive"
        ),
        FieldSpec(
            "total_net_reactive_energy_l3_kwh", "energy", "kWh", subunit=7, role="net_reactive"
        ),
        FieldSpec("total_net_apparent_energy_kwh", "energy", "kWh", subunit=8, role="net_apparent"),
        FieldSpec(
            "total_net_apparent_energy_l1_kwh", "energy", "kWh", subunit=8, role="net_apparent"
        ),
        FieldSpec(
            "total_net_apparent_energy_l2_kwh", "energy", "kWh", subunit=8, role="net_apparent"
        ),
        FieldSpec(
            "total_net_apparent_energy_l3_kwh", "energy", "kWh", subunit=8, role="net_apparent"
        ),
        TPL_STATUS_ERRORS,
    ),
)
