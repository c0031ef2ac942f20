"""Wireless M-Bus link layer (EN 13757-4): the first stage of the decoder.

A "telegram" here is what every radio delivers (``protocol/radios``): ``L C M M A A A A V T
CI ...`` with the link-layer block CRCs already removed. The link layer's facts are the length
rule, the C-field and the sender's address; :class:`MeterAddress` (``address.py``) is what
meters are keyed by everywhere.
"""

from __future__ import annotations

from .address import (
    ADDRESS_SIZE,
    ADDRESS_SLICE,
    DEVICE_TYPE_NAMES,
    LINK_HEADER_SIZE,
    LONG_TRANSPORT_HEADER_CIS,
    METER_ADDRESS_CIS,
    NATIONAL_CODE_BIT,
    LinkHeader,
    MeterAddress,
    MeterId,
    device_type_name,
    link_header_from_prefix,
    manufacturer_code,
    manufacturer_id_from_code,
    meter_address_wire,
    meter_id_to_wire,
    normalize_meter_id,
)
from .errors import LengthMismatch, Truncated

# The address facts live in address.py (errors.py needs them too); the link stage re-exports
# them, so a reader of the link layer finds its whole vocabulary here.
__all__ = [
    "ADDRESS_SIZE",
    "ADDRESS_SLICE",
    "DEVICE_TYPE_NAMES",
    "LINK_HEADER_SIZE",
    "LONG_TRANSPORT_HEADER_CIS",
    "METER_ADDRESS_CIS",
    "NATIONAL_CODE_BIT",
    "LinkHeader",
    "MeterAddress",
    "MeterId",
    "check_length",
    "device_type_name",
    "link_header_from_prefix",
    "manufacturer_code",
    "manufacturer_id_from_code",
    "meter_address_wire",
    "meter_id_to_wire",
    "normalize_meter_id",
    "parse_link_header",
]


def check_length(telegram: bytes) -> None:
    """Enforce ``len(telegram) == L + 1`` before anything else (EN 13757-4 L-field)."""
    size = len(telegram)
    if size == 0:
        raise Truncated("empty telegram")
    expected = telegram[0] + 1
    if size < expected:
        raise Truncated(f"telegram has {size} bytes, L-field promises {expected}")
    if size > expected:
        raise LengthMismatch(f"telegram has {size} bytes, L-field says {expected}")
    if size < LINK_HEADER_SIZE:
        raise Truncated(f"telegram has {size} bytes, the link header needs {LINK_HEADER_SIZE}")


def parse_link_header(telegram: bytes) -> LinkHeader:
    """Check the length rule and return the link header of ``telegram``."""
    check_length(telegram)
    return link_header_from_prefix(telegram)
