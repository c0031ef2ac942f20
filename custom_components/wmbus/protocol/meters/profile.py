"""Building blocks of a meter profile: field declarations and their compilation."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final

from ..crypto import crc16_en13757
from ..records import Function, RecordHeader

# Conversions from a record's unit to a field's unit, as exact ratios.
_UNIT_FACTORS: Final[dict[tuple[str, str], Fraction]] = {
    ("Wh", "Wh"): Fraction(1),
    ("Wh", "kWh"): Fraction(1, 1000),
    ("Wh", "MWh"): Fraction(1, 1000000),
    ("J", "Wh"): Fraction(1, 3600),
    ("J", "kWh"): Fraction(1, 3600000),
    ("J", "J"): Fraction(1),
    ("J", "GJ"): Fraction(1, 10**9),
    ("W", "W"): Fraction(1),
    ("W", "kW"): Fraction(1, 1000),
    ("J/h", "W"): Fraction(1, 3600),
    ("m3", "m3"): Fraction(1),
    ("m3", "L"): Fraction(1000),
    ("m3/h", "m3/h"): Fraction(1),
    ("C", "C"): Fraction(1),
    ("K", "K"): Fraction(1),
    ("V", "V"): Fraction(1),
    ("A", "A"): Fraction(1),
    ("kg", "kg"): Fraction(1),
    ("bar", "bar"): Fraction(1),
}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One named value: which record it comes from and in which unit it is reported.

    A record matches when its quantity, its set of combinable VIFEs (e.g. {0x3C} =
    backward flow = production) and its storage/tariff/subunit/function are exactly
    these; the first matching record wins.
    """

    key: str
    quantity: str
    unit: str
    vifes: frozenset[int] = frozenset()
    storage: int = 0
    tariff: int = 0
    subunit: int = 0
    function: Function = Function.INSTANTANEOUS
    integer: bool = False
    """Report an int when the conversion is exact (power in W); otherwise a float."""

    def matches(self, header: RecordHeader) -> bool:
        """Whether ``header`` is the record this field reads."""
        return (
            header.quantity == self.quantity
            and (header.unit, self.unit) in _UNIT_FACTORS
            and frozenset(header.vifes) == self.vifes
            and header.storage == self.storage
            and header.tariff == self.tariff
            and header.subunit == self.subunit
            and header.function == self.function
        )


@dataclass(frozen=True, slots=True)
class MeterProfile:
    """A meter type: detection rules and fields.

    ``record_formats`` are the compact-format bytes (DIF/VIF headers) the meter is known
    to send: they are preloaded into the format registry and, when
    ``detect_by_record_set`` is set, a telegram only gets this profile if its record
    format is one of them. Empty ``manufacturers``/``device_types`` match anything.
    """

    name: str
    model: str
    fields: tuple[FieldSpec, ...]
    manufacturers: frozenset[str] = frozenset()
    device_types: frozenset[int] = frozenset()
    record_formats: tuple[bytes, ...] = ()
    detect_by_record_set: bool = True
    signatures: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "signatures", frozenset(crc16_en13757(fmt) for fmt in self.record_formats)
        )

    def matches(self, manufacturer: str, device_type: int, signature: int) -> bool:
        """Whether a telegram with these header facts and record format is this meter."""
        if self.manufacturers and manufacturer not in self.manufacturers:
            return False
        if self.device_types and device_type not in self.device_types:
            return False
        return not (self.detect_by_record_set and signature not in self.signatures)


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """A field compiled against one layout: value = raw x numerator / denominator."""

    key: str
    index: int
    numerator: int
    denominator: int
    integer: bool


def compile_fields(
    profile: MeterProfile, headers: tuple[RecordHeader, ...]
) -> tuple[FieldPlan, ...]:
    """Resolve every field of ``profile`` to a record index and an exact scale factor.

    Fields without a matching record are left out: they are absent from the reading,
    never reported as 0.
    """
    plans: list[FieldPlan] = []
    for spec in profile.fields:
        for index, header in enumerate(headers):
            if spec.matches(header):
                factor = _UNIT_FACTORS[header.unit, spec.unit] * Fraction(10) ** header.exponent
                plans.append(
                    FieldPlan(
                        spec.key,
                        index,
                        factor.numerator,
                        factor.denominator,
                        spec.integer and factor.denominator == 1,
                    )
                )
                break
    return tuple(plans)
