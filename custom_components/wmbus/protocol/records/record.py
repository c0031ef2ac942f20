"""One decoded record, the decoding of its data bytes, and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass

from .dates import TIMESTAMP_TYPES
from .dif import (
    BCD_CODINGS,
    CODING_REAL,
    RecordValue,
    decode_bcd,
    decode_integer,
    decode_real,
)
from .header import RecordHeader
from .vif import Decoding


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


def decode_value(header: RecordHeader, data: bytes) -> RecordValue:
    """Decode the fixed-size data bytes of a record as its header says."""
    if not data:
        return None
    coding = header.coding
    if coding == CODING_REAL:
        return decode_real(data)
    if coding in BCD_CODINGS:
        return decode_bcd(data)
    decoding = header.decoding
    if decoding is Decoding.TIMESTAMP:
        return TIMESTAMP_TYPES[len(data)][1](data)
    if decoding is Decoding.RAW:
        return bytes(data)
    return decode_integer(data, header.signed)


def record_json(record: Record) -> dict[str, object]:
    """Render the record as the CLI prints it (one shape for every record).

    The value is scaled into ``unit``, bytes become hex; ``dif_vif`` is the header's hex,
    None for a record from a manufacturer layout.
    """
    header = record.header
    value: object = record.value
    if isinstance(value, int | float):
        value = record.scaled
    elif isinstance(value, bytes):
        value = value.hex()
    return {
        "quantity": header.quantity,
        "unit": header.unit,
        "value": value,
        "storage": header.storage,
        "tariff": header.tariff,
        "subunit": header.subunit,
        "function": header.function.name.lower(),
        "dif_vif": header.raw.hex() if header.raw else None,
    }
