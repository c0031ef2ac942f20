"""What a meter shows in Home Assistant: one field per value its telegrams carry.

The protocol package says, in plain strings, how each value should be shown (its
``FieldDisplay``: device class, state class, unit, enabled by default, sensor or problem); this
module turns those hints into Home Assistant's enums, in this one place, and names each field
from its quantity, storage number, tariff and function (translated, see ``strings.json``).

Where the fields come from:
- a meter with a profile: the profile's named values (``Reading.values``), each described by its
  ``FieldSpec.display``;
- a meter without one (the generic profile): every standard record of the telegram
  (``Reading.records``), keyed by ``record_key`` and described by ``display_for_record``.

Fields are found on a meter's first telegram (and whenever a telegram carries a new one); the
gateway keeps them in a Store so the entities exist again, with restored values, after a
restart. Values the display hints leave out (dates, texts, unknown quantities) get no entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING, Any, Final, TypeIs

from homeassistant.components.binary_sensor import BinarySensorEntityDescription
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass

from .display_hints import FieldDisplay, display_for_field, display_for_record
from .ha_compat import BinarySensorDeviceClass
from .protocol.meters import (
    TRANSPORT_STATUS,
    FieldSpec,
    MeterProfile,
    medium_name,
    record_key,
)
from .protocol.meters.profile import unit_factor
from .protocol.records import RecordHeader, record_json

if TYPE_CHECKING:
    from .protocol.decoder import Reading

type FieldValue = int | float


# OmniPower's values keep the sensors (and entity ids) they had before fields followed the
# meter: value key -> sensor key. Any meter carrying one of these values gets that sensor.
FIXED_VALUE_KEYS: Final[Mapping[str, str]] = {
    "total_energy_consumption_kwh": "energy_imported",
    "total_energy_production_kwh": "energy_exported",
    "current_power_consumption_w": "power_imported",
    "current_power_production_w": "power_exported",
}

# Quantities named in strings.json (entity.sensor.<name key>); a field of another quantity is
# named after its key.
NAMED_QUANTITIES: Final = frozenset(
    {
        "energy",
        "volume",
        "mass",
        "hca_units",
        "power",
        "volume_flow",
        "mass_flow",
        "flow_temperature",
        "return_temperature",
        "temperature_difference",
        "external_temperature",
        "pressure",
        "voltage",
        "current",
        "frequency",
        "humidity",
        "on_time",
        "operating_time",
        "averaging_duration",
        "actuality_duration",
    }
)
# Quantities whose backward flow (VIFE 3C) or forward flow (VIFE 3B) is a quantity of its own
# for the user: energy delivered back, volume flowing backwards, a meter sending both its
# forward and its net volume.
BACKWARD_QUANTITIES: Final = frozenset({"energy", "volume", "volume_flow", "power"})
VIFE_BACKWARD_FLOW: Final = 0x3C
VIFE_FORWARD_FLOW: Final = 0x3B
DIRECTIONS: Final = ("backward", "forward")
# Phase L1 to L3 of an electricity meter (VIFE 7C 01..03, kept as 0x7C00 | the next byte).
PHASE_VIFE_BASE: Final = 0x7C00
PHASE_VIFES: Final = frozenset({0x7C01, 0x7C02, 0x7C03})
PHASE_QUANTITIES: Final = frozenset(
    {"voltage", "current", "power", "power_backward", "energy", "energy_backward"}
)
FUNCTION_PREFIXES: Final[Mapping[str, str]] = {
    "maximum": "max_",
    "minimum": "min_",
    "error_state": "at_error_",
}
VOLUME_CLASSES: Final = frozenset({"volume", "water", "gas"})
# Units too small to read at a meter's scale: shown converted (Home Assistant converts).
SUGGESTED_UNITS: Final[Mapping[str, str]] = {"Wh": "kWh", "J": "kWh", "kJ": "kWh"}
GENERIC_PROFILE: Final = "generic"
DEVICE_TYPE_ELECTRICITY: Final = 0x02
DIF_CODING_REAL: Final = 0x05
"""32-bit real: the meter's resolution is not in its VIF (EN 13757-3 table 4)."""
MAX_DISPLAY_PRECISION: Final = 6


@dataclass(frozen=True, slots=True)
class MeterField:
    """One value of a meter as Home Assistant shows it; stored as JSON between restarts."""

    key: str
    """Unique within the meter: the profile's value key or the record key."""
    source: str
    """"value" (a profile's named value) or "record" (a record of a meter without profile)."""
    name_key: str
    """Translation key of the entity name."""
    storage: int
    tariff: int
    phase: int
    """1 to 3 for a value of one phase of an electricity meter, else 0."""
    device_class: str | None
    state_class: str | None
    unit: str | None
    enabled_by_default: bool
    kind: str
    subunit: int = 0
    """The record's subunit; named as a number unless the profile declares what it is."""
    precision: int | None = None
    """Decimals the meter sends in ``unit`` (from its VIF); None: not known (a real number)."""

    def as_json(self) -> dict[str, Any]:
        """For the Store."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MeterField:
        """From the Store; raises KeyError/TypeError for a damaged entry."""
        return cls(
            key=str(data["key"]),
            source=str(data["source"]),
            name_key=str(data["name_key"]),
            storage=int(data["storage"]),
            tariff=int(data["tariff"]),
            phase=int(data.get("phase", 0)),
            device_class=data["device_class"],
            state_class=data["state_class"],
            unit=data["unit"],
            enabled_by_default=bool(data["enabled_by_default"]),
            kind=str(data["kind"]),
            subunit=int(data.get("subunit", 0)),
            precision=None if data.get("precision") is None else int(data["precision"]),
        )

    @property
    def placeholders(self) -> dict[str, str]:
        """Numbers in the entity name (translation placeholders)."""
        return {
            "storage": str(self.storage),
            "tariff": str(self.tariff),
            "phase": str(self.phase),
            "subunit": str(self.subunit),
        }

    def sensor_hints(self) -> dict[str, Any]:
        """Keyword arguments of a sensor description.

        The one place where the protocol's plain-string hints become Home Assistant's enums.
        """
        return {
            "key": self.key,
            "translation_key": self.name_key,
            "translation_placeholders": self.placeholders,
            "device_class": _member(SensorDeviceClass, self.device_class),
            "state_class": _member(SensorStateClass, self.state_class),
            "native_unit_of_measurement": self.unit,
            "suggested_unit_of_measurement": SUGGESTED_UNITS.get(self.unit or ""),
            # In the native unit; Home Assistant adds the decimals a suggested unit needs.
            "suggested_display_precision": self.precision,
            "entity_registry_enabled_default": self.enabled_by_default,
        }

    def binary_sensor_description(self) -> BinarySensorEntityDescription:
        """A problem flag: on while the meter reports the condition."""
        return BinarySensorEntityDescription(
            key=self.key,
            translation_key=self.name_key,
            translation_placeholders=self.placeholders,
            device_class=BinarySensorDeviceClass.PROBLEM,
            entity_registry_enabled_default=self.enabled_by_default,
        )


def _member[E: StrEnum](enum: type[E], value: str | None) -> E | None:
    """Home Assistant's enum member for a hint; a hint this Home Assistant lacks shows none."""
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class NameParts:
    """What sets a field's name apart: the parts its translation key is made of."""

    quantity: str
    function: str
    """"instantaneous", "maximum", "minimum" or "error_state" (DIF function)."""
    direction: str | None
    """"backward" (VIFE 3C) or "forward" (VIFE 3B) for the quantities that flow."""
    role: str | None
    """What the profile says the value measures (``FieldSpec.role``: cooling, reactive)."""
    tariff: bool
    subunit: bool
    """A subunit number in the name: the profile declares no role that says what it is."""
    storage: bool
    phase: bool

    @property
    def key(self) -> str:
        """``[max_|min_|at_error_]quantity[_direction][_role][_tariff][_subunit][_stored]``.

        Or ``quantity[_direction]_phase`` for a plain value of one phase. The translation key
        in strings.json (``tools/entity_names.py`` writes the names of every such key).
        """
        base = self.quantity
        if self.direction:
            base += f"_{self.direction}"
        if self.role:
            base += f"_{self.role}"
        if self.phase:
            return f"{base}_phase"
        key = FUNCTION_PREFIXES.get(self.function, "") + base
        if self.tariff:
            key += "_tariff"
        if self.subunit:
            key += "_subunit"
        if self.storage:
            key += "_stored"
        return key


def name_parts(
    quantity: str,
    *,
    storage: int,
    tariff: int,
    function: str,
    direction: str | None = None,
    phase: int = 0,
    subunit: int = 0,
    role: str | None = None,
) -> NameParts:
    """The parts of a named quantity's field name (see :func:`name_key`)."""
    if direction not in DIRECTIONS or quantity not in BACKWARD_QUANTITIES:
        direction = None
    if function not in FUNCTION_PREFIXES:
        function = "instantaneous"
    with_subunit = bool(subunit) and not role  # a role says what the subunit is
    plain = not (function != "instantaneous" or tariff or storage or with_subunit or role)
    return NameParts(
        quantity=quantity,
        function=function,
        direction=direction,
        role=role or None,
        tariff=bool(tariff),
        subunit=with_subunit,
        storage=bool(storage),
        phase=bool(phase) and plain and quantity in PHASE_QUANTITIES,
    )


def name_key(
    quantity: str | None,
    *,
    storage: int,
    tariff: int,
    function: str,
    kind: str,
    direction: str | None = None,
    phase: int = 0,
    subunit: int = 0,
    role: str | None = None,
) -> str:
    """Translation key of a field's name from everything that sets it apart (strings.json).

    Two values of one meter differ in at least one of: quantity, function (maximum, value
    during an error), direction of flow, what the profile declares it measures (``role``:
    cooling, reactive), tariff, subunit, storage number or phase; each is in the name, so no
    two sensors of a meter read alike. Numbers are placeholders; the words are translated.
    """
    if kind == "problem":
        # A meter can send both: its own error flags and the transport header's status bits.
        return "status_errors" if quantity == TRANSPORT_STATUS else "error_flags"
    if quantity is None or quantity not in NAMED_QUANTITIES:
        return "other_value"
    return name_parts(
        quantity,
        storage=storage,
        tariff=tariff,
        function=function,
        direction=direction,
        phase=phase,
        subunit=subunit,
        role=role,
    ).key


def flow_direction(vifes: frozenset[int] | tuple[int, ...]) -> str | None:
    """The flow a value was counted in: "backward" (VIFE 3C), "forward" (VIFE 3B) or None."""
    if VIFE_BACKWARD_FLOW in vifes:
        return "backward"
    if VIFE_FORWARD_FLOW in vifes:
        return "forward"
    return None


def display_precision(resolution: Fraction | None) -> int | None:
    """Decimals that show every step of a value of this resolution (0.001 m³: 3).

    The resolution is the meter's, from its VIF (a litre-resolution water meter sends
    m³ with three decimals); a fixed number per quantity would cut a litre meter's litres
    or pad a cubic-metre meter with zeros that mean nothing.
    """
    if resolution is None or resolution <= 0:
        return None
    for decimals in range(MAX_DISPLAY_PRECISION + 1):
        if (resolution * 10**decimals).denominator == 1:
            return decimals
    return MAX_DISPLAY_PRECISION  # a step such as 1/3600 (J in Wh) is never a whole number


def record_precision(header: RecordHeader, unit: str) -> int | None:
    """Decimals of a record's value in ``unit`` (protocol units); None for a real number."""
    return _precision(header.coding, header.quantity, header.unit, header.exponent, unit)


@cache
def _precision(
    coding: int, quantity: str | None, record_unit: str, exponent: int, unit: str
) -> int | None:
    """Cached: a meter without a profile names its fields again with every telegram."""
    if coding == DIF_CODING_REAL:
        return None
    factor = unit_factor(quantity, record_unit, unit)
    if factor is None:
        return None
    return display_precision(factor * Fraction(10) ** exponent)


def _is_number(value: object) -> TypeIs[FieldValue]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _field(
    key: str,
    source: str,
    display: FieldDisplay,
    *,
    quantity: str | None,
    storage: int,
    tariff: int,
    function: str,
    vifes: frozenset[int] | tuple[int, ...],
    medium: str | None,
    subunit: int = 0,
    role: str | None = None,
    precision: int | None = None,
) -> MeterField:
    phase = next((vife - PHASE_VIFE_BASE for vife in vifes if vife in PHASE_VIFES), 0)
    device_class = display.device_class
    if device_class in VOLUME_CLASSES and medium is not None:
        # The meter's device type says what flows: a gas meter's volume is "gas" for the
        # Energy dashboard even where its profile (shared with water meters) says "water".
        device_class = medium
    return MeterField(
        key=key,
        source=source,
        name_key=name_key(
            quantity,
            storage=storage,
            tariff=tariff,
            function=function,
            direction=flow_direction(vifes),
            kind=display.kind,
            phase=phase,
            subunit=subunit,
            role=role,
        ),
        storage=storage,
        tariff=tariff,
        phase=phase,
        device_class=device_class,
        state_class=display.state_class,
        unit=display.unit,
        enabled_by_default=display.enabled_by_default,
        kind=display.kind,
        subunit=subunit,
        precision=precision,
    )


_DECLARED_FIELDS: dict[tuple[str, str | None], Mapping[str, MeterField]] = {}
"""``_profile_fields`` by profile name and medium (profiles are data, worked out once)."""


def _profile_fields(profile: MeterProfile, medium: str | None) -> Mapping[str, MeterField]:
    """The fields a profile declares with display hints, by value key (cached)."""
    key = (profile.name, medium)
    fields = _DECLARED_FIELDS.get(key)
    if fields is None:
        fields = _DECLARED_FIELDS[key] = _declared_fields(profile, medium)
    return fields


def _declared_fields(profile: MeterProfile, medium: str | None) -> Mapping[str, MeterField]:
    """The fields a profile declares with display hints, by value key.

    A field reading the same record as an earlier one (same quantity, direction, function,
    tariff, subunit and storage) always carries that field's value: it is the same reading
    under another name, so it gets no sensor of its own (two sensors showing one number,
    named alike, was all a user could see of it).
    """
    fields: dict[str, MeterField] = {}
    records_read: set[tuple[object, ...]] = set()
    for spec in profile.fields:
        display = display_for_field(spec)
        if display is None:
            continue
        record = _record_coordinates(spec)
        if record in records_read:
            continue
        records_read.add(record)
        fields[spec.key] = _field(
            spec.key,
            "value",
            display,
            quantity=spec.quantity,
            storage=spec.storage,
            tariff=spec.tariff,
            function=spec.function.name.lower(),
            vifes=spec.vifes,
            medium=medium,
            subunit=spec.subunit,
            role=spec.role,
        )
    return fields


def _record_coordinates(spec: FieldSpec) -> tuple[object, ...]:
    """What picks a field's record (``FieldSpec.matches``), the unit aside."""
    return (
        spec.quantity,
        spec.vifes,
        spec.storage,
        spec.tariff,
        spec.subunit,
        spec.function,
    )


def with_precision(meter_field: MeterField, reading: Reading) -> MeterField:
    """A profile field with the decimals its record has in this meter's telegrams.

    Looked up once, when the field is new (the record is matched as the decoder matches
    it); a record field has its precision already.
    """
    if meter_field.source != "value":
        return meter_field
    spec = next((s for s in reading.meter_profile.fields if s.key == meter_field.key), None)
    if spec is None:
        return meter_field
    header = next((r.header for r in reading.records if spec.matches(r.header)), None)
    if header is None:
        return meter_field
    return replace(meter_field, precision=record_precision(header, spec.unit))


def _display_medium(device_type: int) -> str | None:
    """The medium that decides a volume's device class (HA's "water" or "gas")."""
    name = medium_name(device_type)
    if "water" in name:
        return "water"
    return "gas" if name == "gas" else None


def speaks_by_records(reading: Reading) -> bool:
    """Whether the reading's fields are its records (a meter without profile) or its values."""
    return reading.profile == GENERIC_PROFILE and bool(reading.records)


def fixed_value_keys(reading: Reading, shown: Mapping[str, object]) -> list[str]:
    """The values of the reading that get the fixed energy and power sensors.

    An electricity meter's; another meter's (a heat meter's energy is not "imported") only
    where no display hints describe the value, which is how every meter was shown before.
    """
    if speaks_by_records(reading):
        return []  # its energy and power are record fields
    values = reading.values
    electricity = reading.device_type == DEVICE_TYPE_ELECTRICITY
    return [
        key
        for key in FIXED_VALUE_KEYS
        if values.get(key) is not None and (electricity or key not in shown)
    ]


def reading_fields(reading: Reading) -> dict[str, tuple[MeterField, FieldValue]]:
    """Every value of a reading that Home Assistant shows, with its field, by key."""
    shown: dict[str, tuple[MeterField, FieldValue]] = {}
    medium = _display_medium(reading.device_type)
    if not speaks_by_records(reading):
        declared = _profile_fields(reading.meter_profile, medium)
        for key, value in reading.values.items():
            meter_field = declared.get(key)
            if meter_field is not None and _is_number(value):
                shown[key] = (meter_field, value)
        return shown
    # A meter without a profile: every standard record speaks for itself.
    for record in reading.records:
        display = display_for_record(record, medium)
        if display is None:
            continue
        record_value = record_json(record)["value"]
        if not _is_number(record_value):
            continue
        key = record_key(record)
        if key in shown:
            continue  # the first record of a key wins, as for a profile's fields
        header = record.header
        shown[key] = (
            _field(
                key,
                "record",
                display,
                quantity=header.quantity,
                storage=header.storage,
                tariff=header.tariff,
                function=header.function.name.lower(),
                vifes=tuple(header.vifes),
                medium=medium,
                subunit=header.subunit,
                precision=record_precision(header, header.unit),
            ),
            record_value,
        )
    return shown
