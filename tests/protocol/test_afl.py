"""The AFL stage (afl.py): CI 90 fields, fragments and the MAC check."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.wmbus.protocol.afl import (
    CI_AFL,
    AuthenticationLayer,
    parse_afl,
    verify_mac,
)
from custom_components.wmbus.protocol.crypto import aes_cmac
from custom_components.wmbus.protocol.errors import Truncated, UnsupportedCi

# wmbusmeters tests/test_frame_b_trim.sh (Engelmann Sensostar): FCL 0x2C00, MCL 25,
# MCR 155273, 8-byte MAC.
SENSOSTAR_AFL = bytes.fromhex("900f002c25895e02003b0877d31da840b1")
TPL_START = bytes.fromhex("7a0e00900710")


def test_profile_b_afl_fields() -> None:
    afl, start = parse_afl(SENSOSTAR_AFL + TPL_START, 0)
    assert isinstance(afl, AuthenticationLayer)
    assert start == len(SENSOSTAR_AFL)
    assert (afl.fragment_control, afl.message_control, afl.key_information) == (0x2C00, 0x25, None)
    assert afl.message_counter == bytes.fromhex("895e0200")
    assert afl.mac == bytes.fromhex("3b0877d31da840b1")
    assert (afl.fragment_id, afl.more_fragments, afl.message_length) == (0, False, None)
    assert afl.mac_input_prefix() == bytes.fromhex("25895e0200")


def test_mac_covers_counter_and_transport_layer() -> None:
    kmac = bytes(range(16))
    transport = TPL_START + bytes(32)
    mac = aes_cmac(kmac, bytes.fromhex("25895e0200") + transport)[:8]
    afl, _ = parse_afl(SENSOSTAR_AFL[:9] + mac + transport, 0)
    assert verify_mac(afl, kmac, transport)
    assert not verify_mac(afl, kmac, transport[:-1] + b"\x01")
    assert not verify_mac(afl, bytes(16), transport)


def test_fragments_and_unknown_authentication_are_refused() -> None:
    more = bytearray(SENSOSTAR_AFL)
    more[3] |= 0x40  # FCL bit 14: more fragments follow
    with pytest.raises(UnsupportedCi, match="fragment"):
        parse_afl(bytes(more) + TPL_START, 0)
    gmac = bytearray(SENSOSTAR_AFL)
    gmac[4] = 0x28  # AT 8, AES-GMAC
    with pytest.raises(UnsupportedCi, match="authentication type 8"):
        parse_afl(bytes(gmac) + TPL_START, 0)


def test_message_length_is_read_after_the_mac() -> None:
    # FCL 0x3C00 adds ML (2 bytes) after the MAC; AFLL grows by 2.
    afl_bytes = bytes.fromhex("9011003c25895e0200") + bytes(8) + bytes.fromhex("3400")
    afl, start = parse_afl(afl_bytes + TPL_START, 0)
    assert (afl.message_length, start) == (0x34, len(afl_bytes))
    assert afl.mac_input_prefix() == bytes.fromhex("25895e02003400")


def test_afl_longer_than_the_telegram_is_truncated() -> None:
    with pytest.raises(Truncated):
        parse_afl(SENSOSTAR_AFL, 0)
    with pytest.raises(Truncated):
        parse_afl(bytes.fromhex("9003002c25") + TPL_START, 0)


@settings(max_examples=500)
@given(st.binary(max_size=40))
def test_any_afl_bytes_give_fields_or_a_declared_error(rest: bytes) -> None:
    buffer = bytes((CI_AFL,)) + rest
    try:
        afl, start = parse_afl(buffer, 0)
    except (Truncated, UnsupportedCi):
        return
    assert 2 <= start < len(buffer)
    assert not afl.more_fragments


def test_fields_that_run_past_the_afl_length_are_refused() -> None:
    short_mac = bytearray(SENSOSTAR_AFL)
    short_mac[1] = 0x0A  # AFLL 10: the 8-byte MAC would end 5 bytes after it
    with pytest.raises(Truncated, match="MAC runs past"):
        parse_afl(bytes(short_mac) + TPL_START, 0)
    # FCL 0x3C00 announces ML after the MAC, but AFLL still counts only up to the MAC.
    no_room_for_ml = bytes.fromhex("900f003c25895e0200") + bytes(8) + bytes.fromhex("3400")
    with pytest.raises(Truncated, match="message length runs past"):
        parse_afl(no_room_for_ml + TPL_START, 0)


def test_a_mac_without_an_authentication_type_is_refused() -> None:
    none = bytearray(SENSOSTAR_AFL)
    none[4] = 0x20  # MCL: counter present, AT 0 (no MAC) although FCL says a MAC follows
    with pytest.raises(UnsupportedCi, match="authentication type 0"):
        parse_afl(bytes(none) + TPL_START, 0)


def test_an_afl_without_a_mac_has_nothing_to_verify() -> None:
    # FCL 0x2800: message control and counter, no MAC; AFLL 7.
    afl, _ = parse_afl(bytes.fromhex("9007002820895e0200") + TPL_START, 0)
    assert afl.mac == b""
    assert verify_mac(afl, bytes(16), TPL_START)
