"""The DIF/DIFE/VIF/VIFE part of a record, decoded by table lookups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Self

from ..errors import MalformedRecords
from .dates import TIMESTAMP_TYPES
from .dif import (
    CODING_SPECIAL,
    CODING_VARIABLE,
    DATA_SIZES,
    DIF_MANUFACTURER_DATA,
    INTEGER_CODINGS,
    MAX_DIFE,
    MAX_VIFE,
    Function,
)
from .vif import (
    COMBINABLE,
    EXTENSION,
    PER_TIME_UNITS,
    PRIMARY,
    TIME_UNITS,
    VIF_MANUFACTURER,
    VIF_PLAIN_TEXT,
    VIF_TABLE_EF,
    VIF_TABLE_FB,
    VIF_TABLE_FD,
    VIFE_COMBINABLE_EXTENSION,
    VIFE_MANUFACTURER,
    VIFE_PER_SECOND,
    Decoding,
    Effect,
)

_EXTENSION_TABLES: Final = frozenset({VIF_TABLE_FB, VIF_TABLE_FD, VIF_TABLE_EF})


@dataclass(frozen=True, slots=True)
class RecordHeader:
    """The DIF/DIFE/VIF/VIFE part of one record, decoded.

    ``quantity`` is None when the VIF is unknown, manufacturer specific or plain text, or
    is refined by a VIFE this parser does not understand: such a record must never be
    mapped to a known quantity (EN 13757-3 VIF/VIFE tables). Its ``unit`` is then "" (or the
    meter's own text for a plain-text VIF) and its exponent 0, so its value is printed
    raw and never passes for a measurement. ``vifes`` are the combinable VIFE codes
    (7C xx as 0x7C00 | xx) or, after a manufacturer VIF/VIFE, the raw bytes without
    their extension bit.
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
    signed: bool = False
    """Integer data is two's complement (else read as an unsigned code or bit field)."""
    decoding: Decoding = Decoding.NUMBER
    manufacturer: bool = False
    """The VIF or a VIFE says the meaning (and LVAR data) is manufacturer specific."""

    @property
    def lvar_raw(self) -> bool:
        """LVAR data is kept as bytes whatever its LVAR says (it is not text or a number)."""
        return self.manufacturer or self.decoding is Decoding.INVERSE_COMPACT_PROFILE

    @classmethod
    def synthetic(
        cls,
        quantity: str,
        unit: str,
        *,
        exponent: int = 0,
        storage: int = 0,
        tariff: int = 0,
        subunit: int = 0,
        function: Function = Function.INSTANTANEOUS,
    ) -> Self:
        """Header for a value read from a manufacturer byte layout (no DIF/VIF on air).

        ``raw`` is empty, which is how the CLI and the keys tell such records apart; DIF
        and VIF say "manufacturer specific", where the value came from.
        """
        return cls(
            raw=b"",
            dif=DIF_MANUFACTURER_DATA,
            coding=CODING_SPECIAL,
            size=None,
            function=function,
            storage=storage,
            tariff=tariff,
            subunit=subunit,
            vif=VIF_MANUFACTURER,
            vifes=(),
            quantity=quantity,
            unit=unit,
            exponent=exponent,
            signed=unit != "",
        )


_header_cache: dict[bytes, RecordHeader] = {}
_HEADER_CACHE_MAX: Final = 4096


@dataclass(slots=True)
class _Draft:
    """The meaning of a header while its VIFEs refine it."""

    quantity: str | None
    unit: str
    exponent: int
    signed: bool
    decoding: Decoding
    understood: bool

    def count(self, _code: int) -> None:
        self.unit, self.exponent, self.signed = "", 0, False
        self.decoding = Decoding.NUMBER

    def timestamp(self, _code: int) -> None:
        self.exponent, self.signed, self.decoding = 0, False, Decoding.TIMESTAMP

    def duration(self, code: int) -> None:
        self.unit, self.exponent, self.signed = TIME_UNITS[code & 0x03], 0, True
        self.decoding = Decoding.NUMBER

    def profile(self, _code: int) -> None:
        self.decoding = Decoding.INVERSE_COMPACT_PROFILE

    def per_time(self, code: int) -> None:
        if self.unit:
            self.unit = f"{self.unit}/{PER_TIME_UNITS[code - VIFE_PER_SECOND]}"
        else:
            self.understood = False  # a rate of a unitless code means nothing

    def make_signed(self, _code: int) -> None:
        self.signed = True

    def keep(self, _code: int) -> None:
        pass


_EFFECTS: Final[dict[Effect, Callable[[_Draft, int], None]]] = {
    Effect.KEEP: _Draft.keep,
    Effect.SIGNED: _Draft.make_signed,
    Effect.COUNT: _Draft.count,
    Effect.TIMESTAMP: _Draft.timestamp,
    Effect.DURATION: _Draft.duration,
    Effect.PROFILE: _Draft.profile,
    Effect.PER_TIME: _Draft.per_time,
}
"""What each combinable VIFE effect does (SCALE adds its exponent, see _read_vifes)."""

_CODINGS_FOR: Final[dict[Decoding, frozenset[int]]] = {
    Decoding.RAW: INTEGER_CODINGS,
    Decoding.INVERSE_COMPACT_PROFILE: frozenset({CODING_VARIABLE}),
}
"""Data codings a decoding needs; with any other the record is kept raw (TIMESTAMP also
needs one of the sizes of the date/time types, checked apart)."""


def _read_difes(buffer: bytes, position: int, dif: int) -> tuple[int, int, int, int]:
    """Storage, tariff and subunit from the DIF and its DIFEs; and the VIF's offset."""
    end = len(buffer)
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
    return storage, tariff, subunit, position


def _read_vif(buffer: bytes, position: int) -> tuple[int, _Draft, int, int]:
    """The VIF's code, its meaning, whether VIFEs follow (bit 7), and the next offset."""
    end = len(buffer)
    if position >= end:
        raise MalformedRecords("record header ends before its VIF")
    vif_byte = buffer[position]
    position += 1
    code = vif_byte & 0x7F
    extension = vif_byte & 0x80
    if vif_byte in _EXTENSION_TABLES:
        if position >= end:
            raise MalformedRecords("record header ends inside an extension-table VIF")
        real = buffer[position]
        position += 1
        code = (vif_byte << 8) | (real & 0x7F)
        extension = real & 0x80
        meaning = EXTENSION.get(code)
    elif code == VIF_PLAIN_TEXT:
        # A length byte and that many ASCII characters, last first, right after the VIF
        # and before any VIFE (as wmbusmeters, libmbus and jMBus read it): the meter's own unit.
        if position >= end or position + 1 + buffer[position] > end:
            raise MalformedRecords("plain-text VIF runs past the end")
        length = buffer[position]
        text = buffer[position + 1 : position + 1 + length][::-1].decode("latin-1")
        position += 1 + length
        return code, _Draft(None, text, 0, True, Decoding.NUMBER, True), extension, position
    else:
        meaning = PRIMARY.get(code)
    if meaning is None:
        # Unknown or reserved codes, "any VIF" (7E), manufacturer specific (7F).
        return code, _Draft(None, "", 0, False, Decoding.NUMBER, False), extension, position
    draft = _Draft(
        meaning.quantity, meaning.unit, meaning.exponent, meaning.signed, meaning.decoding, True
    )
    return code, draft, extension, position


def _read_vifes(
    buffer: bytes, position: int, draft: _Draft, manufacturer: bool
) -> tuple[tuple[int, ...], bool, int]:
    """Refine ``draft`` by the combinable VIFEs; (codes, manufacturer specific, offset).

    After a manufacturer VIF or VIFE every further byte is the manufacturer's: kept
    as it is, never read as a combinable code.
    """
    end = len(buffer)
    vifes: list[int] = []
    extension = True
    while extension:
        if position >= end:
            raise MalformedRecords("record header ends inside its VIFEs")
        if len(vifes) == MAX_VIFE:
            raise MalformedRecords("more than 10 VIFEs")
        vife = buffer[position]
        position += 1
        extension = bool(vife & 0x80)
        vife &= 0x7F
        if manufacturer:
            vifes.append(vife)
            continue
        if vife == VIFE_COMBINABLE_EXTENSION:
            if position >= end:
                raise MalformedRecords("record header ends inside a combinable extension")
            follow = buffer[position]
            position += 1
            extension = bool(follow & 0x80)
            vife = (VIFE_COMBINABLE_EXTENSION << 8) | (follow & 0x7F)
        elif vife == VIFE_MANUFACTURER:
            manufacturer = True
        vifes.append(vife)
        refinement = COMBINABLE.get(vife)
        if refinement is None:
            draft.understood = False
        elif refinement.effect is Effect.SCALE:
            draft.exponent += refinement.exponent
        else:
            _EFFECTS[refinement.effect](draft, vife)
    return tuple(vifes), manufacturer, position


def _span(buffer: bytes, position: int) -> int:
    """Where the header at ``position`` ends by its extension bits alone (0: not found).

    Only a key into the header cache: a cached header whose bytes equal this span is
    what parsing would give, whatever this scan missed, so an error here costs a cache
    miss, never a wrong header. Plain-text VIFs always take the full parse.
    """
    end = len(buffer)
    while buffer[position] & 0x80:
        position += 1
        if position >= end:
            return 0
    position += 1
    if position >= end:
        return 0
    vif = buffer[position]
    position += 1
    if vif & 0x7F == VIF_PLAIN_TEXT:
        return 0
    manufacturer = vif & 0x7F == VIF_MANUFACTURER
    if vif in _EXTENSION_TABLES:
        if position >= end:
            return 0
        vif = buffer[position]
        position += 1
    while vif & 0x80:
        if position >= end:
            return 0
        vif = buffer[position]
        position += 1
        code = vif & 0x7F
        if manufacturer:
            continue
        if code == VIFE_COMBINABLE_EXTENSION:
            if position >= end:
                return 0
            vif = buffer[position]
            position += 1
        elif code == VIFE_MANUFACTURER:
            manufacturer = True
    return position


def parse_header(buffer: bytes, position: int) -> tuple[RecordHeader, int]:
    """Parse the record header at ``position``; return it and the offset of its data.

    Raises MalformedRecords for a special DIF (coding F: fillers and manufacturer data
    are the caller's), more than 10 DIFEs or VIFEs, or a header that runs past the end.
    """
    span = _span(buffer, position)
    if span:
        known = _header_cache.get(bytes(buffer[position:span]))
        if known is not None:
            return known, span
    start = position
    dif = buffer[position]
    coding = dif & 0x0F
    if coding == CODING_SPECIAL:
        raise MalformedRecords(f"special DIF 0x{dif:02x} has no record header")
    storage, tariff, subunit, position = _read_difes(buffer, position + 1, dif)
    code, draft, extension, position = _read_vif(buffer, position)
    manufacturer = code == VIF_MANUFACTURER
    vifes: tuple[int, ...] = ()
    if extension:
        vifes, manufacturer, position = _read_vifes(buffer, position, draft, manufacturer)
    size = DATA_SIZES[coding]
    if draft.decoding is Decoding.TIMESTAMP:
        timestamp = TIMESTAMP_TYPES.get(size or 0) if coding in INTEGER_CODINGS else None
        if timestamp is None:
            draft.understood = False  # a date in BCD, real or LVAR (type M): kept raw
        else:
            draft.unit = timestamp[0]
    elif coding not in _CODINGS_FOR.get(draft.decoding, DATA_SIZES.keys()):
        draft.understood = False
    if not draft.understood:
        draft = _Draft(None, "", 0, False, Decoding.NUMBER, False)
    raw = bytes(buffer[start:position])
    cached = _header_cache.get(raw)
    if cached is not None:
        return cached, position
    header = RecordHeader(
        raw=raw,
        dif=dif,
        coding=coding,
        size=size,
        function=Function((dif >> 4) & 0x03),
        storage=storage,
        tariff=tariff,
        subunit=subunit,
        vif=code,
        vifes=vifes,
        quantity=draft.quantity,
        unit=draft.unit,
        exponent=draft.exponent,
        signed=draft.signed,
        decoding=draft.decoding,
        manufacturer=manufacturer,
    )
    if len(_header_cache) >= _HEADER_CACHE_MAX:
        _header_cache.clear()
    _header_cache[raw] = header
    return header, position
