"""Fallback profile for any other meter: the standard quantities a record set carries.

It lets the decoder report what it understands of meters it has no profile for (other
Kamstrup electricity datagrams, water meters) without guessing anything else.
"""

from __future__ import annotations

from typing import Final

from ..records import VIFE_BACKWARD_FLOW
from .profile import FieldSpec, MeterProfile

_EXPORT: Final = frozenset({VIFE_BACKWARD_FLOW})

GENERIC: Final = MeterProfile(
    name="generic",
    model="Wireless M-Bus meter",
    fields=(
        FieldSpec("total_energy_consumption_kwh", "energy", "kWh"),
        FieldSpec("total_energy_production_kwh", "energy", "kWh", vifes=_EXPORT),
        FieldSpec("current_power_consumption_w", "power", "W", integer=True),
        FieldSpec("current_power_production_w", "power", "W", vifes=_EXPORT, integer=True),
        FieldSpec("total_volume_m3", "volume", "m3"),
        FieldSpec("flow_temperature_c", "flow_temperature", "C"),
        FieldSpec("external_temperature_c", "external_temperature", "C"),
    ),
)
