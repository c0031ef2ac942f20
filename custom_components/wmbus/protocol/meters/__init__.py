"""Meter profiles: which meter a telegram comes from and what its records mean.

Every module in this package that defines ``PROFILE`` (or ``PROFILES``) is a meter type and
is found at import: adding a meter type is adding one file, nothing else changes. Helper
modules (``profile``, ``layout``, ``prios``, ``qundis``, ``generic``) define neither.
:func:`select_profile` tries the profiles in order of specificity (record-format detection
first, then an exact version before "any version") and falls back to :data:`GENERIC`,
which names only the common quantities: a meter without a profile still gets all its
standard records, keyed by :func:`record_key`.
"""

from __future__ import annotations

from importlib import import_module
import pkgutil
from typing import Final

from .generic import GENERIC
from .profile import (
    ERROR_FLAGS,
    FIELD_ROLES,
    TPL_STATUS_ERRORS,
    TRANSPORT_STATUS,
    AddressFacts,
    Detection,
    FieldPlan,
    FieldRole,
    FieldSpec,
    ManufacturerFrame,
    MeterProfile,
    compile_fields,
    field_values,
    header_key,
    medium_name,
    mvt,
    record_key,
)


def _discover() -> tuple[MeterProfile, ...]:
    found: list[MeterProfile] = []
    for module_info in pkgutil.iter_modules(__path__):
        module = import_module(f"{__name__}.{module_info.name}")
        single = getattr(module, "PROFILE", None)
        if isinstance(single, MeterProfile):
            found.append(single)
        for profile in getattr(module, "PROFILES", ()):
            if isinstance(profile, MeterProfile):
                found.append(profile)
    names = [profile.name for profile in found]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ImportError(f"meter profiles declared twice: {sorted(duplicates)}")
    ordered = sorted(found, key=lambda profile: (-profile.specificity, profile.name))
    return (*ordered, GENERIC)


PROFILES: Final[tuple[MeterProfile, ...]] = _discover()
"""Every meter profile, in the order :func:`select_profile` tries them; GENERIC last."""

_BY_MANUFACTURER: Final[dict[str, tuple[MeterProfile, ...]]] = {
    code: tuple(profile for profile in PROFILES if code in profile.manufacturers)
    for code in sorted({code for profile in PROFILES for code in profile.manufacturers})
}
PROFILES_BY_NAME: Final[dict[str, MeterProfile]] = {profile.name: profile for profile in PROFILES}


def select_profile(address: AddressFacts, signature: int | None) -> MeterProfile:
    """Return the profile for a meter address and its record-format signature.

    ``signature`` is None when it does not apply (manufacturer frames) or is not known
    yet; profiles that detect by record set then do not match.
    """
    for profile in _BY_MANUFACTURER.get(address.manufacturer, ()):
        if profile.matches(address, signature):
            return profile
    return GENERIC


def heard_profile(address: AddressFacts) -> MeterProfile | None:
    """The meter type a link header alone points to (for the heard list); None if unsure.

    Before its key is given a meter shows nothing but its link header, and several makers
    put their own device types there (Diehl's IZAR sends its version and type inside the id,
    Techem numbers its media itself), which EN 13757-3's medium table reads as "oil" or
    "reserved": the profiles' detection knows these meters. A profile that detects by record
    set counts when it is the only meter type with that address.
    """
    profile = select_profile(address, None)
    if profile is not GENERIC:
        return profile
    candidates = [
        candidate
        for candidate in _BY_MANUFACTURER.get(address.manufacturer, ())
        if any(detection.matches(address) for detection in candidate.detect)
    ]
    return candidates[0] if len({c.model for c in candidates}) == 1 else None


__all__ = [
    "ERROR_FLAGS",
    "FIELD_ROLES",
    "GENERIC",
    "PROFILES",
    "PROFILES_BY_NAME",
    "TPL_STATUS_ERRORS",
    "TRANSPORT_STATUS",
    "AddressFacts",
    "Detection",
    "FieldPlan",
    "FieldRole",
    "FieldSpec",
    "ManufacturerFrame",
    "MeterProfile",
    "compile_fields",
    "field_values",
    "header_key",
    "heard_profile",
    "medium_name",
    "mvt",
    "record_key",
    "select_profile",
]
