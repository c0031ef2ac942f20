"""EN 13757-3 data records (DIF/VIF) and compact-frame formats (CI 79, EN 13757-3).

Two levels:

* a tolerant general parser (:func:`parse_records`, :mod:`.parse`) that understands any
  record sequence once, from the codings of :mod:`.dif`, the VIF/VIFE tables of
  :mod:`.vif` and the date/time types of :mod:`.dates`;
* a :class:`Layout` (:mod:`.layout`) compiled from a record format into one
  precompiled ``struct.Struct`` for the compact frames and the fast path, with the
  :class:`FormatRegistry` of compact-frame formats.

Kept raw on purpose (quantity None or bytes values, never a guessed number): the
manufacturer VIFs/VIFEs and their LVAR data, date types K (daylight saving) and M
(LVAR dates), VIFEs whose meaning changes the value in ways no second source confirms
(additive corrections, per-pulse and per-unit rates, record error codes, OBIS), and
compact profiles other than absolute inverse ones (:mod:`.compact_profile`).
"""

from __future__ import annotations

from .dates import decode_type_f, decode_type_g, decode_type_i, decode_type_j
from .dif import (
    BCD_CODINGS,
    CODING_REAL,
    CODING_VARIABLE,
    DATA_SIZES,
    DIF_GLOBAL_READOUT,
    DIF_IDLE_FILLER,
    DIF_MANUFACTURER_DATA,
    DIF_MANUFACTURER_DATA_MORE,
    MAX_DIFE,
    MAX_VIFE,
    Function,
    RecordValue,
    decode_bcd,
    decode_variable,
)
from .header import RecordHeader, parse_header
from .layout import FormatRegistry, Layout, compile_layout, registry_key
from .parse import RecordSet, parse_format, parse_records
from .record import Record, decode_value, record_json
from .vif import (
    KNOWN_VIFES,
    PHASE_VIFES,
    VIF_ANY,
    VIF_MANUFACTURER,
    VIF_PLAIN_TEXT,
    VIF_TABLE_EF,
    VIF_TABLE_FB,
    VIF_TABLE_FD,
    VIFE_ABSOLUTE_VALUE,
    VIFE_BACKWARD_FLOW,
    VIFE_COMBINABLE_EXTENSION,
    VIFE_FORWARD_FLOW,
    VIFE_MANUFACTURER,
    Decoding,
    Meaning,
)

__all__ = [
    "BCD_CODINGS",
    "CODING_REAL",
    "CODING_VARIABLE",
    "DATA_SIZES",
    "DIF_GLOBAL_READOUT",
    "DIF_IDLE_FILLER",
    "DIF_MANUFACTURER_DATA",
    "DIF_MANUFACTURER_DATA_MORE",
    "KNOWN_VIFES",
    "MAX_DIFE",
    "MAX_VIFE",
    "PHASE_VIFES",
    "VIFE_ABSOLUTE_VALUE",
    "VIFE_BACKWARD_FLOW",
    "VIFE_COMBINABLE_EXTENSION",
    "VIFE_FORWARD_FLOW",
    "VIFE_MANUFACTURER",
    "VIF_ANY",
    "VIF_MANUFACTURER",
    "VIF_PLAIN_TEXT",
    "VIF_TABLE_EF",
    "VIF_TABLE_FB",
    "VIF_TABLE_FD",
    "Decoding",
    "FormatRegistry",
    "Function",
    "Layout",
    "Meaning",
    "Record",
    "RecordHeader",
    "RecordSet",
    "RecordValue",
    "compile_layout",
    "decode_bcd",
    "decode_type_f",
    "decode_type_g",
    "decode_type_i",
    "decode_type_j",
    "decode_value",
    "decode_variable",
    "parse_format",
    "parse_header",
    "parse_records",
    "record_json",
    "registry_key",
]
