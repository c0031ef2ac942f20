"""Properties of the record parser: any bytes in, records and problems out; damage at the
end never changes the records before it; the compiled layouts agree with the parser."""

from __future__ import annotations

import json
import math

from hypothesis import example, given, settings, strategies as st

from custom_components.wmbus.protocol.errors import MalformedRecords
from custom_components.wmbus.protocol.records import (
    DATA_SIZES,
    Record,
    RecordSet,
    compile_layout,
    parse_format,
    parse_records,
    record_json,
)
from custom_components.wmbus.protocol.records.vif import COMBINABLE, EXTENSION, PRIMARY

RECORD_JSON_KEYS = {"quantity", "unit", "value", "storage", "tariff", "subunit", "function"}
FIXED_CODINGS = [coding for coding, size in DATA_SIZES.items() if size]


def vif_bytes(code: int, more: bool) -> bytes:
    """The VIF (or extension-table VIF) for a table code, extension bit as asked."""
    ext = 0x80 if more else 0
    if code > 0xFF:
        return bytes([code >> 8, (code & 0x7F) | ext])
    return bytes([code | ext])


def vife_bytes(code: int, more: bool) -> bytes:
    ext = 0x80 if more else 0
    if code > 0xFF:
        return bytes([0xFC, (code & 0x7F) | ext])
    return bytes([code | ext])


@st.composite
def headers(draw: st.DrawFn, codings: list[int] | None = None) -> bytes:
    """A well-formed record header: DIF, DIFEs, a table VIF and combinable VIFEs."""
    coding = draw(st.sampled_from(codings or [*FIXED_CODINGS, 0xD]))
    difes = draw(st.lists(st.integers(0, 0x7F), max_size=3))
    dif = coding | draw(st.integers(0, 7)) << 4 | (0x80 if difes else 0)
    out = bytearray([dif])
    for index, dife in enumerate(difes):
        out.append(dife | (0x80 if index < len(difes) - 1 else 0))
    code = draw(st.sampled_from(sorted(PRIMARY) + sorted(EXTENSION)))
    vifes = draw(st.lists(st.sampled_from(sorted(COMBINABLE)), max_size=2))
    out += vif_bytes(code, bool(vifes))
    for index, vife in enumerate(vifes):
        out += vife_bytes(vife, index < len(vifes) - 1)
    return bytes(out)


@st.composite
def records(draw: st.DrawFn, codings: list[int] | None = None) -> tuple[bytes, bytes]:
    """(header, data) of one well-formed record."""
    header = draw(headers(codings))
    size = DATA_SIZES[header[0] & 0x0F]
    if size is None:
        text = draw(st.binary(max_size=12))
        return header, bytes([len(text)]) + text
    return header, draw(st.binary(min_size=size, max_size=size))


def same_value(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    return left == right


def check_record_set(record_set: RecordSet) -> None:
    for record in record_set.records:
        rendered = record_json(record)
        assert set(rendered) == RECORD_JSON_KEYS | {"dif_vif"}
        json.dumps(rendered, allow_nan=False)
    assert not record_set.problems or record_set.records


@settings(max_examples=3000)
@given(st.binary(max_size=120))
def test_any_bytes_give_records_and_problems_or_malformed(payload: bytes) -> None:
    try:
        record_set = parse_records(payload)
    except MalformedRecords:
        return
    check_record_set(record_set)


@settings(max_examples=1000)
@given(st.lists(records(), min_size=1, max_size=6), st.binary(max_size=20))
# Found by Hypothesis: an inverse compact profile's expanded record, then damage that parses.
@example(
    good=[(bytes.fromhex("0100"), b"\x00"), (bytes.fromhex("0d8013"), bytes.fromhex("03010000"))],
    tail=b"\x00\x00",
)
def test_damage_after_good_records_costs_nothing_before_it(
    good: list[tuple[bytes, bytes]], tail: bytes
) -> None:
    payload = b"".join(header + data for header, data in good)
    clean = parse_records(payload)
    assert not clean.problems
    assert clean.format_bytes == b"".join(header for header, _ in good)
    check_record_set(clean)
    damaged = parse_records(payload + tail)
    check_record_set(damaged)
    # Records line up with the format headers first; records expanded from a compact profile
    # (VIFE 13) follow all of them, so damage that still parses as records lands in between.
    aligned = len(parse_format(clean.format_bytes))
    damaged_aligned = len(parse_format(damaged.format_bytes))
    for kept, before in (
        (damaged.records[:aligned], clean.records[:aligned]),
        (
            damaged.records[damaged_aligned:][: len(clean.records) - aligned],
            clean.records[aligned:],
        ),
    ):
        assert [r.header for r in kept] == [r.header for r in before]
        assert all(same_value(a.value, b.value) for a, b in zip(kept, before, strict=True))


@settings(max_examples=1000)
@given(st.lists(records(FIXED_CODINGS), min_size=1, max_size=6))
def test_layout_agrees_with_the_general_parser(good: list[tuple[bytes, bytes]]) -> None:
    long = b"".join(header + data for header, data in good)
    record_set = parse_records(long)
    parsed: list[Record] = list(record_set.records)
    layout = compile_layout(record_set.format_bytes)
    assert layout.headers == parse_format(record_set.format_bytes)
    compact = b"".join(data for _, data in good)
    expected = [record.value for record in parsed]
    from_long = layout.decode_long(long)
    assert from_long is not None
    for values in (from_long, layout.decode_compact(compact)):
        assert all(same_value(a, b) for a, b in zip(values, expected, strict=True))
    assert layout.full_frame(compact) == long
