"""The ELL stage (ell.py): CI 8C/8D/8E read, 8D decrypted and CRC-checked."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.wmbus.protocol.crypto import AesCtr, crc16_en13757
from custom_components.wmbus.protocol.ell import (
    CI_ELL_I,
    CI_ELL_II,
    CI_ELL_III,
    ELL_CIS,
    ExtendedLink,
    open_ell,
    parse_ell,
)
from custom_components.wmbus.protocol.errors import (
    PayloadCrcMismatch,
    Truncated,
    UnknownMeter,
    UnsupportedCi,
    UnsupportedEncryption,
)
from custom_components.wmbus.protocol.frame import MeterAddress

from .conftest import VECTORS_BY_ID

LONG_VECTOR = VECTORS_BY_ID["op-real-long-64-61dd0320"]
LONG = bytes.fromhex(LONG_VECTOR["telegram_hex"])
KEY = bytes.fromhex(LONG_VECTOR["key_hex"])
DECLARED = (PayloadCrcMismatch, Truncated, UnknownMeter, UnsupportedCi, UnsupportedEncryption)


def test_ell_ii_is_decrypted_and_its_crc_removed() -> None:
    ell = open_ell(LONG, AesCtr(KEY))
    plain = bytes.fromhex(LONG_VECTOR["expected"]["decrypted_payload_hex"])
    assert isinstance(ell, ExtendedLink)
    assert (ell.ci, ell.cc, ell.access_number, ell.encryption) == (CI_ELL_II, 0x20, 100, 1)
    assert ell.payload == plain[2:]
    assert ell.payload[0] == 0x78
    assert ell.size == 8


def test_ell_ii_wrong_key_and_missing_key() -> None:
    with pytest.raises(PayloadCrcMismatch) as caught:
        open_ell(LONG, AesCtr(bytes(16)))
    assert caught.value.header is not None
    assert caught.value.header.meter_id == "32666857"
    with pytest.raises(UnknownMeter, match="no key"):
        open_ell(LONG, None)


def test_parse_ell_reads_without_decrypting() -> None:
    ell = parse_ell(LONG)
    assert ell.payload == LONG[17:]
    assert ell.session_number == int.from_bytes(LONG[13:17], "little")


def test_ell_i_and_iii_carry_no_session_number() -> None:
    body = LONG[1:10] + bytes((CI_ELL_I, 0x20, 0x07, 0x78)) + b"\x2f"
    ell = open_ell(bytes((len(body),)) + body, None)
    assert (ell.ci, ell.access_number, ell.session_number, ell.encryption) == (
        CI_ELL_I,
        7,
        None,
        0,
    )
    assert ell.payload == b"\x78\x2f"
    second = bytes.fromhex("2d2c1122334401 02")
    body = LONG[1:10] + bytes((CI_ELL_III, 0x00, 0x09)) + second + b"\x78"
    ell = open_ell(bytes((len(body),)) + body, None)
    assert ell.second_address == MeterAddress("KAM", "44332211", 1, 2)
    assert (ell.payload, ell.size) == (b"\x78", 10)


def test_reserved_ell_encryption_and_ci() -> None:
    reserved = bytearray(LONG)
    reserved[16] = (reserved[16] & 0x1F) | 0x40  # ENC 2
    with pytest.raises(UnsupportedEncryption, match="reserved"):
        open_ell(bytes(reserved), AesCtr(KEY))
    ell_v = bytearray(LONG)
    ell_v[10] = 0x86  # ELL V: variable, no layout to read
    with pytest.raises(UnsupportedCi):
        open_ell(bytes(ell_v), AesCtr(KEY))


@settings(max_examples=500)
@given(st.sampled_from(sorted(ELL_CIS)), st.binary(max_size=60), st.booleans())
def test_any_ell_bytes_give_a_result_or_a_declared_error(ci: int, rest: bytes, keyed: bool) -> None:
    telegram = LONG[:10] + bytes((ci,)) + rest
    failure = None
    try:
        ell = open_ell(telegram, AesCtr(KEY) if keyed else None)
    except DECLARED as error:
        failure = error
    if failure is not None:
        assert failure.header is not None  # every refusal names the telegram's meter
        return
    assert ell.ci == ci
    assert len(ell.payload) < len(telegram) - 10


def _ell_iv_telegram(*, encrypt: bool) -> bytes:
    """The OmniPower's payload under CI 8F (ELL IV), encrypted with the project's AES-CTR."""
    plain = open_ell(LONG, AesCtr(KEY)).payload
    second = MeterAddress("KAM", "44332211", 0x01, 0x02).wire
    cc, sn = 0x20, bytes.fromhex("21870320")  # SN bits 29..31 = 1: AES-CTR
    body = crc16_en13757(plain).to_bytes(2, "little") + plain
    if encrypt:
        counter = second + bytes((cc & 0xED,)) + sn + b"\x00\x00"
        body = AesCtr(KEY).decrypt(counter, body)  # CTR: the same operation both ways
    frame = LONG[1:10] + bytes((0x8F, cc, 0x2E)) + second + sn + body
    return bytes((len(frame),)) + frame


def test_ell_iv_is_decrypted_with_its_own_address_and_its_crc_removed() -> None:
    telegram = _ell_iv_telegram(encrypt=True)
    plain = open_ell(LONG, AesCtr(KEY)).payload
    ell = open_ell(telegram, AesCtr(KEY))
    assert (ell.ci, ell.cc, ell.access_number, ell.size) == (0x8F, 0x20, 0x2E, 16)
    assert ell.encryption == 1
    assert ell.second_address == MeterAddress("KAM", "44332211", 0x01, 0x02)
    assert ell.payload == plain
    assert parse_ell(telegram).payload == telegram[25:]  # read only: as sent
    with pytest.raises(PayloadCrcMismatch):
        open_ell(telegram, AesCtr(bytes(16)))
    with pytest.raises(UnknownMeter):
        open_ell(telegram, None)
    # Already decrypted (the CRC fits as sent): read without a key.
    assert open_ell(_ell_iv_telegram(encrypt=False), None).payload == plain
    # The decoder reads what follows it as after 8D.
    from custom_components.wmbus.protocol.decoder import Decoder

    meter_id = LONG[7:3:-1].hex()
    expected = Decoder({meter_id: KEY}).decode(LONG).values
    assert Decoder({meter_id: KEY}).decode(telegram).values == expected


def test_ell_sizes_and_a_cut_off_ell_ii_header() -> None:
    body = LONG[1:10] + bytes((CI_ELL_I, 0x20, 0x07, 0x78))
    assert open_ell(bytes((len(body),)) + body, None).size == 2
    # CI 8D promises CC, ACC, SN and the payload CRC: fewer bytes are refused, not guessed.
    cut = LONG[:16]
    with pytest.raises(Truncated):
        parse_ell(cut)
