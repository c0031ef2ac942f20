"""What the decoder hands out: a :class:`Reading`, one telegram's values, records and profile.

Built on the decoder's hot path without the frozen dataclass's ``__init__`` (the slot setters
below); records of a telegram decoded from a compiled layout are parsed only when someone
reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from .frame import MeterAddress, MeterId
from .meters import MeterProfile
from .records import Layout, Record, parse_records

type FrameKind = Literal["long", "compact", "manufacturer"]
type Value = int | float


@dataclass(frozen=True, slots=True)
class Reading:
    """The values one telegram carried, ready for the integration.

    ``values`` holds the profile's named values, only what the telegram carries (absent
    is absent, never 0): energy in kWh as float (exact from integer Wh), power in W as
    int. ``records`` are all the telegram's records (standard and manufacturer-derived,
    in telegram order); ``problems`` says what part of the telegram could not be read.
    RSSI and reception time are added by the caller, they are not in the telegram.
    ``address`` is the meter's (a long transport header's when there is one);
    ``link_address`` the radio part's that sent it, when that is another device (a radio
    converter), else None. ``status`` is the transport header's status byte (None
    without a header).
    """

    address: MeterAddress
    profile: str
    model: str
    values: Mapping[str, Value]
    access_number: int
    frame: FrameKind
    meter_profile: MeterProfile = field(compare=False, repr=False)
    """The profile itself (fields, detection, formats): what ``profile`` names."""
    problems: tuple[str, ...] = ()
    _records: tuple[Record, ...] | None = field(default=(), repr=False, compare=False)
    _layout: Layout | None = field(default=None, repr=False, compare=False)
    _apl: bytes = field(default=b"", repr=False, compare=False)
    link_address: MeterAddress | None = None
    status: int | None = None

    @property
    def meter_id(self) -> MeterId:
        """The 8 digits of the address (as printed on the meter)."""
        return self.address.meter_id

    @property
    def manufacturer(self) -> str:
        """Three-letter manufacturer code of the address."""
        return self.address.manufacturer

    @property
    def version(self) -> int:
        """Version byte of the address."""
        return self.address.version

    @property
    def device_type(self) -> int:
        """Device type (medium) byte of the address."""
        return self.address.device_type

    @property
    def records(self) -> tuple[Record, ...]:
        """Every record of the telegram; on the compiled fast path built on first access."""
        records = self._records
        if records is None:
            records = _rebuild_records(self._layout, self._apl, self.frame)
            _set_records(self, records)  # once: a Reading is immutable to its users
        return records


READING_SLOTS: Final = tuple(
    Reading.__dict__[name].__set__
    for name in (
        "address",
        "profile",
        "model",
        "values",
        "access_number",
        "frame",
        "meter_profile",
        "problems",
        "_records",
        "_layout",
        "_apl",
        "link_address",
        "status",
    )
)
(
    _set_address,
    _set_profile,
    _set_model,
    _set_values,
    _set_access,
    _set_frame,
    _set_meter_profile,
    _set_problems,
    _set_records,
    _set_layout,
    _set_apl,
    _set_link_address,
    _set_status,
) = READING_SLOTS


def _rebuild_records(layout: Layout | None, apl: bytes, frame: FrameKind) -> tuple[Record, ...]:
    """Records of a telegram the fast path decoded from its compiled layout."""
    if layout is None:
        return ()
    full_frame = layout.full_frame(apl) if frame == "compact" else apl
    return parse_records(full_frame).records
