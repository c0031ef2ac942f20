"""Meter profiles: discovery, detection, Home Assistant hints and manufacturer layouts.

The layouts are checked against wmbusmeters' driver-test telegrams from the corpus
(tests/data/vectors/wmbusmeters_corpus.json):
the payload is sliced out of the telegram here (the decoder's job), so these tests hold
whatever the decoder does, and every expected value of those telegrams must come out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from importlib import import_module
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.wmbus.protocol.decoder import WRONG_KEY_AFTER_FAILURES, Decoder, Reading
from custom_components.wmbus.protocol.errors import PayloadCrcMismatch, UnknownMeter
from custom_components.wmbus.protocol.frame import link_header_from_prefix, manufacturer_code
from custom_components.wmbus.protocol.meters import (
    GENERIC,
    PROFILES,
    PROFILES_BY_NAME,
    TPL_STATUS_ERRORS,
    TRANSPORT_STATUS,
    MeterProfile,
    field_values,
    medium_name,
    record_key,
    select_profile,
)
from custom_components.wmbus.protocol.meters.layout import synthetic_header
from custom_components.wmbus.protocol.meters.omnipower import OMNIPOWER_FORMAT
from custom_components.wmbus.protocol.meters.prios import (
    PRIOS_CHECK_BYTE,
    PRIOS_DEFAULT_KEYS,
    descramble,
)
from custom_components.wmbus.protocol.meters.profile import CURRENT_ALARMS
from custom_components.wmbus.protocol.records import Function, Record, compile_layout, parse_records
from custom_components.wmbus.protocol.tpl import status_errors
from tests.data import CORPUS_PATH

CORPUS: list[dict[str, Any]] = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))["vectors"]

# Drivers whose values come from a manufacturer layout, and the profile that must read them.
LAYOUT_DRIVERS = {
    "apator08": "apator08",
    "apator162": "apator162",
    "apatoreitn": "apatoreitn",
    "apatorna1": "apatorna1",
    "bfw240radio": "bfw240radio",
    "fhkvdataiii": "fhkvdataiii",
    "izarv2": "izar",
    "mkradio3a": "mkradio3a",
}
# wmbusmeters prints one number under two names; a decoded number stands for one of them.
DUPLICATE_NAMES = {("mkradio3a-01", "last_nov_m3")}


@dataclass(frozen=True)
class Address:
    manufacturer: str
    meter_id: str
    version: int
    device_type: int


def address_of(telegram: bytes) -> Address:
    return Address(
        manufacturer_code(telegram[2] | (telegram[3] << 8)),
        telegram[7:3:-1].hex(),
        telegram[8],
        telegram[9],
    )


def manufacturer_payload(telegram: bytes) -> tuple[int, bytes]:
    """CI and payload as the decoder hands them to a profile (plaintext corpus telegrams)."""
    ci = telegram[10]
    if 0xA0 <= ci <= 0xB7:
        return ci, telegram[11:]
    assert ci == 0x7A, f"no manufacturer payload in CI {ci:02x}"
    return ci, telegram[15:]  # after ACC, status and configuration word


def scaled_numbers(records: tuple[Record, ...]) -> list[tuple[str, float]]:
    """(unit, value) of every numeric record, units as the checker canonicalises them."""
    canonical = {"m3": 1.0, "L": 1e-3, "HCA": 1.0, "C": 1.0, "h": 1.0, "s": 1 / 3600}
    numbers = []
    for item in records:
        scaled = item.scaled
        if scaled is not None and item.header.unit in canonical:
            unit = {"L": "m3", "s": "h"}.get(item.header.unit, item.header.unit)
            numbers.append((unit, scaled * canonical[item.header.unit]))
    return numbers


def expected_unit(unit: str) -> str:
    return {"K": "C"}.get(unit, unit)


UNIT_SUFFIXES = frozenset({
    "kwh", "mwh", "gj", "w", "kw", "m3", "m3h", "c", "k", "hca", "h", "s", "min", "d", "v", "a",
    "hz", "rh", "bar", "kvarh", "kvah", "pct", "ppm",
})  # fmt: skip
TIME_SUFFIXES = {"s": 1 / 3600, "min": 1 / 60, "d": 24.0}
"""The corpus gives durations in hours."""
LAYOUT_VECTORS = [vector for vector in CORPUS if vector["driver"] in LAYOUT_DRIVERS]


def test_corpus_has_the_layout_vectors() -> None:
    assert {vector["driver"] for vector in LAYOUT_VECTORS} == set(LAYOUT_DRIVERS)
    assert sum(len(vector["expected_values"]) for vector in LAYOUT_VECTORS) >= 220


@pytest.mark.parametrize("vector", LAYOUT_VECTORS, ids=lambda vector: vector["id"])
def test_layout_reads_every_expected_value(vector: dict[str, Any]) -> None:
    telegram = bytes.fromhex(vector["telegram_hex"])
    address = address_of(telegram)
    profile = select_profile(address, None)
    assert profile.name == LAYOUT_DRIVERS[vector["driver"]]
    ci, payload = manufacturer_payload(telegram)
    key = bytes.fromhex(vector["key_hex"]) if vector["key_hex"] else None
    records = profile.decode_manufacturer(ci, payload, address, key)
    assert records
    assert all(item.header.raw == b"" for item in records)
    available = scaled_numbers(records)
    named = field_values(profile, records)
    for expected in vector["expected_values"]:
        field, value = expected["field"], float(expected["value"])
        if field in named:
            to_canonical = TIME_SUFFIXES.get(field.rsplit("_", 1)[-1], 1.0)
            assert named[field] * to_canonical == pytest.approx(value, rel=1e-9, abs=1e-9)
        unit = expected_unit(expected["quantity_unit"])
        match = next(
            (
                index
                for index, (have_unit, have) in enumerate(available)
                if have_unit == unit and have == pytest.approx(value, rel=1e-9, abs=1e-9)
            ),
            None,
        )
        if (vector["id"], field) in DUPLICATE_NAMES:
            continue
        assert match is not None, f"{field} = {value} not among {available}"
        del available[match]


def test_apator_na1_with_a_wrong_key_reads_nothing() -> None:
    vector = next(vector for vector in CORPUS if vector["driver"] == "apatorna1")
    telegram = bytes.fromhex(vector["telegram_hex"])
    profile = PROFILES_BY_NAME["apatorna1"]
    ci, payload = manufacturer_payload(telegram)
    assert profile.decode_manufacturer(ci, payload, address_of(telegram), bytes(range(16))) == ()
    assert profile.decode_manufacturer(ci, payload, address_of(telegram), None) == ()


def test_prios_with_a_wrong_key_fails_its_check_byte() -> None:
    vector = next(vector for vector in CORPUS if vector["driver"] == "izarv2")
    telegram = bytes.fromhex(vector["telegram_hex"])
    clear = [descramble(telegram, telegram[15:], key)[0] for key in PRIOS_DEFAULT_KEYS]
    assert PRIOS_CHECK_BYTE in clear
    assert descramble(telegram, telegram[15:], bytes(8))[0] != PRIOS_CHECK_BYTE


def test_a_layout_on_a_cut_payload_loses_only_what_is_missing() -> None:
    vector = next(vector for vector in CORPUS if vector["driver"] == "fhkvdataiii")
    telegram = bytes.fromhex(vector["telegram_hex"])
    profile = PROFILES_BY_NAME["fhkvdataiii"]
    ci, payload = manufacturer_payload(telegram)
    whole = profile.decode_manufacturer(ci, payload, address_of(telegram))
    cut = profile.decode_manufacturer(ci, payload[:11], address_of(telegram))
    assert len(whole) == 4
    assert cut == whole[:3]
    assert profile.decode_manufacturer(0xA5, payload, address_of(telegram)) == ()


def test_every_meter_module_is_discovered_once() -> None:
    names = [profile.name for profile in PROFILES]
    assert len(names) == len(set(names))
    assert PROFILES[-1] is GENERIC
    # The package's own folder: the same test runs against the installed wheel.
    meters_package = import_module("custom_components.wmbus.protocol.meters")
    meters_dir = Path(meters_package.__file__ or "").parent
    declared = 0
    for path in meters_dir.glob("[!_]*.py"):
        module = import_module(f"custom_components.wmbus.protocol.meters.{path.stem}")
        profile = getattr(module, "PROFILE", None)
        if profile is not None:
            declared += 1
            assert profile in PROFILES, path.stem
    assert declared == len(PROFILES) - 1  # GENERIC is the fallback, not a meter module


def test_profile_selection_by_record_set_and_address() -> None:
    omnipower = compile_layout(OMNIPOWER_FORMAT).signature
    assert select_profile(Address("KAM", "12345678", 0x30, 0x02), omnipower).name == "omnipower"
    assert select_profile(Address("KAM", "12345678", 0x33, 0x02), 0x1234).name != "omnipower"
    assert select_profile(Address("APT", "0014a807", 0x04, 0x11), None).name == "apator172"
    assert select_profile(Address("ZZZ", "00000001", 0x01, 0x07), None) is GENERIC
    # Diehl PRIOS telegrams carry no standard version/type: any Diehl meter without a
    # more specific profile is an IZAR.
    assert select_profile(Address("SAP", "21242472", 0xD4, 0x01), None).name == "izar"


def test_a_compact_format_is_declared_for_every_detected_pair() -> None:
    declared = set(PROFILES_BY_NAME["omnipower"].format_declarations())
    assert declared == {("KAM", 0x02, OMNIPOWER_FORMAT)}


def test_record_keys_are_stable_and_carry_the_unit() -> None:
    volume = Record(synthetic_header("volume", "m3", exponent=-3, storage=8), b"", 1)
    assert record_key(volume) == "volume_storage_8_m3"
    flow = Record(synthetic_header("volume_flow", "m3/h", function=Function.MAXIMUM), b"", 1)
    assert record_key(flow) == "max_volume_flow_m3h"
    assert record_key(Record(synthetic_header("hca_units", "HCA", tariff=2), b"", 1)) == (
        "hca_units_tariff_2_hca"
    )


def test_medium_names_know_techem_types() -> None:
    assert medium_name(0x07) == "water"
    assert medium_name(0x80) == "reserved 0x80"
    assert medium_name(0x31) == "communication controller"
    assert medium_name(0x80, "TCH") == "heat cost allocator"


def test_profiles_are_declarations() -> None:
    for profile in PROFILES:
        assert isinstance(profile, MeterProfile)
        assert profile.name
        assert profile.model
        for spec in profile.fields:
            if spec.quantity in {"error_flags", CURRENT_ALARMS, TRANSPORT_STATUS}:
                assert spec.key in {"error_flags", "status_errors"}, spec.key  # bits: no unit
                continue
            assert spec.key.rsplit("_", 1)[-1] in UNIT_SUFFIXES, spec.key


def test_qundis_walk_by_record_gives_its_units() -> None:
    vector = next(vector for vector in CORPUS if vector["id"] == "qcaloric-02")
    telegram = bytes.fromhex(vector["telegram_hex"])
    address = address_of(telegram)
    profile = select_profile(address, None)
    assert profile.name == "qcaloric"
    records = parse_records(telegram[11:]).records  # CI 78: records follow the CI
    extra = profile.expand_records(records, address)
    assert [(item.header.storage, item.value) for item in extra] == [(0, 97), (1, 270), (17, 97)]
    named = field_values(profile, (*records, *extra))
    assert named["current_consumption_hca"] == 97
    assert named["consumption_at_set_date_hca"] == 270
    assert named["consumption_at_set_date_17_hca"] == 97
    assert PROFILES_BY_NAME["bfw240radio"].expand_records(records, address) == ()


# Test telegrams of wmbusmeters' driver files for meter types outside the corpus in tests/data.
DRIVER_TESTS = [
    (
        "2f446850313233347462a2069f255900b029310000000306060906030609070606050509050505050407"
        "040605070500",
        "mkradio3",
        {"total_m3": 13.8, "target_m3": 8.9},
    ),
    (
        "2f446850200141029562a2067029010060170300040003000000000000000000000000000000000000"
        "00000000000000",
        "mkradio4",
        {"total_m3": 0.4, "target_m3": 0.1},
    ),
    (
        "374468506549235827c3a2129f25383300a8622600008200800a2af862115175552877a36f26c9ab1c"
        "b24400000004000000000004908002",
        "vario451",
        {"total_kwh": 6371.666666666667, "previous_kwh": 3642.222222222222},
    ),
    (
        "36446850626262624543a1009f2777010060780000000a000000000000000000000000000000000000"
        "000000000000a0400000b4010000",
        "compact5",
        {"total_kwh": 495.0, "previous_kwh": 375.0},
    ),
    (
        "1c44148607a814000411a01d5400000840030000000005ff05d83d0000",
        "apator172",
        {"total_m3": 7177.666666666667},
    ),
]


@pytest.mark.parametrize(("telegram_hex", "name", "expected"), DRIVER_TESTS)
def test_driver_test_telegrams(telegram_hex: str, name: str, expected: dict[str, float]) -> None:
    telegram = bytes.fromhex(telegram_hex)
    address = address_of(telegram)
    profile = select_profile(address, None)
    assert profile.name == name
    ci, payload = manufacturer_payload(telegram)
    values = field_values(profile, profile.decode_manufacturer(ci, payload, address))
    assert values == pytest.approx(expected, rel=1e-12)


def test_zenner_0b_reads_its_manufacturer_data() -> None:
    telegram = bytes.fromhex("1e44496a677308500b167ad80010252f2f0f0000000080bf1b0000a6420000")
    address = address_of(telegram)
    profile = select_profile(address, None)
    assert profile.name == "zenner0b"
    records = profile.decode_manufacturer_data(telegram[18:], address)  # after 2F 2F 0F
    assert field_values(profile, records) == pytest.approx(
        {"total_m3": 17.062, "target_m3": 7.1035}
    )


# Where the corpus driver and the profile differ, and why.
DETECTION_EXCEPTIONS = {
    "izarv2": "izar",  # PRIOS addresses carry no standard version/type: any Diehl meter
    "ultrimis": "ultrimisv2",  # wmbusmeters' rewrite of the same meter (APA/0x01/0x16)
    # A Wehrle meter behind a Techem radio module, which wmbusmeters' test reads with
    # mkradio4a: by the meter's own (TPL) address it is a WEH water meter.
    "mkradio4a-02": "weh_07",
    "omnipower": "generic",  # detected by its record format, which this test does not pass
    "hydroclima": "generic",  # first-generation Hydroclima: no public layout facts
}


def meter_address(telegram: bytes) -> Address:
    """The meter's address: the long TPL header's (CI 72) if there is one, else the link's."""
    start = {0x72: 11}.get(telegram[10])
    if telegram[10] == 0x8C and telegram[13] == 0x72:  # ELL I in front
        start = 14
    if start is None:
        return address_of(telegram)
    tpl = telegram[start : start + 8]
    return Address(manufacturer_code(tpl[4] | (tpl[5] << 8)), tpl[3::-1].hex(), tpl[6], tpl[7])


@pytest.mark.parametrize("vector", CORPUS, ids=lambda vector: vector["id"])
def test_every_corpus_meter_gets_its_profile(vector: dict[str, Any]) -> None:
    address = meter_address(bytes.fromhex(vector["telegram_hex"]))
    driver = vector["driver"]
    expected = DETECTION_EXCEPTIONS.get(vector["id"], DETECTION_EXCEPTIONS.get(driver, driver))
    assert select_profile(address, None).name == expected


WALK_BY_TESTS = [
    (
        "4b449344483635121806780dff5f350082da0000600107c113ffff48200000bf2c91170000df212020"
        "0000008001000000060019001000160018000d001300350017002f046d370cc422c759",
        "qwaterv2",
        {"total_m3": 2.048, "target_m3": 2.02, "target_year_m3": 1.791},
    ),
    (
        "58449344414620684737780779414620689344470c0dff5f3500825a00000e0007c00dffff31080300"
        "1f3c036800003e34310803000080008000800080008000800000931a92293128190c00002f02fd17"
        "0000046d000f3235",
        "qheatv2",
        {"total_kwh": 856.4166666666666, "target_kwh": 856.4166666666666,
         "target_year_kwh": 188.97222222222223},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("telegram_hex", "name", "expected"), WALK_BY_TESTS)
def test_qundis_walk_by_of_water_and_heat_meters(
    telegram_hex: str, name: str, expected: dict[str, float]
) -> None:
    telegram = bytes.fromhex(telegram_hex)
    address = address_of(telegram)
    profile = select_profile(address, None)
    assert profile.name == name
    records = parse_records(telegram[11:]).records
    values = field_values(profile, (*records, *profile.expand_records(records, address)))
    assert {key: values[key] for key in expected} == pytest.approx(expected, rel=1e-12)


def test_kamstrup_info_codes_become_problem_flags() -> None:
    profile = PROFILES_BY_NAME["kamheat"]
    address = Address("KAM", "12345678", 0x30, 0x04)
    records = parse_records(bytes.fromhex("04ff2204000000" + "0406e8030000")).records
    (flags,) = profile.expand_records(records, address)
    assert flags.header.quantity == "error_flags"
    assert flags.value == 4  # bit 2: sensor error
    assert flags.header.quantity == "error_flags"  # a problem in Home Assistant (display_hints)


CORPUS_BY_ID: dict[str, dict[str, Any]] = {vector["id"]: vector for vector in CORPUS}


def corpus_decoder(vector_id: str) -> tuple[Decoder, bytes]:
    """A decoder keyed as the corpus says for one of its telegrams, and that telegram."""
    vector = CORPUS_BY_ID[vector_id]
    telegram = bytes.fromhex(vector["telegram_hex"])
    decoder = Decoder(duplicate_guard=False)
    key = bytes.fromhex(vector["key_hex"]) if vector["key_hex"] else None
    decoder.set_key(telegram[7:3:-1].hex(), key, payload_is_plaintext=vector["needs_plaintext"])
    return decoder, telegram


def decode_corpus(vector_id: str) -> Reading:
    """A corpus telegram through the whole decoder."""
    decoder, telegram = corpus_decoder(vector_id)
    return decoder.decode(telegram)


@pytest.mark.parametrize(
    ("vector_id", "flags"),
    [
        ("kaden-01", 8),  # FD 17 with a bit set
        ("kaden-02", 0),
        ("q400-04", 1),  # 34 FD 17: "value during error state"
        ("q400-05", 0),
        ("kamheat-11", 0x10060),  # Kamstrup info codes (04 FF 22)
        ("kamheat-09", 0),
        ("waterstarm-03", 0x40),
        ("ei6500-01", 0),  # a smoke detector: its flags are all it declares
        ("izarv2-01", 0x402000),  # PRIOS status bytes: meter blocked, underflow
        ("izarv2-06", 0),  # only "leakage before": no alarm now
        ("ultrimisv2-01", 0x08),  # NO_FLOW now (and this month, and TAMPER last month)
        ("ultrimisv2-02", 0x14),  # DRY, HIGH_TEMPERATURE (and NO_FLOW last month)
        ("ultrimisv2-03", 0),  # only last month's and this month's history
        ("gransystems-01", 0),  # 0x01020000: "single-phase meter", no error
        ("gransystems-02", 0x02),  # RTC error beside "three-phase meter"
        ("lansensm-02", 0x04),  # SMOKE, from 02 FD 97 1D
        ("em24-01", 0x22),
    ],
)
def test_error_flags_are_problem_fields_on_while_a_bit_is_set(vector_id: str, flags: int) -> None:
    reading = decode_corpus(vector_id)
    value = reading.values["error_flags"]
    assert value == flags
    assert type(value) is int  # Home Assistant shows numbers only, and bool is no number
    (spec,) = [
        spec for spec in PROFILES_BY_NAME[reading.profile].fields if spec.key == "error_flags"
    ]
    assert spec.quantity in {"error_flags", CURRENT_ALARMS}  # a problem in display_hints


@pytest.mark.parametrize(
    ("vector_id", "errors"),
    [
        ("q400-04", 0x10),  # temporary error
        ("waterstarm-02", 0x04),  # power low
        ("kadenwater-04", 0x03),  # 0x63: alarm; bits 5..6 are Kaden's own
        ("kaden-02", 0),
    ],
)
def test_tpl_status_errors_are_a_problem_field(vector_id: str, errors: int) -> None:
    decoder, telegram = corpus_decoder(vector_id)
    first = decoder.decode(telegram)
    again = decoder.decode(telegram)  # the meter's compiled layout: the fast path
    assert first.values["status_errors"] == again.values["status_errors"] == errors
    assert type(first.values["status_errors"]) is int
    profile = PROFILES_BY_NAME[first.profile]
    assert TPL_STATUS_ERRORS in profile.fields
    assert TPL_STATUS_ERRORS.quantity == TRANSPORT_STATUS


def test_a_meter_without_a_tpl_header_has_no_status_errors() -> None:
    telegram = bytes.fromhex(
        "23442d2c998734761b168d2087d19ead217f1779eda86ab6710008190000081900007f13"
    )  # Multical 21, CI 79: no TPL header, so no status byte (absent, never 0)
    decoder = Decoder(duplicate_guard=False)
    decoder.set_key("76348799", None, payload_is_plaintext=True)
    assert "status_errors" not in decoder.decode(telegram).values


@pytest.mark.parametrize(
    ("status", "errors"),
    [(0x00, 0), (0x01, 0), (0x02, 0x02), (0x03, 0x03), (0x05, 0x04), (0x1F, 0x1F), (0xE0, 0)],
)
def test_tpl_status_errors_leave_out_busy_and_the_manufacturer_bits(
    status: int, errors: int
) -> None:
    assert status_errors(status) == errors


def test_a_profile_field_reads_a_unitless_bit_field() -> None:
    flags = Record(synthetic_header("error_flags", ""), b"\x05", 5)
    assert field_values(PROFILES_BY_NAME["kaden"], (flags,)) == {"error_flags": 5}
    assert field_values(PROFILES_BY_NAME["kaden"], (replace(flags, value=0),)) == {"error_flags": 0}


def test_multical_21_compact_frame_decodes_before_any_long_frame() -> None:
    # wmbusmeters' simulation_c1.txt compact frame (plaintext), format signature a8ed.
    telegram = bytes.fromhex(
        "23442d2c998734761b168d2087d19ead217f1779eda86ab6710008190000081900007f13"
    )
    decoder = Decoder(duplicate_guard=False)
    decoder.set_key("76348799", None, payload_is_plaintext=True)
    reading = decoder.decode(telegram)
    assert reading.profile == "kamwater"
    assert reading.frame == "compact"
    assert reading.values["total_m3"] == pytest.approx(6.408)
    assert reading.values["target_m3"] == pytest.approx(6.408)
    # Info code 0x0071: DRY now (bit 0), dry for 22-31 days (bits 4..6, no alarm of its own).
    assert reading.values["error_flags"] == 0x01


@pytest.mark.parametrize(
    ("info_code", "alarms"),
    [("7100", 0x01), ("7000", 0), ("0c00", 0x0C), ("00e0", 0)],
)
def test_multical_21_alarms_are_the_current_bits_only(info_code: str, alarms: int) -> None:
    profile = PROFILES_BY_NAME["kamwater"]
    address = Address("KAM", "76348799", 0x1B, 0x16)
    records = parse_records(bytes.fromhex("02ff20" + info_code + "041308190000")).records
    assert field_values(profile, (*records, *profile.expand_records(records, address))) == {
        "error_flags": alarms,
        "total_m3": pytest.approx(6.408),
    }


SHARKY_REAL_DATA = (
    "534424232004256092687a370045752235854deeea5939fad81c25feef5a23c38fb9168493c563f08db10b"
    "af87f660fba91296ba2397e8f4220b86d3a192fb51e0bfcf24dce72118e0c75a9e89f43bdfe370824b"
)
"""wmbusmeters' Sharky test telegram: CI 7A, security mode 21, Diehl-ordered address."""


def test_diehl_real_data_is_descrambled_into_records() -> None:
    telegram = bytes.fromhex(SHARKY_REAL_DATA)
    address = address_of(telegram)
    profile = select_profile(address, None)
    assert profile.name == "sharky"  # by the Diehl address: HYD, version 0x20, type 0x04
    records = profile.decode_manufacturer(0x7A, telegram[11:], address)
    values = field_values(profile, records)
    assert values["total_energy_consumption_kwh"] == 2651
    assert values["total_volume_m3"] == pytest.approx(150.347)
    assert values["flow_temperature_c"] == pytest.approx(42.3)
    assert values["return_temperature_c"] == pytest.approx(28.1)
    spoiled = bytearray(telegram)
    spoiled[20] ^= 0x01  # the byte-sum check no longer holds
    assert profile.decode_manufacturer(0x7A, bytes(spoiled[11:]), address) == ()


def _meter_id(telegram: bytes | bytearray) -> str:
    """The id of the meter a telegram is from: behind a radio module, the long header's."""
    return link_header_from_prefix(bytes(telegram)).address.meter_id


HYDRUS_MODE_5 = (
    "6644242328001081640e7266567464a51170071f0050052c411a08674048dd6ba82a0df79ffd401309179a"
    "893a1be3ce8edc50c2a45cd7afec3b4ce765820be8056c124a17416c3722985ffff7fceb7094901ab3a162"
    "94b511b9a740c9f9911352b42a72fb3b0c"
)
"""wmbusmeters' Hydrus test telegram behind a radio module (CI 72), mode 5, no key given."""


def test_diehl_meters_without_a_key_use_the_published_default_key() -> None:
    telegram = bytes.fromhex(HYDRUS_MODE_5)
    profile = PROFILES_BY_NAME["hydrus"]
    assert profile.default_key is not None
    decoder = Decoder({_meter_id(telegram): None}, duplicate_guard=False)
    reading = decoder.decode(telegram)
    assert reading.profile == "hydrus"
    assert reading.values["total_m3"] == pytest.approx(137.291)
    assert reading.values["total_at_date_m3"] == pytest.approx(128.638)


def test_a_diehl_meter_with_its_own_key_stays_without_key_not_wrong_key() -> None:
    telegram = bytearray.fromhex(HYDRUS_MODE_5)
    telegram[30] ^= 0x01  # ciphertext of the first block: the 2F 2F check fails
    decoder = Decoder({_meter_id(telegram): None}, duplicate_guard=False)
    for _ in range(WRONG_KEY_AFTER_FAILURES + 1):
        with pytest.raises(UnknownMeter, match="default key does not open"):
            decoder.decode(bytes(telegram))


def test_a_configured_key_is_never_replaced_by_the_default_key() -> None:
    telegram = bytes.fromhex(HYDRUS_MODE_5)
    decoder = Decoder({_meter_id(telegram): bytes(16)}, duplicate_guard=False)
    with pytest.raises(PayloadCrcMismatch):
        decoder.decode(telegram)
    assert decoder.try_key(telegram, PROFILES_BY_NAME["hydrus"].default_key or b"").profile == (
        "hydrus"
    )


def test_hydrodigit_not_set_backflow_and_monthly_totals_are_no_value() -> None:
    # hydrodigit-05: contents 0x05 (battery, backflow), backflow 1 litre.
    telegram = bytearray.fromhex(
        "2144b4099163742315077a400000000c1399999999046d092a30340f050b01000000"
    )
    decoder = Decoder({_meter_id(telegram): None}, duplicate_guard=False)
    assert decoder.decode(bytes(telegram)).values["backflow_m3"] == pytest.approx(0.001)
    telegram[-4:] = b"\xff\xff\xff\xff"  # the backflow block's "not set" marker
    values = decoder.decode(bytes(telegram)).values
    assert "backflow_m3" not in values  # not 4,294,967.295 m3
    assert values["total_m3"] == pytest.approx(99999.999)
    # hydrodigit-04: June's block is all bits set before the module was installed.
    before_installation = bytes.fromhex(
        "4944b4092243658713077a7f0000000c1363020400046d242c12360f950a24042507000000a405006e"
        "0700850900ca0b004a0e00ffffffffffff020000020000250000b3010095030000"
    )
    decoder.set_key(_meter_id(before_installation), None)
    values = decoder.decode(before_installation).values
    assert "june_total_m3" not in values
    assert "july_total_m3" not in values
    assert values["may_total_m3"] == pytest.approx(36.58)


def test_techem_smoke_detector_ci_a0_version_0x76() -> None:
    # wmbusmeters drivers/src/tsd2.xmq tests: status OK, SMOKE, DEFECT.
    telegram = bytearray.fromhex(
        "294468506935639176f0a0009f2782290060822900000401d6311af93e1bf93e008dc3009ed4000fe500"
    )
    decoder = Decoder({_meter_id(telegram): None}, duplicate_guard=False)
    for status in (0x00, 0x01, 0x80):
        telegram[11] = status
        reading = decoder.decode(bytes(telegram))
        assert (reading.profile, reading.frame) == ("tsd2", "manufacturer")
        assert reading.values["error_flags"] == status
