from __future__ import annotations

import contextlib

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.wmbus.protocol.errors import MalformedRecords
from custom_components.wmbus.protocol.meters import (
    PROFILES,
    compile_fields,
    select_profile,
)
from custom_components.wmbus.protocol.records import (
    Function,
    compile_layout,
    decode_bcd,
    parse_records,
)

from .conftest import VECTOR_FILE, VECTORS_BY_ID

OMNIPOWER_FORMAT = bytes.fromhex(VECTOR_FILE["known_format_signatures"]["138c"])


def test_omnipower_long_records() -> None:
    records = parse_records(bytes.fromhex("0404d700000004843c00000000042b0300000004ab3c00000000"))
    assert records.format_bytes == OMNIPOWER_FORMAT
    assert records.signature == 0x8C13
    first, export, power, power_export = records.records
    assert (first.header.quantity, first.header.unit, first.scaled) == ("energy", "Wh", 2150)
    assert export.header.vifes == (0x3C,)
    assert (power.header.quantity, power.value) == ("power", 3)
    assert power_export.header.vifes == (0x3C,)


def test_multical_records_and_signature() -> None:
    vector = VECTORS_BY_ID["noise-wmbm-multical21-long"]
    payload = bytes.fromhex(vector["expected"]["decrypted_payload_hex"])[3:]
    records = parse_records(payload)
    assert (
        records.signature.to_bytes(2, "little").hex() == vector["expected"]["format_signature_hex"]
    )
    expected = vector["expected"]["records"]
    assert [r.data.hex() for r in records.records] == [e["data_hex"] for e in expected]
    info, volume, target, flow, external = records.records
    assert info.header.quantity is None  # manufacturer VIF FF 20 stays unmapped
    assert volume.scaled == pytest.approx(6.408)
    assert target.header.storage == 1
    assert flow.header.function is Function.MINIMUM
    assert external.value == 19


def test_unknown_vife_leaves_record_unmapped() -> None:
    vector = VECTORS_BY_ID["wmbm-plain-kam-v33-other-datagram"]
    records = parse_records(bytes.fromhex(vector["telegram_hex"])[20:])
    assert records.format_bytes.hex() == vector["expected"]["format_bytes_hex"]
    reactive = records.records[1]
    assert reactive.header.raw.hex() == "04fb8275"
    assert reactive.header.quantity is None
    assert records.records[0].scaled == 229000


def test_dife_storage_tariff_subunit() -> None:
    # DIF 0x84 (ext), DIFE 0x7F: storage 1|(0xF<<1)=31? bit6 of DIF is 0 -> storage 0xF<<1
    records = parse_records(bytes.fromhex("84 7f 04 01000000"))
    header = records.records[0].header
    assert (header.storage, header.tariff, header.subunit) == (0x1E, 3, 1)


def test_fillers_manufacturer_data_and_variable_length() -> None:
    payload = bytes.fromhex("2f2f 0d78 03 434241 0c13 78563412 0f aabb")
    records = parse_records(payload)
    text, bcd = records.records
    assert text.value == "ABC"
    assert bcd.value == 12345678
    assert records.manufacturer_data == bytes.fromhex("aabb")


def test_bcd() -> None:
    assert decode_bcd(bytes.fromhex("785634f1")) == -1345678
    assert decode_bcd(bytes.fromhex("785634a2")) is None


def test_real_and_odd_integers() -> None:
    records = parse_records(bytes.fromhex("052b0000c03f 032b010080 062b010000000080"))
    assert records.records[0].value == 1.5
    assert records.records[1].value == -8388607
    assert records.records[2].value == -(2**47) + 1


@pytest.mark.parametrize(
    "payload",
    [
        "04",
        "0404d700",
        "3f",
        "84",
        "0480",
        "04fb",
        "0d78",
        "0d78ff",
        "8080808080808080808080800404",
    ],
)
def test_malformed(payload: str) -> None:
    with pytest.raises(MalformedRecords):
        parse_records(bytes.fromhex(payload))


def test_layout_fast_paths() -> None:
    layout = compile_layout(OMNIPOWER_FORMAT)
    assert layout is compile_layout(OMNIPOWER_FORMAT)
    long = bytes.fromhex("0404d700000004843c00000000042b0300000004ab3c00000000")
    assert layout.decode_long(long) == (215, 0, 3, 0)
    assert layout.decode_long(long.replace(b"\x04\x2b", b"\x04\x2c")) is None
    data = bytes.fromhex("d7000000000000000300000000000000")
    assert layout.decode_compact(data) == (215, 0, 3, 0)
    assert layout.full_frame(data) == long
    with pytest.raises(MalformedRecords):
        layout.decode_compact(data[:-1])


def test_layout_with_converters() -> None:
    layout = compile_layout(bytes.fromhex("0c13 032b 0d13"))
    data = bytes.fromhex("78563412 010000 c2 3412")
    assert layout.compact is None
    assert layout.decode_compact(data) == (12345678, 1, 1234)
    fixed = compile_layout(bytes.fromhex("0c13 032b"))
    assert fixed.decode_compact(bytes.fromhex("78563412 ffffff")) == (12345678, -1)


def test_profile_selection_by_record_set() -> None:
    omnipower = compile_layout(OMNIPOWER_FORMAT)
    assert select_profile("KAM", 0x02, omnipower.signature).name == "omnipower"
    assert select_profile("KAM", 0x16, omnipower.signature).name == "generic"
    other = compile_layout(bytes.fromhex("040504fb827504853c04fb82f53c01fd17"))
    assert select_profile("KAM", 0x02, other.signature).name == "generic"
    assert PROFILES[-1].name == "generic"
    plan = compile_fields(PROFILES[0], omnipower.headers)
    assert [(p.key, p.numerator, p.denominator) for p in plan] == [
        ("total_energy_consumption_kwh", 1, 100),
        ("total_energy_production_kwh", 1, 100),
        ("current_power_consumption_w", 1, 1),
        ("current_power_production_w", 1, 1),
    ]


@settings(max_examples=2000)
@given(st.binary(max_size=80))
def test_parser_raises_only_malformed(payload: bytes) -> None:
    with contextlib.suppress(MalformedRecords):
        parse_records(payload)
