"""Building blocks of a meter profile: detection, field declarations, units.

A profile is a declaration, not code: how to recognise the meter (manufacturer, version,
device type and, where two datagrams share those, the record-format signature), the compact
formats it sends and which record becomes which named value, in which unit. How a value is
shown is left to whoever shows it (the Home Assistant integration keys its display hints by
quantity). Meters whose payload is not DIF/VIF declare byte layouts (``layout.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Final, Literal, Protocol, get_args

from ..crypto import crc16_en13757
from ..frame import device_type_name
from ..records import VIFE_BACKWARD_FLOW, VIFE_FORWARD_FLOW, Function, Record, RecordHeader


class AddressFacts(Protocol):
    """What a profile needs of a meter address (the decoder's ``MeterAddress`` has it)."""

    @property
    def manufacturer(self) -> str:
        """Three-letter manufacturer code."""
        ...

    @property
    def meter_id(self) -> str:
        """The 8 id digits as printed."""
        ...

    @property
    def version(self) -> int:
        """Version byte."""
        ...

    @property
    def device_type(self) -> int:
        """Device type (medium) byte."""
        ...


CURRENT_ALARMS: Final = "current_alarms"
"""Quantity of the alarm bits a layout picked out of a meter's error flags (:class:`AlarmBits`
in ``layout.py``), where those flags mix alarms now with "was"/"last month" history bits."""
TRANSPORT_STATUS: Final = "transport_status"
"""Quantity of the field a profile declares for the TPL status byte's error bits; no record
has it, the decoder fills it from the transport header."""

type PayloadKind = Literal["records", "manufacturer"]
type FieldRole = Literal[
    "heating",
    "cooling",
    "active",
    "reactive",
    "active_export",
    "reactive_import",
    "reactive_export",
    "apparent_import",
    "apparent_export",
    "net",
    "net_reactive",
    "net_apparent",
]
"""What a value measures where its quantity and record coordinates do not say it: a subunit
(or tariff) whose meaning the meter's maker defines, such as an Apator Elf 2's cooling
register (subunit 1) or an ABB B23's reactive energy (subunit 2). Part of the value's name."""
FIELD_ROLES: Final[tuple[FieldRole, ...]] = get_args(FieldRole.__value__)


# -- units -------------------------------------------------------------------------------

# Every unit a record or a field can have, as (dimension, factor to the dimension's base).
_UNITS: Final[dict[str, tuple[str, Fraction]]] = {
    "Wh": ("energy", Fraction(1)),
    "kWh": ("energy", Fraction(1000)),
    "MWh": ("energy", Fraction(10**6)),
    "J": ("energy", Fraction(1, 3600)),
    "kJ": ("energy", Fraction(1000, 3600)),
    "MJ": ("energy", Fraction(10**6, 3600)),
    "GJ": ("energy", Fraction(10**9, 3600)),
    "W": ("power", Fraction(1)),
    "kW": ("power", Fraction(1000)),
    "J/h": ("power", Fraction(1, 3600)),
    "m3": ("volume", Fraction(1)),
    "L": ("volume", Fraction(1, 1000)),
    "m3/h": ("flow", Fraction(1)),
    "L/h": ("flow", Fraction(1, 1000)),
    "m3/min": ("flow", Fraction(60)),
    "m3/s": ("flow", Fraction(3600)),
    "kg": ("mass", Fraction(1)),
    "kg/h": ("mass_flow", Fraction(1)),
    "C": ("temperature", Fraction(1)),
    "K": ("temperature_difference", Fraction(1)),
    "bar": ("pressure", Fraction(1)),
    "V": ("voltage", Fraction(1)),
    "A": ("current", Fraction(1)),
    "Hz": ("frequency", Fraction(1)),
    "%RH": ("humidity", Fraction(1)),
    "HCA": ("hca", Fraction(1)),
    "%": ("percent", Fraction(1)),
    "ppm": ("concentration", Fraction(1)),
    "s": ("time", Fraction(1)),
    "min": ("time", Fraction(60)),
    "h": ("time", Fraction(3600)),
    "d": ("time", Fraction(86400)),
}
_UNITLESS: Final = frozenset({"error_flags", CURRENT_ALARMS})
"""Quantities without a unit that a profile field may still read (bit fields)."""
_UNITLESS_HCA: Final = ("hca_units", "")
"""Older record tables give HCA units an empty unit string; they are still HCA units."""


def unit_factor(quantity: str | None, from_unit: str, to_unit: str) -> Fraction | None:
    """Exact factor turning a value in ``from_unit`` into ``to_unit``; None if incompatible."""
    if (quantity, from_unit) == _UNITLESS_HCA:
        from_unit = "HCA"
    if from_unit == to_unit == "" and quantity in _UNITLESS:
        return Fraction(1)  # bit fields and counts: nothing to convert
    source = _UNITS.get(from_unit)
    target = _UNITS.get(to_unit)
    if source is None or target is None or source[0] != target[0]:
        return None
    return source[1] / target[1]


# -- detection ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Detection:
    """One manufacturer/version/device-type combination a meter type is known to send.

    ``versions`` or ``device_types`` None matches any (wmbusmeters writes ``*``).
    """

    manufacturer: str
    versions: frozenset[int] | None
    device_types: frozenset[int] | None
    diehl_address: bool = False
    """Version and type sit in the first two id bytes on air, as Diehl's PRIOS and "real
    data" telegrams send them (wmbusmeters src/manufacturer_specificities.cc
    transformDiehlAddress swaps them back)."""

    def matches(self, address: AddressFacts) -> bool:
        """Whether ``address`` is one of these."""
        if address.manufacturer != self.manufacturer:
            return False
        version, device_type = address.version, address.device_type
        if self.diehl_address:
            try:
                id_bytes = bytes.fromhex(address.meter_id)[::-1]
            except ValueError:
                return False
            version, device_type = id_bytes[0], id_bytes[1]
        return (self.versions is None or version in self.versions) and (
            self.device_types is None or device_type in self.device_types
        )

    @property
    def specificity(self) -> int:
        """More specific detections are tried first (a version beats "any version")."""
        return (self.versions is not None) * 2 + (self.device_types is not None)


def with_diehl_addresses(detections: tuple[Detection, ...]) -> tuple[Detection, ...]:
    """``detections`` plus the same meters as their PRIOS/"real data" telegrams address them."""
    return detections + tuple(replace(item, diehl_address=True) for item in detections)


def mvt(manufacturer: str, version: int | None, *device_types: int) -> Detection:
    """Detection from a manufacturer, a version (None: any) and device types (none: any)."""
    return Detection(
        manufacturer,
        None if version is None else frozenset({version}),
        frozenset(device_types) if device_types else None,
    )


# -- fields ------------------------------------------------------------------------------

BACKWARD_FLOW: Final = frozenset({VIFE_BACKWARD_FLOW})
"""VIFE 3C: accumulated only while flowing backwards (returned water, exported energy)."""
FORWARD_FLOW: Final = frozenset({VIFE_FORWARD_FLOW})
"""VIFE 3B: accumulated only while flowing forwards."""
AT_PHASE_1: Final = frozenset({0x7C01})
AT_PHASE_2: Final = frozenset({0x7C02})
AT_PHASE_3: Final = frozenset({0x7C03})
"""Combinable extension 7C 01..03: the value of one phase (electricity meters)."""


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
    """Report an int when the conversion is exact (power in W, HCA units); else a float."""
    medium: str | None = None
    """The medium the value measures where the meter's device type does not say it (a water
    meter's volume is water, a gas meter's gas)."""
    role: FieldRole | None = None
    """What the value measures beyond its quantity (see :data:`FieldRole`); a user tells two
    values of one quantity apart by it, so a profile declares it wherever a subunit means
    something (cooling, reactive, exported)."""

    def __post_init__(self) -> None:
        if self.unit == "HCA":
            object.__setattr__(self, "integer", True)  # units are counts

    def matches(self, header: RecordHeader) -> bool:
        """Whether ``header`` is the record this field reads."""
        return (
            header.quantity == self.quantity
            and unit_factor(header.quantity, header.unit, self.unit) is not None
            and frozenset(header.vifes) == self.vifes
            and header.storage == self.storage
            and header.tariff == self.tariff
            and header.subunit == self.subunit
            and header.function == self.function
        )


ERROR_FLAGS: Final = FieldSpec("error_flags", "error_flags", "", integer=True)
"""The meter's error and alarm bits (``FD 17``, or a manufacturer layout's info codes).

A problem wherever values are shown: on while any bit is set; the value
is the bit field itself, so the bits stay readable (attributes, the CLI).
"""
CURRENT_ALARM_FLAGS: Final = FieldSpec("error_flags", CURRENT_ALARMS, "", integer=True)
"""The error flags of a meter whose flags also hold history: only the bits that are alarms
now, as the profile's ``AlarmBits`` layout masked them (Ultrimis, Minomess, Lansen smoke)."""
ERROR_FLAGS_AT_ERROR: Final = FieldSpec(
    "error_flags", "error_flags", "", function=Function.ERROR_STATE, integer=True
)
"""The same bits sent with DIF function "value during error state" (``34 FD 17``: Qundis)."""


TPL_STATUS_ERRORS: Final = FieldSpec("status_errors", TRANSPORT_STATUS, "", integer=True)
"""The transport header's standard error bits (``tpl.status_errors``): application error or
alarm, power low, permanent or temporary error. A problem, on while any is set. Declared
by the meters whose wmbusmeters driver counts the TPL status in its status
(``INCLUDE_TPL_STATUS``); absent for telegrams without a TPL header.
"""


type ManufacturerDecoder = Callable[[ManufacturerFrame], tuple[Record, ...]]


@dataclass(frozen=True, slots=True)
class ManufacturerFrame:
    """A payload a profile decodes itself, with what its layout may need besides the bytes.

    ``payload`` is everything after the CI byte for a manufacturer CI (0xA0-0xB7), for a
    transport CI without standard meter data (71) and for a manufacturer security mode
    (16-31: then it starts with the transport header's ACC); the APL after the transport
    header (decrypted) for a TPL telegram of a ``payload="manufacturer"`` profile; or the
    bytes after DIF 0F/1F, or a manufacturer record's data. ``key`` is the meter's
    configured key, for layouts that encrypt their own payload (Apator NA-1, Diehl).
    """

    ci: int
    payload: bytes
    address: AddressFacts
    key: bytes | None = None


@dataclass(frozen=True, slots=True)
class MeterProfile:
    """A meter type: detection rules, compact formats, fields and manufacturer layouts.

    ``record_formats`` are the compact-format bytes (DIF/VIF headers) the meter is known
    to send: they are preloaded into the format registry so compact frames decode before
    the first long frame. With ``detect_by_record_set``, a telegram gets this profile only
    if its record format is one of them (Kamstrup: OmniPower and other electricity
    meters share KAM/0x02). ``payload="manufacturer"`` means the APL after the transport
    header is not DIF/VIF: ``frames`` decode it. ``frames`` are keyed by CI: manufacturer
    CIs, for such profiles the TPL CI, and the TPL CI of telegrams in a manufacturer
    security mode (Diehl "real data", BMeters RFM-TX1); ``manufacturer_data`` decodes what
    follows DIF 0F/1F in a record payload.
    """

    name: str
    model: str
    detect: tuple[Detection, ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    record_formats: tuple[bytes, ...] = ()
    detect_by_record_set: bool = False
    payload: PayloadKind = "records"
    frames: Mapping[int, ManufacturerDecoder] = field(default_factory=dict)
    manufacturer_data: ManufacturerDecoder | None = None
    record_layouts: Mapping[bytes, ManufacturerDecoder] = field(default_factory=dict)
    """Layouts for the data of manufacturer-VIF records, keyed by their DIF/VIF bytes
    (Qundis walk-by ``0D FF 5F``)."""
    media: str = ""
    """What the meter measures, for the heard list ("water", "heat cost allocator", ...)."""
    default_key: bytes | None = None
    """AES key the manufacturer ships for security mode 5 when the user configured none
    (Diehl: a published default); the decoder tries it only for meters without a key."""
    signatures: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "signatures", frozenset(crc16_en13757(fmt) for fmt in self.record_formats)
        )

    @property
    def manufacturers(self) -> frozenset[str]:
        """Manufacturer codes this profile detects."""
        return frozenset(detection.manufacturer for detection in self.detect)

    @property
    def device_types(self) -> frozenset[int]:
        """Device types this profile detects (empty if any)."""
        types: set[int] = set()
        for detection in self.detect:
            types |= detection.device_types or frozenset()
        return frozenset(types)

    def format_declarations(self) -> Iterable[tuple[str, int, bytes]]:
        """(manufacturer, device type, format bytes) for every declared compact format."""
        seen: set[tuple[str, int]] = set()
        for detection in self.detect:
            for device_type in sorted(detection.device_types or ()):
                pair = (detection.manufacturer, device_type)
                if pair not in seen:
                    seen.add(pair)
                    for format_bytes in self.record_formats:
                        yield detection.manufacturer, device_type, format_bytes

    def matches(self, address: AddressFacts, signature: int | None) -> bool:
        """Whether a telegram from ``address`` with this record-format signature is this meter.

        ``signature`` None (not known yet, or a manufacturer frame) passes a
        record-set detection only for profiles that do not need one.
        """
        if not any(detection.matches(address) for detection in self.detect):
            return False
        return not self.detect_by_record_set or signature in self.signatures

    @property
    def specificity(self) -> int:
        """Sort key: record-set detection first, then the most specific address rule."""
        best = max((detection.specificity for detection in self.detect), default=0)
        return self.detect_by_record_set * 8 + best

    def decodes_frame(self, ci: int) -> bool:
        """Whether this profile has a layout for payloads after ``ci``."""
        return ci in self.frames

    def decode_manufacturer(
        self, ci: int, apl: bytes, address: AddressFacts, key: bytes | None = None
    ) -> tuple[Record, ...]:
        """Records from a manufacturer-format payload (see :class:`ManufacturerFrame`).

        Empty when this profile has no layout for ``ci``: the caller reports the
        telegram as not decodable, it never gets invented values.
        """
        decoder = self.frames.get(ci)
        if decoder is None:
            return ()
        return decoder(ManufacturerFrame(ci, bytes(apl), address, key))

    def decode_manufacturer_data(
        self, data: bytes, address: AddressFacts, key: bytes | None = None
    ) -> tuple[Record, ...]:
        """Records from the manufacturer data after DIF 0F/1F (empty if not declared)."""
        if self.manufacturer_data is None:
            return ()
        return self.manufacturer_data(ManufacturerFrame(0x0F, bytes(data), address, key))

    def expand_records(
        self, records: tuple[Record, ...], address: AddressFacts, key: bytes | None = None
    ) -> tuple[Record, ...]:
        """Records read from the data of this meter's manufacturer-VIF records (often empty).

        The decoder appends them to the standard records; the manufacturer records
        themselves stay as they are.
        """
        if not self.record_layouts:
            return ()
        extra: list[Record] = []
        for item in records:
            decoder = self.record_layouts.get(item.header.raw)
            if decoder is not None:
                extra.extend(decoder(ManufacturerFrame(0x0F, bytes(item.data), address, key)))
        return tuple(extra)


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
                unit = unit_factor(header.quantity, header.unit, spec.unit)
                assert unit is not None  # matches() checked it
                factor = unit * Fraction(10) ** header.exponent
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


def field_values(profile: MeterProfile, records: tuple[Record, ...]) -> dict[str, int | float]:
    """Named values of ``records`` (standard or from a layout), for a slow path or a test.

    The decoder's fast path compiles the same plans once per layout; this applies them
    directly. Records whose value is not a number (BCD error, text) are left out.
    """
    values: dict[str, int | float] = {}
    for plan in compile_fields(profile, tuple(item.header for item in records)):
        raw = records[plan.index].value
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            continue
        if plan.denominator == 1:
            scaled = raw * plan.numerator
            values[plan.key] = scaled if plan.integer else float(scaled)
        else:
            values[plan.key] = raw * plan.numerator / plan.denominator
    return values


# -- meters without a profile ------------------------------------------------------------

_FUNCTION_WORDS: Final = {
    Function.MAXIMUM: "max",
    Function.MINIMUM: "min",
    Function.ERROR_STATE: "at_error",
}
_VIFE_WORDS: Final = {
    VIFE_BACKWARD_FLOW: "backward",
    VIFE_FORWARD_FLOW: "forward",
    0x7C01: "phase_1",
    0x7C02: "phase_2",
    0x7C03: "phase_3",
}
_UNIT_SUFFIXES: Final = {"m3/h": "m3h", "%RH": "rh", "J/h": "jh", "L/h": "lh", "%": "pct"}


def header_key(header: RecordHeader) -> str:
    """Stable key of a record header: same record, same key, whatever else the telegram holds.

    Built from quantity, function, combinable VIFEs, tariff, subunit, storage and ends in
    the unit (``volume_storage_1_m3``, ``max_volume_flow_m3h``); a record of unknown
    meaning is keyed by its DIF/VIF bytes (``record_04ff23``).
    """
    if header.quantity is None:
        return f"record_{header.raw.hex()}" if header.raw else "record"
    words = []
    function_word = _FUNCTION_WORDS.get(header.function)
    if function_word:
        words.append(function_word)
    words.append(header.quantity)
    words.extend(_VIFE_WORDS.get(vife, f"vife_{vife:02x}") for vife in header.vifes)
    if header.tariff:
        words.append(f"tariff_{header.tariff}")
    if header.subunit:
        words.append(f"subunit_{header.subunit}")
    if header.storage:
        words.append(f"storage_{header.storage}")
    unit = "HCA" if (header.quantity, header.unit) == _UNITLESS_HCA else header.unit
    if unit and unit in _UNITS:
        words.append(_UNIT_SUFFIXES.get(unit, unit.lower()))
    return "_".join(words)


def record_key(record: Record) -> str:
    """:func:`header_key` of a record (for meters without a profile)."""
    return header_key(record.header)


# -- media -------------------------------------------------------------------------------

_TECHEM_MEDIA: Final[dict[int, str]] = {
    0x43: "heat",
    0x62: "warm water",
    0x72: "cold water",
    0x80: "heat cost allocator",
    0xC3: "heat",
    0xF0: "smoke detector",
}
"""Techem's own device types (wmbusmeters src/wmbus.cc mediaType for TCH)."""


def medium_name(device_type: int, manufacturer: str | None = None) -> str:
    """What a device type measures, in words, for the heard list."""
    if manufacturer == "TCH" and device_type in _TECHEM_MEDIA:
        return _TECHEM_MEDIA[device_type]
    return device_type_name(device_type)
