"""Compiled record formats and the compact-frame format registry (EN 13757-3 compact frames).

A :class:`Layout` is a record format (the DIF/DIFE/VIF/VIFE bytes without data)
compiled into one precompiled ``struct.Struct``, so every later telegram with that
format (every compact frame, and every long frame whose headers match) decodes with a
single ``unpack``: the OmniPower fast path lives on this (tools/bench_decode budgets).

Compact frames carry only a format signature (CRC-16/EN-13757 of the format bytes); the
:class:`FormatRegistry` maps (manufacturer, device type, signature) to a layout learned
from long frames or declared by a meter profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
import struct
from typing import Final

from ..crypto import crc16_en13757
from ..errors import MalformedRecords
from .dif import (
    BCD_CODINGS,
    CODING_REAL,
    RecordValue,
    decode_bcd,
    decode_integer,
    decode_real,
    decode_variable,
)
from .header import RecordHeader
from .parse import parse_format
from .record import decode_value
from .vif import Decoding

_INTEGER_CODES: Final = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _field_code(header: RecordHeader) -> tuple[str, Callable[[bytes], RecordValue] | None]:
    """Struct code for one record's data and the conversion struct cannot do itself."""
    size = header.size
    assert size is not None
    if size == 0:
        return "0s", _none
    if header.coding == CODING_REAL:
        return "4s", decode_real  # NaN/infinity -> None, as the general parser does
    if header.coding in BCD_CODINGS:
        return f"{size}s", decode_bcd
    if header.decoding is not Decoding.NUMBER:
        return f"{size}s", partial(decode_value, header)
    code = _INTEGER_CODES.get(size)
    if code is not None:
        return (code.lower() if header.signed else code), None
    return f"{size}s", partial(decode_integer, signed=header.signed)


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
                value, _, position = decode_variable(data, position, header.signed, header.lvar_raw)
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
                    _, _, end = decode_variable(data, position, header.signed)
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
