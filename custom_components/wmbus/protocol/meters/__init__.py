"""Meter profiles: which records of a telegram become which named values.

A profile is a declaration, not code: how to recognise the meter (manufacturer, device
type and, above all, its record set / compact-format signature, because other Kamstrup
electricity meters share KAM/0x02 with a different datagram) and a list of fields. The
decoder compiles a profile against a record layout once and reuses the result.

Adding a meter type = adding one module with a :class:`MeterProfile` and listing it in
:data:`PROFILES`; the decoder needs no change.
"""

from __future__ import annotations

from typing import Final

from .generic import GENERIC
from .omnipower import OMNIPOWER
from .profile import FieldPlan, FieldSpec, MeterProfile, compile_fields

PROFILES: Final[tuple[MeterProfile, ...]] = (OMNIPOWER, GENERIC)
"""Tried in order; the first profile whose detection matches wins. GENERIC matches all."""


def select_profile(manufacturer: str, device_type: int, signature: int) -> MeterProfile:
    """Return the profile for a telegram's header facts and record-format signature."""
    for profile in PROFILES:
        if profile.matches(manufacturer, device_type, signature):
            return profile
    return GENERIC


__all__ = [
    "PROFILES",
    "FieldPlan",
    "FieldSpec",
    "MeterProfile",
    "compile_fields",
    "select_profile",
]
