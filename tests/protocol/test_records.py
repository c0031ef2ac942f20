"""Data records: DIF codings, VIF/VIFE tables, date types, tolerance, compiled layouts."""

from __future__ import annotations

import json
import struct

import pytest

from custom_components.wmbus.protocol.errors import MalformedRecords
from custom_components.wmbus.protocol.records import (
    VIFE_BACKWARD_FLOW,
    Decoding,
    FormatRegistry,
    Function,
    Record,
    RecordHeader,
    compile_layout,
    decode_bcd,
    decode_type_f,
    decode_type_g,
    decode_type_i,
    decode_type_j,
    parse_format,
    parse_records,
    record_json,
    registry_key,
)

from .conftest import VECTOR_FILE, VECTORS_BY_ID

OMNIPOWER_FORMAT = bytes.fromhex(VECTOR_FILE["known_format_signatures"]["138c"])
OMNIPOWER_LONG = bytes.fromhex("0404d700000004843c00000000042b0300000004ab3c00000000")


def only_record(payload: str) -> Record:
    records = parse_records(bytes.fromhex(payload))
    assert not records.problems
    (record,) = records.records
    return record


def test_omnipower_long_records() -> None:
    records = parse_records(OMNIPOWER_LONG)
    assert records.format_bytes == OMNIPOWER_FORMAT
    assert records.signature == 0x8C13
    first, export, power, power_export = records.records
    assert (first.header.quantity, first.header.unit, first.scaled) == ("energy", "Wh", 2150)
    assert export.header.vifes == (VIFE_BACKWARD_FLOW,)
    assert (power.header.quantity, power.value) == ("power", 3)
    assert power_export.header.vifes == (VIFE_BACKWARD_FLOW,)


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
    assert info.header.manufacturer
    assert volume.scaled == pytest.approx(6.408)
    assert target.header.storage == 1
    assert flow.header.function is Function.MINIMUM
    assert external.value == 19


@pytest.mark.parametrize(
    ("header", "quantity", "unit", "exponent"),
    [
        ("0403", "energy", "Wh", 0),
        ("0406", "energy", "Wh", 3),
        ("040e", "energy", "J", 6),
        ("0413", "volume", "m3", -3),
        ("041b", "mass", "kg", 0),
        ("0422", "on_time", "h", 0),
        ("0427", "operating_time", "d", 0),
        ("042b", "power", "W", 0),
        ("0433", "power", "J/h", 3),
        ("043b", "volume_flow", "m3/h", -3),
        ("0443", "volume_flow", "m3/min", -4),
        ("044b", "volume_flow", "m3/s", -6),
        ("0453", "mass_flow", "kg/h", 0),
        ("025b", "flow_temperature", "C", 0),
        ("025e", "return_temperature", "C", -1),
        ("0261", "temperature_difference", "K", -2),
        ("0266", "external_temperature", "C", -1),
        ("026a", "pressure", "bar", -1),
        ("026e", "hca_units", "HCA", 0),
        ("0272", "averaging_duration", "h", 0),
        ("0275", "actuality_duration", "min", 0),
        ("0c78", "fabrication_number", "", 0),
        ("0c79", "enhanced_id", "", 0),
        ("04fb00", "energy", "Wh", 5),
        ("04fb01", "energy", "Wh", 6),
        ("04fb09", "energy", "J", 9),
        ("04fb11", "volume", "m3", 3),
        ("04fb19", "mass", "kg", 6),
        ("02fb1a", "humidity", "%RH", -1),
        ("02fb2d", "frequency", "Hz", -2),
        ("04fb29", "power", "W", 6),
        ("04fb31", "power", "J/h", 9),
        ("04fb03", "reactive_energy", "kvarh", 1),
        ("04fb16", "reactive_power", "kvar", -1),
        ("02fb5a", "flow_temperature", "F", -1),
        ("02fb76", "cold_warm_temperature_limit", "C", -1),
        ("02fd48", "voltage", "V", -1),
        ("02fd59", "current", "A", -3),
        ("02fd74", "remaining_battery_life", "d", 0),
        ("04fd25", "storage_interval", "min", 0),
        ("04fd28", "storage_interval", "month", 0),
        ("04fd2e", "duration_since_readout", "h", 0),
        ("04fd6d", "battery_operating_time", "d", 0),
        ("02fd17", "error_flags", "", 0),
        ("02fd0e", "firmware_version", "", 0),
    ],
)
def test_vif_tables(header: str, quantity: str, unit: str, exponent: int) -> None:
    (parsed,) = parse_format(bytes.fromhex(header))
    assert (parsed.quantity, parsed.unit, parsed.exponent) == (quantity, unit, exponent)


def test_measurements_are_signed_codes_are_not() -> None:
    assert only_record("0213 ffff").value == -1  # type B: two's complement
    assert only_record("02fd17 ffff").value == 0xFFFF  # error flags: a bit field
    assert only_record("0c78 78563412").value == 12345678


@pytest.mark.parametrize(
    ("payload", "quantity", "unit", "scaled"),
    [
        ("04933c 0a000000", "volume", "m3", 0.01),  # backward flow keeps the quantity
        ("04fb8275 3f000000", "reactive_energy", "kvarh", 6.3),  # x 10**(5-6)
        ("04937d 02000000", "volume", "m3", 2),  # x 1000
        ("04937e 02000000", "volume", "m3", 0.002),  # future value
        ("049322 0a000000", "volume", "m3/h", 0.01),  # volume per hour: a rate
        ("048623 05000000", "energy", "Wh/d", 5000),  # energy per day
        ("04fdc8fc01 e6000000", "voltage", "V", 23.0),  # phase L1 (7C 01)
        ("02bb41 0300", "volume_flow", "", 3),  # number of lower-limit exceeds
        ("02bb5a 0500", "volume_flow", "h", 5),  # duration of an upper-limit exceed
        ("0486fc0c feffffff", "energy", "Wh", -2000),  # import-export delta is signed
    ],
)
def test_combinable_vifes(payload: str, quantity: str, unit: str, scaled: float) -> None:
    record = only_record(payload)
    assert (record.header.quantity, record.header.unit) == (quantity, unit)
    assert record.scaled == pytest.approx(scaled)


@pytest.mark.parametrize(
    "header",
    [
        "04933d",  # 3D is reserved (not "absolute value")
        "049328",  # increment per input pulse
        "02fd9722",  # error flags per hour: a code has no rate
        "0493ff20",  # manufacturer VIFE: all that follows is the manufacturer's
        "04937c7f",  # unassigned combinable extension
        "049318",  # record error code: data error
        "0493f53f",  # a correction factor, then an OBIS declaration
    ],
)
def test_unknown_vife_leaves_record_unmapped(header: str) -> None:
    (parsed,) = parse_format(bytes.fromhex(header))
    assert (parsed.quantity, parsed.unit, parsed.exponent) == (None, "", 0)


def test_date_vife_turns_value_into_a_date() -> None:
    record = only_record("02bb6a 1f15")  # volume flow, date of the first begin of (a, b)
    assert (record.header.unit, record.value) == ("date", "2008-05-31")


def test_dife_storage_tariff_subunit() -> None:
    header = only_record("84 7f 04 01000000").header
    assert (header.storage, header.tariff, header.subunit) == (0x1E, 3, 1)
    header = only_record("c4 df 21 13 01000000").header
    assert (header.storage, header.tariff, header.subunit) == (1 | 0xF << 1 | 1 << 5, 1 | 2 << 2, 1)


@pytest.mark.parametrize(
    ("dif", "function"),
    [(0x04, "instantaneous"), (0x14, "maximum"), (0x24, "minimum"), (0x34, "error_state")],
)
def test_function(dif: int, function: str) -> None:
    record = only_record(f"{dif:02x}13 01000000")
    assert record_json(record)["function"] == function


@pytest.mark.parametrize(
    ("payload", "value"),
    [
        ("002b", None),
        ("012b ff", -1),
        ("022b 0180", -32767),
        ("032b 010080", -8388607),
        ("042b 01000080", -(2**31) + 1),
        ("052b 0000c03f", 1.5),
        ("052b 0000c07f", None),  # NaN is no value
        ("062b 010000000080", -(2**47) + 1),
        ("072b 0100000000000080", -(2**63) + 1),
        ("082b", None),
        ("092b 42", 42),
        ("0a2b 3412", 1234),
        ("0b2b 5634f2", -23456),
        ("0c2b 78563412", 12345678),
        ("0e2b 907856341200", 1234567890),
        ("0a2b ffff", None),  # all F: not available
        ("0a2b a412", None),  # not a digit
    ],
)
def test_data_codings(payload: str, value: object) -> None:
    assert only_record(payload).value == value


@pytest.mark.parametrize(
    ("payload", "value"),
    [
        ("0d78 03 434241", "ABC"),  # text, last character first
        ("0d2b c2 3412", 1234),
        ("0d2b d2 3412", -1234),
        ("0d2b e2 feff", -2),
        ("0d2b e0", None),
        ("0d2b f0" + "01" * 16, bytes([1] * 16)),
        ("0dff5f 03 434241", b"CBA"),  # manufacturer LVAR: kept raw
    ],
)
def test_variable_length(payload: str, value: object) -> None:
    assert only_record(payload).value == value


def test_bcd() -> None:
    assert decode_bcd(bytes.fromhex("785634f1")) == -1345678
    assert decode_bcd(bytes.fromhex("785634a2")) is None


@pytest.mark.parametrize(
    ("raw", "decoder", "text"),
    [
        ("1f15", decode_type_g, "2008-05-31"),
        ("ffff", decode_type_g, None),
        ("3e12", decode_type_g, None),  # 30 February
        ("32371f15", decode_type_f, "2008-05-31 23:50"),
        ("b2371f15", decode_type_f, None),  # IV bit
        ("320f1f15", decode_type_f, "2008-05-31 15:50"),  # HY 0, year 8 -> 2008
        ("22484136", decode_type_f, "2026-06-01 08:34"),  # HY 2 (uiws): ignored
        ("3a0f1f15", decode_type_f, "2008-05-31 15:58"),
        ("3c0f1f15", decode_type_f, None),  # minute 60
        ("0a14051f1500", decode_type_i, "2008-05-31 05:20:10"),
        ("0a94051f1500", decode_type_i, None),  # IV bit
        ("0a1405", decode_type_j, "05:20:10"),
        ("0a1418", decode_type_j, None),  # hour 24
    ],
)
def test_date_types(raw: str, decoder: object, text: str | None) -> None:
    assert callable(decoder)
    assert decoder(bytes.fromhex(raw)) == text


@pytest.mark.parametrize(
    ("payload", "unit", "value"),
    [
        ("026c 1f15", "date", "2008-05-31"),
        ("046d 32371f15", "datetime", "2008-05-31 23:50"),
        ("066d 0a14051f1500", "datetime", "2008-05-31 05:20:10"),
        ("036d 0a1405", "time", "05:20:10"),
        ("04fd30 32371f15", "datetime", "2008-05-31 23:50"),
    ],
)
def test_date_records(payload: str, unit: str, value: str) -> None:
    record = only_record(payload)
    assert record.header.decoding is Decoding.TIMESTAMP
    assert (record.header.unit, record.value) == (unit, value)


def test_date_in_bcd_is_kept_raw() -> None:
    record = only_record("0a6c 1f15")
    assert (record.header.quantity, record.header.unit) == (None, "")


def test_plain_text_manufacturer_any_and_reserved_vifs() -> None:
    text = only_record("027c03324f43 0001")
    assert (text.header.quantity, text.header.unit, text.value) == (None, "CO2", 256)
    scaled = only_record("02fc03324f4374 0001")  # VIFE 74: x 10**-2 after the text
    assert scaled.header.unit == "CO2"
    assert scaled.scaled == pytest.approx(2.56)
    manufacturer = only_record("02ffa07c 1100")  # 7C after FF is a manufacturer byte
    assert manufacturer.header.vifes == (0x20, 0x7C)
    assert (manufacturer.header.quantity, manufacturer.value) == (None, 17)
    assert only_record("027e 0100").header.quantity is None
    reserved = only_record("02ef05 0100")
    assert (reserved.header.vif, reserved.header.quantity) == (0xEF05, None)


def test_fillers_manufacturer_data_and_more_records() -> None:
    records = parse_records(bytes.fromhex("2f2f 0d78 03 434241 2f 0c13 78563412 0f aabb"))
    text, bcd = records.records
    assert (text.value, bcd.value) == ("ABC", 12345678)
    assert records.manufacturer_data == bytes.fromhex("aabb")
    assert not records.more_records_follow
    more = parse_records(bytes.fromhex("0413 01000000 1f"))
    assert more.more_records_follow
    assert more.manufacturer_data == b""


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (
            "0413 01000000 0413 0100",
            "cut-off last record 0413 at offset 6: needs 4 data bytes, 2 left",
        ),
        ("0413 01000000 ffff", "reserved special DIF 0xff at offset 6: 2 bytes not read"),
        ("0413 01000000 7f", "global readout request 0x7f at offset 6: 1 bytes not read"),
        ("0413 01000000 8406", "record header ends before its VIF: 8406 at offset 6"),
        ("0413 01000000 0493", "record header ends inside its VIFEs: 0493 at offset 6"),
        ("0413 01000000 0d13 c5 1234", "variable-length BCD needs 5 bytes, 2 left"),
        ("0413 01000000 0d13 f9", "reserved LVAR 0xf9: record 0d13 at offset 6"),
        ("0413 01000000 " + "80" * 11 + "13", "more than 10 DIFEs"),
    ],
)
def test_damage_costs_only_what_it_spoils(payload: str, problem: str) -> None:
    records = parse_records(bytes.fromhex(payload))
    (good,) = records.records
    assert good.scaled == pytest.approx(0.001)
    (reported,) = records.problems
    assert reported.startswith(problem)
    assert records.format_bytes == bytes.fromhex("0413")


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
def test_damage_before_any_record_raises(payload: str) -> None:
    with pytest.raises(MalformedRecords):
        parse_records(bytes.fromhex(payload))


def test_record_json() -> None:
    record = only_record("8440fd1a 01000000")  # digital output, subunit 1
    assert record_json(record) == {
        "quantity": "digital_output",
        "unit": "",
        "value": 1,
        "storage": 0,
        "tariff": 0,
        "subunit": 1,
        "function": "instantaneous",
        "dif_vif": "8440fd1a",
    }
    binary = record_json(only_record("0d2b f0" + "ab" * 16))
    assert binary["value"] == "ab" * 16
    energy = record_json(only_record("4406 e8030000"))
    assert (energy["unit"], energy["value"], energy["storage"]) == ("Wh", 1000000, 1)
    json.dumps(energy, allow_nan=False)


def test_synthetic_header() -> None:
    header = RecordHeader.synthetic(
        "volume", "m3", exponent=-3, storage=2, function=Function.MAXIMUM
    )
    record = Record(header, b"", 1234)
    assert record_json(record) == {
        "quantity": "volume",
        "unit": "m3",
        "value": 1.234,
        "storage": 2,
        "tariff": 0,
        "subunit": 0,
        "function": "maximum",
        "dif_vif": None,
    }
    assert header.signed
    assert not RecordHeader.synthetic("error_flags", "").signed


def test_layout_fast_paths() -> None:
    layout = compile_layout(OMNIPOWER_FORMAT)
    assert layout is compile_layout(OMNIPOWER_FORMAT)
    assert not layout.converters  # the OmniPower fast path: one unpack, nothing else
    assert layout.decode_long(OMNIPOWER_LONG) == (215, 0, 3, 0)
    assert layout.decode_long(OMNIPOWER_LONG.replace(b"\x04\x2b", b"\x04\x2c")) is None
    data = bytes.fromhex("d7000000000000000300000000000000")
    assert layout.decode_compact(data) == (215, 0, 3, 0)
    assert layout.full_frame(data) == OMNIPOWER_LONG
    with pytest.raises(MalformedRecords):
        layout.decode_compact(data[:-1])


def test_layout_with_converters() -> None:
    layout = compile_layout(bytes.fromhex("0c13 032b 0d13"))
    data = bytes.fromhex("78563412 010000 c2 3412")
    assert layout.compact is None
    assert layout.decode_compact(data) == (12345678, 1, 1234)
    fixed = compile_layout(bytes.fromhex("0c13 032b 046d 052b 02fd17"))
    values = fixed.decode_compact(bytes.fromhex("78563412 ffffff 32371f15 0000c07f ffff"))
    assert values == (12345678, -1, "2008-05-31 23:50", None, 0xFFFF)


def test_inverse_compact_profile_becomes_historic_records() -> None:
    # Caltos E style: HCA history, absolute BCD-6 elements, monthly, newest first.
    records = parse_records(
        bytes.fromhex("8d04ee13 0e 3bfe 990000 520000 ffffff 000000 0b6e 250200")
    )
    container, current, *elements = records.records
    # One record per format header first (layout field indexes address them), then
    # the profile's elements.
    assert [r.header for r in records.records[:2]] == list(parse_format(records.format_bytes))
    assert current.value == 225
    assert container.header.vifes == (0x13,)
    assert isinstance(container.value, bytes)
    assert [(e.header.storage, e.header.quantity, e.header.unit, e.value) for e in elements] == [
        (9, "hca_units", "HCA", 99),
        (10, "hca_units", "HCA", 52),
        (12, "hca_units", "HCA", 0),
    ]
    assert all(e.header.vifes == () for e in elements)
    assert records.format_bytes == bytes.fromhex("8d04ee13 0b6e")


def test_compact_profile_markers_and_increments() -> None:
    volume = parse_records(bytes.fromhex("8d049313 08 33fe 050000 000080"))
    _, element = volume.records  # the signed minimum is "no value"
    assert element.header.storage == 9
    assert element.scaled == pytest.approx(0.005)
    increments = parse_records(bytes.fromhex("8d04ee13 05 7bfe 010000"))
    assert len(increments.records) == 1  # increments need the base value: kept raw


def test_monthly_profile_elements_get_their_dates() -> None:
    # caltose-01: base date 2026-02-01 at storage 8, monthly profile of storage 8.
    records = parse_records(bytes.fromhex("82046c 4132 8d04ee13 08 3bfe 990000 520000"))
    dated = [(r.header.storage, r.header.quantity, r.value) for r in records.records[2:]]
    assert dated == [
        (9, "hca_units", 99),
        (9, "date", "2026-01-01"),
        (10, "hca_units", 52),
        (10, "date", "2025-12-01"),
    ]


def test_not_set_patterns_are_no_value_on_every_path() -> None:
    """All-F and A-F BCD and NaN/infinite reals carry no value, parsed or compiled."""
    records = (
        bytes.fromhex("0c13ffffffff")  # BCD, all F: "no value"
        + bytes.fromhex("0c13785634a2")  # BCD with an A nibble: an error value
        + b"\x05\x13"
        + struct.pack("<f", float("nan"))
        + b"\x05\x13"
        + struct.pack("<f", float("-inf"))
        + bytes.fromhex("0c1378563412")  # a real reading beside them
    )
    parsed = parse_records(records)
    assert [record.value for record in parsed.records] == [None, None, None, None, 12345678]
    layout = compile_layout(parsed.format_bytes)
    assert layout.decode_long(records) == (None, None, None, None, 12345678)
    compact = b"".join(records[i + 2 : i + 6] for i in range(0, len(records), 6))
    assert layout.decode_compact(compact) == (None, None, None, None, 12345678)


def test_a_variable_layout_refuses_compact_data_of_the_wrong_size() -> None:
    # With an LVAR record the layout has no struct: the sequential parse checks the size.
    layout = compile_layout(bytes.fromhex("0c13 032b 0d13"))
    data = bytes.fromhex("78563412 010000 c2 3412")
    with pytest.raises(MalformedRecords, match="shorter than its format"):
        layout.decode_compact(data[:6])
    with pytest.raises(MalformedRecords, match="longer than its format"):
        layout.decode_compact(data + b"\x00")


def test_a_variable_layout_rebuilds_the_full_frame() -> None:
    # The full-frame CRC of a compact frame is over headers and data interleaved, the LVAR
    # record's length byte included.
    layout = compile_layout(bytes.fromhex("0c13 032b 0d13"))
    data = bytes.fromhex("78563412 010000 c2 3412")
    assert layout.full_frame(data) == bytes.fromhex("0c13 78563412 032b 010000 0d13 c2 3412")
    records = parse_records(layout.full_frame(data))
    assert [record.value for record in records.records] == [12345678, 1, 1234]


def test_the_format_registry_forgets_the_oldest_learned_format_first() -> None:
    registry = FormatRegistry(max_size=2)
    declared = registry.declare(0x2C2D, 0x02, OMNIPOWER_FORMAT)
    formats = [compile_layout(bytes.fromhex(raw)) for raw in ("0413", "0c13", "0e13")]
    for layout in formats:
        registry.learn(0x2C2D, 0x16, layout)
    keys = [registry_key(0x2C2D, 0x16, layout.signature) for layout in formats]
    assert registry.lookup(keys[0]) is None  # evicted
    assert [registry.lookup(key) for key in keys[1:]] == formats[1:]
    assert registry.lookup(registry_key(0x2C2D, 0x02, declared.signature)) is declared
    assert len(registry) == 3  # the declared format stays beyond the learned bound
    registry.learn(0x2C2D, 0x16, formats[2])  # known already: nothing moves
    assert [layout for _, layout in registry.known()] == [declared, *formats[1:]]
