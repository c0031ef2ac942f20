from __future__ import annotations

from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.wmbus.protocol.ell import parse_ell
from custom_components.wmbus.protocol.errors import LengthMismatch, Truncated
from custom_components.wmbus.protocol.frame import (
    MeterAddress,
    device_type_name,
    manufacturer_code,
    manufacturer_id_from_code,
    meter_id_to_wire,
    parse_link_header,
)

from .conftest import VECTORS

# Every vector with header expectations (the HCI-only one, neg-seed-hci-crc, has none).
HEADER_VECTORS = [vector for vector in VECTORS if "expected" in vector]


def test_only_the_hci_only_vector_lacks_header_expectations() -> None:
    assert [v["id"] for v in VECTORS if "expected" not in v] == ["neg-seed-hci-crc"]


@pytest.mark.parametrize("vector", HEADER_VECTORS, ids=lambda vector: vector["id"])
def test_header_facts_of_every_vector(vector: dict[str, Any]) -> None:
    expected = vector["expected"]
    telegram = bytes.fromhex(vector["telegram_hex"])
    header = parse_link_header(telegram)
    assert header.manufacturer == expected["manufacturer"]
    assert header.manufacturer_id == expected["manufacturer_id"]
    assert header.meter_id == expected["meter_id"]
    assert header.version == expected["version"]
    assert header.device_type == expected["medium"]
    assert header.device_type_name == expected["medium_name"]
    assert header.c_field == expected["c_field"]
    assert header.ci == expected["ci"]
    ell = parse_ell(telegram)
    assert ell.cc == expected["ell_cc"]
    assert ell.access_number == expected["access_number"]
    assert ell.session_number is not None
    assert ell.session_number.to_bytes(4, "little").hex() == expected["sn_hex"]
    assert ell.sn_session == expected["sn_session"]
    assert ell.sn_time == expected["sn_time_minutes"]
    assert ell.encryption == expected["sn_encryption"]


def test_manufacturer_code_round_trip() -> None:
    assert manufacturer_code(0x2C2D) == "KAM"
    assert manufacturer_id_from_code("KAM") == 0x2C2D
    with pytest.raises(ValueError, match="three letters"):
        manufacturer_id_from_code("ka")


def test_meter_id_wire_order() -> None:
    assert meter_id_to_wire("32666857") == bytes.fromhex("57686632")
    with pytest.raises(ValueError, match="8 digits"):
        meter_id_to_wire("123")
    with pytest.raises(ValueError, match="hex digits"):
        meter_id_to_wire("3266685x")


def test_length_rule() -> None:
    telegram = bytes.fromhex("0a442d2c5768663230028d")
    assert parse_link_header(telegram).length == 10
    with pytest.raises(Truncated):
        parse_link_header(telegram[:-1])
    with pytest.raises(LengthMismatch):
        parse_link_header(telegram + b"\x00")
    with pytest.raises(Truncated):
        parse_link_header(b"")
    with pytest.raises(Truncated):
        parse_link_header(b"\x02\x44\x2d")


def test_reserved_device_type_is_not_guessed() -> None:
    assert device_type_name(0x02) == "electricity"
    assert device_type_name(0x3F) == "reserved 0x3f"


@given(st.binary(max_size=40))
def test_any_bytes_give_a_link_header_or_a_length_error(telegram: bytes) -> None:
    try:
        header = parse_link_header(telegram)
    except (Truncated, LengthMismatch):
        return
    assert header.length == len(telegram) - 1
    # The whole address survives the round trip through its wire form.
    address = header.address
    assert MeterAddress.from_wire(telegram[2:10]) == address
    if manufacturer_id_from_code_or_none(address.manufacturer) is not None:
        assert address.wire[2:] == telegram[4:10]


def manufacturer_id_from_code_or_none(code: str) -> int | None:
    try:
        return manufacturer_id_from_code(code)
    except ValueError:
        return None  # letters outside A-Z (reserved 5-bit codes) cannot be sent back


def test_meter_address_is_the_key_not_the_digits() -> None:
    kam = MeterAddress("KAM", "32666857", 0x30, 0x02)
    assert kam.wire == bytes.fromhex("2d2c5768663230 02")
    assert MeterAddress.from_wire(kam.wire) == kam
    assert kam != MeterAddress("KAM", "32666857", 0x31, 0x02)
    assert str(kam) == "KAM 32666857 v30 t02"
    with pytest.raises(ValueError, match="8 bytes"):
        MeterAddress.from_wire(kam.wire[:7])
    with pytest.raises(ValueError, match="bytes"):
        _ = MeterAddress("KAM", "32666857", 0x130, 0x02).wire
