"""Manufacturer byte layouts as declarations: offsets, sizes, codings, scales.

Some meters put their values in a manufacturer format instead of DIF/VIF records (Techem
CI A0-A3, Apator CI A0, BFW after ``2F 2F``, DIF 0F data). A :class:`ByteLayout` lists
where each value sits; decoding it yields ordinary records (synthetic headers: no DIF/VIF
bytes, but quantity, unit, exponent and storage like any other record), so the CLI, the
checker and Home Assistant see them the same way. A field that does not fit in the payload
is left out, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from ..frame import manufacturer_id_from_code
from ..records import Function, Record, RecordHeader, decode_bcd
from .profile import CURRENT_ALARMS, AddressFacts, ManufacturerFrame


def synthetic_header(
    quantity: str,
    unit: str,
    *,
    exponent: int = 0,
    storage: int = 0,
    tariff: int = 0,
    subunit: int = 0,
    function: Function = Function.INSTANTANEOUS,
    vifes: tuple[int, ...] = (),
) -> RecordHeader:
    """Header of a record read from a manufacturer layout (``raw`` is empty: no DIF/VIF).

    ``vifes`` carries a combinable refinement such as backward flow (0x3C).
    """
    header = RecordHeader.synthetic(
        quantity,
        unit,
        exponent=exponent,
        storage=storage,
        tariff=tariff,
        subunit=subunit,
        function=function,
    )
    return replace(header, vifes=vifes) if vifes else header


class Coding(Enum):
    """How a manufacturer field's bytes make a number."""

    UINT_LE = "uint_le"
    UINT_BE = "uint_be"
    INT_LE = "int_le"
    BCD_LE = "bcd_le"


def read_number(data: bytes, coding: Coding) -> int | None:
    """The number ``data`` holds in ``coding`` (None: BCD with non-decimal digits)."""
    if coding is Coding.UINT_LE:
        return int.from_bytes(data, "little")
    if coding is Coding.UINT_BE:
        return int.from_bytes(data, "big")
    if coding is Coding.INT_LE:
        return int.from_bytes(data, "little", signed=True)
    return decode_bcd(data)


@dataclass(frozen=True, slots=True)
class ByteField:
    """One value at a fixed place: value in ``unit`` = number / divisor x 10**exponent."""

    offset: int
    size: int
    quantity: str
    unit: str
    exponent: int = 0
    coding: Coding = Coding.UINT_LE
    divisor: int = 1
    """For scales that are not powers of ten (Apator: litres / 3, Techem: 1/256 degrees)."""
    storage: int = 0
    tariff: int = 0
    subunit: int = 0
    function: Function = Function.INSTANTANEOUS
    no_value: int | None = None
    """A number the meter sends for "not available" (e.g. 0x8000 as signed -32768)."""
    header: RecordHeader = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "header",
            synthetic_header(
                self.quantity,
                self.unit,
                exponent=self.exponent,
                storage=self.storage,
                tariff=self.tariff,
                subunit=self.subunit,
                function=self.function,
            ),
        )

    def read(self, payload: bytes, base: int = 0) -> Record | None:
        """The record at ``base + offset``, or None if the payload ends before it."""
        start = base + self.offset
        end = start + self.size
        if start < 0 or end > len(payload):
            return None
        data = bytes(payload[start:end])
        number = read_number(data, self.coding)
        if number is None or number == self.no_value:
            return None
        value: int | float = number if self.divisor == 1 else number / self.divisor
        return Record(self.header, data, value)


def record(
    value: int | float,
    data: bytes,
    quantity: str,
    unit: str,
    *,
    exponent: int = 0,
    storage: int = 0,
    vifes: tuple[int, ...] = (),
) -> Record:
    """A synthetic record for a value a layout had to compute (packed nibbles, sums)."""
    header = synthetic_header(quantity, unit, exponent=exponent, storage=storage, vifes=vifes)
    return Record(header, data, value)


@dataclass(frozen=True, slots=True)
class ByteLayout:
    """Fixed-offset fields, after ``skip`` bytes (and any leading 2F fillers if asked).

    ``variants`` pick the field list by the byte at ``variant_offset`` (Techem FHKV:
    0x11 and 0x0F frames differ by one byte); ``fields`` is used when none matches.
    """

    fields: tuple[ByteField, ...] = ()
    skip: int = 0
    skip_fillers: bool = False
    variant_offset: int = 0
    variants: Mapping[int, tuple[ByteField, ...]] = field(default_factory=dict)

    def __call__(self, frame: ManufacturerFrame) -> tuple[Record, ...]:
        """Records of every field that fits in the payload."""
        payload = frame.payload
        base = 0
        if self.skip_fillers:
            while base < len(payload) and payload[base] == 0x2F:
                base += 1
        base += self.skip
        fields = self.fields
        if self.variants:
            position = base + self.variant_offset
            if position >= len(payload):
                return ()
            fields = self.variants.get(payload[position], self.fields)
        records = []
        for spec in fields:
            read = spec.read(payload, base)
            if read is not None:
                records.append(read)
        return tuple(records)


@dataclass(frozen=True, slots=True)
class RegisterLayout:
    """Tagged registers: a one-byte register id, then that register's fixed number of bytes.

    Apator 16-2 sends its values this way inside a mode-5 APL. Registers are walked in
    order; the walk stops at the first unknown id or padding (0xFF), so an unknown register
    costs the ones after it, never a misread value. ``values`` maps register ids to the
    field read from the register's bytes (offset relative to the first byte after the id).
    """

    sizes: Mapping[int, int]
    values: Mapping[int, ByteField]
    skip: int = 0
    skip_fillers: bool = True

    def __call__(self, frame: ManufacturerFrame) -> tuple[Record, ...]:
        """Records of the declared registers, up to the first unknown one."""
        payload = frame.payload
        position = 0
        if self.skip_fillers:
            while position < len(payload) and payload[position] == 0x2F:
                position += 1
        position += self.skip
        records = []
        while position < len(payload):
            register = payload[position]
            size = self.sizes.get(register)
            if size is None or position + 1 + size > len(payload):
                break
            spec = self.values.get(register)
            if spec is not None:
                read = spec.read(payload[position + 1 : position + 1 + size])
                if read is not None:
                    records.append(read)
            position += 1 + size
        return tuple(records)


@dataclass(frozen=True, slots=True)
class PeriodSumLayout:
    """A meter that sends the register at its last billing date and the use since then.

    Techem's radio formats do: the current register is their sum. Yields the total
    (storage 0) and the billing-date value (storage 1), both in ``previous``'s unit.
    """

    previous: ByteField
    since: ByteField

    def __call__(self, frame: ManufacturerFrame) -> tuple[Record, ...]:
        """The total and the billing-date value; nothing if either is missing."""
        previous = self.previous.read(frame.payload)
        since = self.since.read(frame.payload)
        if previous is None or since is None:
            return ()
        assert isinstance(previous.value, int | float)
        assert isinstance(since.value, int | float)
        header = self.previous.header
        total = record(
            previous.value + since.value,
            previous.data + since.data,
            self.previous.quantity,
            self.previous.unit,
            exponent=header.exponent,
        )
        return (total, previous)


def techem_period_volumes(previous_offset: int, current_offset: int) -> PeriodSumLayout:
    """Techem water: 16-bit LE volumes in 0.1 m3 at these offsets after the CI."""
    return PeriodSumLayout(
        ByteField(previous_offset, 2, "volume", "m3", exponent=-1, storage=1),
        ByteField(current_offset, 2, "volume", "m3", exponent=-1),
    )


def techem_period_energy(
    *, size: int, current_offset: int, unit: str, exponent: int
) -> PeriodSumLayout:
    """Techem heat: ``size``-byte LE energies at offset 3 and ``current_offset`` after the CI."""
    return PeriodSumLayout(
        ByteField(3, size, "energy", unit, exponent=exponent, storage=1),
        ByteField(current_offset, size, "energy", unit, exponent=exponent),
    )


@dataclass(frozen=True, slots=True)
class AlarmBits:
    """A manufacturer record whose data holds the meter's alarm bits (Kamstrup info codes).

    Read as an ``error_flags`` record, so it is shown as a problem like the standard
    ``FD 17`` error flags. ``mask``
    keeps the bits that are alarms now: Multical 21 packs "how long it was dry" codes
    beside the alarms, and those stay set after the alarm has cleared.
    """

    size: int
    mask: int | None = None
    quantity: str = "error_flags"
    """``current_alarms`` when the bits come from a standard ``FD 17`` record, which stays
    in the reading as it was sent (a field then reads the masked copy)."""

    def __call__(self, frame: ManufacturerFrame) -> tuple[Record, ...]:
        """The alarm bits, or nothing if the record is shorter than declared."""
        data = bytes(frame.payload[: self.size])
        if len(data) < self.size:
            return ()
        bits = int.from_bytes(data, "little")
        if self.mask is not None:
            bits &= self.mask
        return (record(bits, data, self.quantity, ""),)


def error_flags(size: int, mask: int | None = None) -> AlarmBits:
    """Alarm bits of a ``size``-byte little-endian manufacturer record (all bits, or ``mask``)."""
    return AlarmBits(size, mask)


def current_alarms(size: int, mask: int) -> AlarmBits:
    """The bits of a ``size``-byte error-flags record that are alarms now (``mask``)."""
    return AlarmBits(size, mask, CURRENT_ALARMS)


def wire_address(address: AddressFacts) -> bytes:
    """The 8 link-layer address bytes (M, id, version, type) as they were on air.

    Layouts that fold the address into a key or an IV need them; a manufacturer code
    sent with bit 15 set (Apator's national flag) cannot be restored from the letters.
    """
    manufacturer = manufacturer_id_from_code(address.manufacturer)
    return (
        manufacturer.to_bytes(2, "little")
        + bytes.fromhex(address.meter_id)[::-1]
        + bytes((address.version, address.device_type))
    )
