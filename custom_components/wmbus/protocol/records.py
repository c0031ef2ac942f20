"""EN 13757-3 data records (DIF/VIF) and compact-frame formats (PROTOCOL.md 4.3 and 5).

Two levels:

* a general parser (:func:`parse_records`) that understands any record sequence once;
* a :class:`Layout` compiled from a record format (the DIF/DIFE/VIF/VIFE bytes without
  data) into one precompiled ``struct.Struct``, so every later telegram with that format
  (every compact frame, and every long frame whose headers match) decodes with a single
  ``unpack``.

Compact frames carry only a format signature (CRC-16/EN-13757 of the format bytes); the
:class:`FormatRegistry` maps (manufacturer, device type, signature) to a layout learned
from long frames or declared by a meter profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum
import struct
from typing import Final

from .crypto import crc16_en13757
from .errors import MalformedRecords

type RecordValue = int | float | str | bytes | None
"""A record's raw value: int (integer/BCD), float (real), str (text), bytes (other)."""


class Function(IntEnum):
    """DIF bits 4-5: what the value is."""

    INSTANTANEOUS = 0
    MAXIMUM = 1
    MINIMUM = 2
    ERROR_STATE = 3


# Special DIFs (EN 13757-3, PROTOCOL.md 5.1).
DIF_MANUFACTURER_DATA: Final = 0x0F
DIF_MANUFACTURER_DATA_MORE: Final = 0x1F
DIF_IDLE_FILLER: Final = 0x2F
DIF_GLOBAL_READOUT: Final = 0x7F

MAX_DIFE: Final = 10
MAX_VIFE: Final = 10
"""EN 13757-3 allows at most 10 extensions; more means garbage, not a record."""

# Data field coding -> size in bytes (None: variable, LVAR first).
_DATA_SIZES: Final[dict[int, int | None]] = {
    0x0: 0,
    0x1: 1,
    0x2: 2,
    0x3: 3,
    0x4: 4,
    0x5: 4,
    0x6: 6,
    0x7: 8,
    0x8: 0,
    0x9: 1,
    0xA: 2,
    0xB: 3,
    0xC: 4,
    0xD: None,
    0xE: 6,
}
_BCD_CODINGS: Final = frozenset({0x9, 0xA, 0xB, 0xC, 0xE})
CODING_REAL: Final = 0x5
CODING_VARIABLE: Final = 0xD

# VIFE codes (extension bit stripped) that refine a quantity without changing its unit.
VIFE_FORWARD_FLOW: Final = 0x3B
VIFE_BACKWARD_FLOW: Final = 0x3C
VIFE_ABSOLUTE: Final = 0x3D
VIFE_COMBINABLE_EXTENSION: Final = 0x7C
"""Followed by one more byte (e.g. phase L1 = 7C 01); stored as 0x7C00 | next byte."""
VIFE_MANUFACTURER: Final = 0x7F
KNOWN_VIFES: Final = frozenset({VIFE_FORWARD_FLOW, VIFE_BACKWARD_FLOW, VIFE_ABSOLUTE})
"""Combinable VIFEs a profile may match on; any other VIFE leaves the record unmapped."""
PHASE_VIFES: Final = frozenset({0x7C01, 0x7C02, 0x7C03})

# Extension-table VIFs are stored as 0xFB00 | code and 0xFD00 | code.
VIF_TABLE_FB: Final = 0xFB
VIF_TABLE_FD: Final = 0xFD
VIF_PLAIN_TEXT: Final = 0x7C
VIF_MANUFACTURER: Final = 0x7F
VIF_ANY: Final = 0x7E


@dataclass(frozen=True, slots=True)
class Meaning:
    """What a VIF stands for: value in ``unit`` = raw value x 10**exponent."""

    quantity: str
    unit: str
    exponent: int


def _primary_table() -> dict[int, Meaning]:
    """Primary VIF table (EN 13757-3 table 10, the parts meters actually send)."""
    table: dict[int, Meaning] = {}
    for n in range(8):
        table[0x00 + n] = Meaning("energy", "Wh", n - 3)
        table[0x08 + n] = Meaning("energy", "J", n)
        table[0x10 + n] = Meaning("volume", "m3", n - 6)
        table[0x18 + n] = Meaning("mass", "kg", n - 3)
        table[0x28 + n] = Meaning("power", "W", n - 3)
        table[0x30 + n] = Meaning("power", "J/h", n)
        table[0x38 + n] = Meaning("volume_flow", "m3/h", n - 6)
        table[0x40 + n] = Meaning("volume_flow", "m3/min", n - 7)
        table[0x48 + n] = Meaning("volume_flow", "m3/s", n - 9)
        table[0x50 + n] = Meaning("mass_flow", "kg/h", n - 3)
    time_units = ("s", "min", "h", "d")
    for n in range(4):
        table[0x20 + n] = Meaning("on_time", time_units[n], 0)
        table[0x24 + n] = Meaning("operating_time", time_units[n], 0)
        table[0x58 + n] = Meaning("flow_temperature", "C", n - 3)
        table[0x5C + n] = Meaning("return_temperature", "C", n - 3)
        table[0x60 + n] = Meaning("temperature_difference", "K", n - 3)
        table[0x64 + n] = Meaning("external_temperature", "C", n - 3)
        table[0x68 + n] = Meaning("pressure", "bar", n - 3)
        table[0x74 + n] = Meaning("actuality_duration", time_units[n], 0)
        table[0x70 + n] = Meaning("averaging_duration", time_units[n], 0)
    table[0x6C] = Meaning("date", "date", 0)
    table[0x6D] = Meaning("datetime", "datetime", 0)
    table[0x6E] = Meaning("hca_units", "", 0)
    table[0x78] = Meaning("fabrication_number", "", 0)
    table[0x79] = Meaning("enhanced_id", "", 0)
    table[0x7A] = Meaning("bus_address", "", 0)
    return table


def _extension_table() -> dict[int, Meaning]:
    """Return the common codes of the FB and FD extension tables (EN 13757-3 tables 12 and 14)."""
    table: dict[int, Meaning] = {
        0xFB00: Meaning("energy", "Wh", 5),  # 0.1 MWh
        0xFB01: Meaning("energy", "Wh", 6),  # 1 MWh
        0xFB08: Meaning("energy", "J", 8),  # 0.1 GJ
        0xFB09: Meaning("energy", "J", 9),  # 1 GJ
        0xFB10: Meaning("volume", "m3", 2),
        0xFB11: Meaning("volume", "m3", 3),
        0xFB18: Meaning("mass", "kg", 5),
        0xFB19: Meaning("mass", "kg", 6),
        0xFB28: Meaning("power", "W", 5),  # 0.1 MW
        0xFB29: Meaning("power", "W", 6),
        0xFD0E: Meaning("firmware_version", "", 0),
        0xFD0F: Meaning("software_version", "", 0),
        0xFD17: Meaning("error_flags", "", 0),
        0xFD3A: Meaning("dimensionless", "", 0),
        0xFD74: Meaning("remaining_battery_life", "d", 0),
    }
    for n in range(4):
        table[0xFB58 + n] = Meaning("flow_temperature", "F", n - 3)
        table[0xFB5C + n] = Meaning("return_temperature", "F", n - 3)
        table[0xFB74 + n] = Meaning("cold_warm_temperature_limit", "C", n - 3)
    for n in range(16):
        table[0xFD40 + n] = Meaning("voltage", "V", n - 9)
        table[0xFD50 + n] = Meaning("current", "A", n - 12)
    return table


_PRIMARY: Final = _primary_table()
_EXTENSION: Final = _extension_table()
SIGNED_QUANTITIES: Final = frozenset(
    {
        "power",
        "volume_flow",
        "mass_flow",
        "flow_temperature",
        "return_temperature",
        "temperature_difference",
        "external_temperature",
        "current",
    }
)
"""Quantities that can be negative; counters (energy, volume, ...) are read unsigned."""


@dataclass(frozen=True, slots=True)
class RecordHeader:
    """The DIF/DIFE/VIF/VIFE part of one record, decoded.

    ``quantity`` is None when the VIF is unknown, manufacturer specific, or refined by a
    VIFE this parser does not understand: such a record must never be mapped to a
    known quantity (PROTOCOL.md 5.3).
    """

    raw: bytes
    dif: int
    coding: int
    size: int | None
    function: Function
    storage: int
    tariff: int
    subunit: int
    vif: int
    vifes: tuple[int, ...]
    quantity: str | None
    unit: str
    exponent: int

    @property
    def signed(self) -> bool:
        """Whether integer data is two's complement (else read as an unsigned counter)."""
        return self.quantity in SIGNED_QUANTITIES


@dataclass(frozen=True, slots=True)
class Record:
    """One data record: header, raw data bytes and the unscaled value."""

    header: RecordHeader
    data: bytes
    value: RecordValue

    @property
    def scaled(self) -> int | float | None:
        """Value in the header's unit (raw x 10**exponent), None if not numeric."""
        value = self.value
        if not isinstance(value, int | float):
            return None
        exponent = self.header.exponent
        scaled: int | float = value * 10**exponent if exponent >= 0 else value / 10**-exponent
        return scaled


_header_cache: dict[bytes, RecordHeader] = {}
_HEADER_CACHE_MAX: Final = 4096


def parse_header(buffer: bytes, position: int) -> tuple[RecordHeader, int]:
    """Parse the record header at ``position``; return it and the offset of its data.

    Raises MalformedRecords for reserved DIFs, too many extensions, or a header that
    runs past the end. Special DIFs (fillers, manufacturer data) are handled by the
    caller and must not be passed here.
    """
    end = len(buffer)
    start = position
    dif = buffer[position]
    position += 1
    coding = dif & 0x0F
    if coding == 0x0F:
        raise MalformedRecords(f"reserved special DIF 0x{dif:02x}")
    storage = (dif >> 6) & 1
    tariff = 0
    subunit = 0
    extension = dif & 0x80
    count = 0
    while extension:
        if position >= end:
            raise MalformedRecords("record header ends inside its DIFEs")
        if count == MAX_DIFE:
            raise MalformedRecords("more than 10 DIFEs")
        dife = buffer[position]
        position += 1
        storage |= (dife & 0x0F) << (1 + 4 * count)
        tariff |= ((dife >> 4) & 0x03) << (2 * count)
        subunit |= ((dife >> 6) & 0x01) << count
        count += 1
        extension = dife & 0x80
    if position >= end:
        raise MalformedRecords("record header ends before its VIF")
    vif_byte = buffer[position]
    position += 1
    code = vif_byte & 0x7F
    meaning: Meaning | None
    extension = vif_byte & 0x80
    if vif_byte in (VIF_TABLE_FB, VIF_TABLE_FD):
        if position >= end:
            raise MalformedRecords("record header ends inside an extension-table VIF")
        real = buffer[position]
        position += 1
        code = (vif_byte << 8) | (real & 0x7F)
        extension = real & 0x80
        meaning = _EXTENSION.get(code)
    elif code == VIF_PLAIN_TEXT:
        # Plain-text unit: a length byte and that many ASCII characters follow the VIF.
        if position >= end or position + 1 + buffer[position] > end:
            raise MalformedRecords("plain-text VIF runs past the end")
        position += 1 + buffer[position]
        meaning = None
    else:
        meaning = _PRIMARY.get(code)
    vifes: list[int] = []
    understood = meaning is not None and code != VIF_MANUFACTURER
    while extension:
        if position >= end:
            raise MalformedRecords("record header ends inside its VIFEs")
        if len(vifes) == MAX_VIFE:
            raise MalformedRecords("more than 10 VIFEs")
        vife = buffer[position]
        position += 1
        extension = vife & 0x80
        vife &= 0x7F
        if vife == VIFE_COMBINABLE_EXTENSION:
            if position >= end:
                raise MalformedRecords("record header ends inside a combinable extension")
            follow = buffer[position]
            position += 1
            extension = follow & 0x80
            vife = (VIFE_COMBINABLE_EXTENSION << 8) | (follow & 0x7F)
            if vife not in PHASE_VIFES:
                understood = False
        elif vife not in KNOWN_VIFES:
            # Unknown or manufacturer-specific refinement: the quantity is no longer known.
            understood = False
        vifes.append(vife)
    raw = bytes(buffer[start:position])
    cached = _header_cache.get(raw)
    if cached is not None:
        return cached, position
    header = RecordHeader(
        raw=raw,
        dif=dif,
        coding=coding,
        size=_DATA_SIZES[coding],
        function=Function((dif >> 4) & 0x03),
        storage=storage,
        tariff=tariff,
        subunit=subunit,
        vif=code,
        vifes=tuple(vifes),
        quantity=meaning.quantity if understood and meaning is not None else None,
        unit=meaning.unit if meaning is not None else "",
        exponent=meaning.exponent if meaning is not None else 0,
    )
    if len(_header_cache) >= _HEADER_CACHE_MAX:
        _header_cache.clear()
    _header_cache[raw] = header
    return header, position


def decode_bcd(data: bytes) -> int | None:
    """Decode little-endian packed BCD; a top nibble F means negative (EN 13757-3 type A).

    Returns None when a nibble is not a decimal digit (meters use such values to say
    "not available"), so no invented number reaches a sensor.
    """
    digits = data[::-1].hex()
    negative = digits.startswith("f")
    if negative:
        digits = digits[1:]
    if not digits.isdigit():
        return None if digits else 0
    value = int(digits) if digits else 0
    return -value if negative else value


def _decode_variable(data: bytes, position: int) -> tuple[RecordValue, int, int]:
    """Decode LVAR data at ``position``: (value, first data byte offset, end offset)."""
    if position >= len(data):
        raise MalformedRecords("variable-length record without LVAR byte")
    lvar = data[position]
    start = position + 1
    if lvar <= 0xBF:
        end = start + lvar
        if end > len(data):
            raise MalformedRecords("variable-length text runs past the end")
        # Text is transmitted last character first.
        return data[start:end][::-1].decode("latin-1"), start, end
    if 0xC0 <= lvar <= 0xC9 or 0xD0 <= lvar <= 0xD9:
        end = start + (lvar & 0x0F)
        if end > len(data):
            raise MalformedRecords("variable-length BCD runs past the end")
        value = decode_bcd(data[start:end])
        if value is not None and lvar >= 0xD0:
            value = -value
        return value, start, end
    if 0xE0 <= lvar <= 0xEF:
        end = start + (lvar - 0xE0)
    elif 0xF0 <= lvar <= 0xF4:
        end = start + 4 * (lvar - 0xEC)
    elif lvar == 0xF5:
        end = start + 48
    elif lvar == 0xF6:
        end = start + 64
    else:
        raise MalformedRecords(f"reserved LVAR 0x{lvar:02x}")
    if end > len(data):
        raise MalformedRecords("variable-length binary runs past the end")
    return bytes(data[start:end]), start, end


def decode_value(header: RecordHeader, data: bytes) -> RecordValue:
    """Decode the fixed-size data bytes of a record."""
    coding = header.coding
    if not data:
        return None
    if coding == CODING_REAL:
        value: float = struct.unpack("<f", data)[0]
        return value
    if coding in _BCD_CODINGS:
        return decode_bcd(data)
    return int.from_bytes(data, "little", signed=header.signed)


@dataclass(frozen=True, slots=True)
class RecordSet:
    """Result of a general parse: the records, their format and trailing data."""

    records: tuple[Record, ...]
    format_bytes: bytes
    manufacturer_data: bytes

    @property
    def signature(self) -> int:
        """Format signature (PROTOCOL.md 4.3): CRC-16/EN-13757 of the format bytes."""
        return crc16_en13757(self.format_bytes)


def parse_records(payload: bytes) -> RecordSet:
    """Parse a full-frame record sequence (CI 78 data) of any shape.

    Idle fillers (2F) are skipped; 0F/1F start manufacturer data that runs to the end.
    """
    records: list[Record] = []
    position = 0
    end = len(payload)
    manufacturer_data = b""
    while position < end:
        dif = payload[position]
        if dif == DIF_IDLE_FILLER:
            position += 1
            continue
        if dif in (DIF_MANUFACTURER_DATA, DIF_MANUFACTURER_DATA_MORE):
            manufacturer_data = bytes(payload[position + 1 :])
            break
        if dif == DIF_GLOBAL_READOUT:
            position += 1
            continue
        header, position = parse_header(payload, position)
        size = header.size
        value: RecordValue
        if size is None:
            value, data_start, position = _decode_variable(payload, position)
            data = bytes(payload[data_start:position])
        else:
            if position + size > end:
                raise MalformedRecords(
                    f"record {header.raw.hex()} needs {size} data bytes, {end - position} left"
                )
            data = bytes(payload[position : position + size])
            position += size
            value = decode_value(header, data)
        records.append(Record(header, data, value))
    return RecordSet(
        records=tuple(records),
        format_bytes=b"".join(record.header.raw for record in records),
        manufacturer_data=manufacturer_data,
    )


def parse_format(format_bytes: bytes) -> tuple[RecordHeader, ...]:
    """Split compact-frame format bytes (headers without data) into record headers."""
    headers: list[RecordHeader] = []
    position = 0
    while position < len(format_bytes):
        header, position = parse_header(format_bytes, position)
        headers.append(header)
    return tuple(headers)


_INTEGER_CODES: Final = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _field_code(header: RecordHeader) -> tuple[str, Callable[[bytes], RecordValue] | None]:
    """Struct code for one record's data and the conversion struct cannot do itself."""
    size = header.size
    assert size is not None
    if size == 0:
        return "0s", _none
    if header.coding == CODING_REAL:
        return "f", None
    if header.coding in _BCD_CODINGS:
        return f"{size}s", decode_bcd
    code = _INTEGER_CODES.get(size)
    if code is not None:
        return (code.lower() if header.signed else code), None
    signed = header.signed
    return f"{size}s", lambda data: int.from_bytes(data, "little", signed=signed)


def _none(_data: bytes) -> None:
    return None


class Layout:
    """A record format compiled once into structs (PERFORMANCE: one unpack per telegram).

    ``long`` unpacks full-frame records as (header bytes, value) pairs, so a long frame
    is accepted by the fast path only if every header equals ``header_raws``; ``compact``
    unpacks the value-only data of a compact frame. Both are None when a record has
    variable length; :meth:`decode_compact` then falls back to a sequential parse.
    """

    __slots__ = (
        "compact",
        "compact_raw",
        "converters",
        "data_size",
        "format_bytes",
        "header_raws",
        "headers",
        "long",
        "long_size",
        "signature",
    )

    def __init__(self, format_bytes: bytes) -> None:
        self.format_bytes = bytes(format_bytes)
        self.signature = crc16_en13757(self.format_bytes)
        self.headers = parse_format(self.format_bytes)
        self.header_raws = tuple(header.raw for header in self.headers)
        fixed = all(header.size is not None for header in self.headers)
        self.long: struct.Struct | None = None
        self.compact: struct.Struct | None = None
        self.compact_raw: struct.Struct | None = None
        self.converters: tuple[tuple[int, Callable[[bytes], RecordValue]], ...] = ()
        self.data_size: int | None = None
        self.long_size = -1
        if fixed:
            codes = [_field_code(header) for header in self.headers]
            self.converters = tuple(
                (index, convert) for index, (_, convert) in enumerate(codes) if convert
            )
            data_code = "".join(code for code, _ in codes)
            self.compact = struct.Struct("<" + data_code)
            self.data_size = self.compact.size
            self.compact_raw = struct.Struct(
                "<" + "".join(f"{header.size}s" for header in self.headers)
            )
            self.long = struct.Struct(
                "<"
                + "".join(
                    f"{len(raw)}s{code}"
                    for raw, (code, _) in zip(self.header_raws, codes, strict=True)
                )
            )
            self.long_size = self.long.size

    def _convert(self, values: tuple[RecordValue, ...]) -> tuple[RecordValue, ...]:
        if not self.converters:
            return values
        converted = list(values)
        for index, convert in self.converters:
            raw = converted[index]
            assert isinstance(raw, bytes)
            converted[index] = convert(raw)
        return tuple(converted)

    def decode_long(self, records: bytes) -> tuple[RecordValue, ...] | None:
        """Values of a full-frame record sequence if it has exactly this format, else None."""
        long = self.long
        if long is None or len(records) != self.long_size:
            return None
        items = long.unpack(records)
        if items[0::2] != self.header_raws:
            return None
        return self._convert(items[1::2])

    def decode_compact(self, data: bytes) -> tuple[RecordValue, ...]:
        """Values of compact-frame data in this format; raises MalformedRecords on a size misfit."""
        compact = self.compact
        if compact is not None:
            if len(data) != self.data_size:
                raise MalformedRecords(
                    f"compact data has {len(data)} bytes, format 0x{self.signature:04x} "
                    f"needs {self.data_size}"
                )
            return self._convert(compact.unpack(data))
        values: list[RecordValue] = []
        position = 0
        for header in self.headers:
            if header.size is None:
                value, _, position = _decode_variable(data, position)
            else:
                if position + header.size > len(data):
                    raise MalformedRecords("compact data shorter than its format")
                value = decode_value(header, data[position : position + header.size])
                position += header.size
            values.append(value)
        if position != len(data):
            raise MalformedRecords("compact data longer than its format")
        return tuple(values)

    def full_frame(self, data: bytes) -> bytes:
        """Rebuild the full-frame record bytes from compact data (for the full-frame CRC)."""
        compact_raw = self.compact_raw
        if compact_raw is not None:
            pieces = compact_raw.unpack(data)
        else:
            slices: list[bytes] = []
            position = 0
            for header in self.headers:
                if header.size is None:
                    _, _, end = _decode_variable(data, position)
                else:
                    end = position + header.size
                slices.append(data[position:end])
                position = end
            pieces = tuple(slices)
        merged = [b""] * (2 * len(pieces))
        merged[0::2] = self.header_raws
        merged[1::2] = pieces
        return b"".join(merged)


_layouts: dict[bytes, Layout] = {}
_LAYOUTS_MAX: Final = 1024


def compile_layout(format_bytes: bytes) -> Layout:
    """Return the (shared, immutable) compiled layout for these format bytes."""
    layout = _layouts.get(format_bytes)
    if layout is None:
        layout = Layout(format_bytes)
        if len(_layouts) >= _LAYOUTS_MAX:
            _layouts.clear()
        _layouts[layout.format_bytes] = layout
    return layout


def registry_key(manufacturer_id: int, device_type: int, signature: int) -> int:
    """Pack the registry key into one int: cheaper to hash than a tuple."""
    return (manufacturer_id << 24) | (device_type << 16) | signature


class FormatRegistry:
    """Compact-frame formats by (manufacturer, device type, signature), as wmbusmeters keys them.

    Preloaded with the formats meter profiles declare, so an OmniPower compact frame
    decodes before its meter's first long frame (up to 2 minutes earlier); formats seen
    in long frames are learned. Bounded: learning never grows it beyond ``max_size``
    (the oldest learned entries go first; declared ones stay).
    """

    __slots__ = ("_declared", "_learned", "_max_size")

    def __init__(self, max_size: int = 1024) -> None:
        self._declared: dict[int, Layout] = {}
        self._learned: dict[int, Layout] = {}
        self._max_size = max_size

    def declare(self, manufacturer_id: int, device_type: int, format_bytes: bytes) -> Layout:
        """Add a built-in format (from a meter profile)."""
        layout = compile_layout(format_bytes)
        self._declared[registry_key(manufacturer_id, device_type, layout.signature)] = layout
        return layout

    def learn(self, manufacturer_id: int, device_type: int, layout: Layout) -> None:
        """Remember the format of a long frame for later compact frames."""
        key = registry_key(manufacturer_id, device_type, layout.signature)
        if key in self._declared or self._learned.get(key) is layout:
            return
        if len(self._learned) >= self._max_size:
            del self._learned[next(iter(self._learned))]
        self._learned[key] = layout

    def lookup(self, key: int) -> Layout | None:
        """Layout for a :func:`registry_key`, or None if unknown."""
        layout = self._declared.get(key)
        if layout is None:
            layout = self._learned.get(key)
        return layout

    def __len__(self) -> int:
        return len(self._declared) + len(self._learned)

    def known(self) -> Iterable[tuple[int, Layout]]:
        """All (key, layout) pairs, declared first (diagnostics)."""
        yield from self._declared.items()
        yield from self._learned.items()
