"""The TPL stage (tpl.py): headers by CI, security modes 0, 5 and 7, refusals with the mode."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.wmbus.protocol.afl import AuthenticationLayer, parse_afl
from custom_components.wmbus.protocol.crypto import (
    KDF_ENCRYPTION_FROM_METER,
    KDF_MAC_FROM_METER,
    aes_cbc_encrypt,
    aes_cmac,
    oms_derive_key,
)
from custom_components.wmbus.protocol.decoder import Decoder
from custom_components.wmbus.protocol.errors import (
    PayloadCrcMismatch,
    Truncated,
    UnknownMeter,
    UnsupportedEncryption,
    WrongKey,
)
from custom_components.wmbus.protocol.frame import MeterAddress
from custom_components.wmbus.protocol.tpl import (
    LONG_HEADER_CIS,
    SHORT_HEADER_CIS,
    TPL_CIS,
    open_tpl,
    parse_tpl,
)

# OMS Vol. 2 Annex N.2.1 (quoted in wmbusmeters issue #1207), link-layer CRCs removed: CFG 0x2520.
MODE5 = bytes.fromhex(
    "2e4493157856341233037a2a0020255923c95aaa26d1b2e7493b013ec4a6f6d3529b520edff0ea6defc99d6d69ebf3"
)
MODE5_KEY = bytes.fromhex("0102030405060708090a0b0c0d0e0f11")
DECLARED = (PayloadCrcMismatch, Truncated, UnknownMeter, UnsupportedEncryption)


def test_short_header_and_mode5_known_answer() -> None:
    header = parse_tpl(MODE5[10:])
    assert (header.ci, header.kind, header.access_number, header.status) == (0x7A, "short", 42, 0)
    assert (header.configuration, header.security_mode, header.encrypted_blocks) == (0x2520, 5, 2)
    assert (header.apl_offset, header.application, header.address) == (5, "records", None)
    apl = open_tpl(header, MODE5[10:], MODE5[2:10], MODE5_KEY, None)
    assert apl.hex().startswith("2f2f0c1427048502046d32371f1502fd170000")
    assert len(apl) == 32
    assert set(apl[19:]) == {0x2F}


def test_mode5_wrong_key_missing_key_and_plaintext_replay() -> None:
    header = parse_tpl(MODE5[10:])
    with pytest.raises(PayloadCrcMismatch, match="2F 2F"):
        open_tpl(header, MODE5[10:], MODE5[2:10], bytes(16), None)
    with pytest.raises(UnknownMeter):
        open_tpl(header, MODE5[10:], MODE5[2:10], None, None)
    # --plaintext: the bytes are taken as they are.
    assert open_tpl(header, MODE5[10:], MODE5[2:10], None, None, plaintext=True) == MODE5[15:]


def test_long_header_names_the_meter_behind_a_radio_module() -> None:
    transport = bytes.fromhex("72 78563412 9315 33 03 2a 00 0000") + b"\x2f"
    header = parse_tpl(transport)
    assert header.kind == "long"
    assert header.address == MeterAddress("ELS", "12345678", 0x33, 0x03)
    assert header.address_wire == bytes.fromhex("9315785634123303")
    assert (header.access_number, header.apl_offset) == (0x2A, 13)


def test_header_less_cis_share_one_header() -> None:
    assert parse_tpl(b"\x78\x04\x13") is parse_tpl(b"\x78")
    assert parse_tpl(b"\x79").application == "compact"
    assert parse_tpl(b"\x78").configuration is None


@pytest.mark.parametrize(("mode", "name"), [(2, "DES"), (8, "AES-CTR"), (10, "CCM"), (20, "manu")])
def test_modes_it_cannot_do_name_their_number(mode: int, name: str) -> None:
    transport = bytes((0x7A, 1, 0, 0x10, mode)) + bytes(16)
    header = parse_tpl(transport)
    with pytest.raises(UnsupportedEncryption, match=name) as caught:
        open_tpl(header, transport, MODE5[2:10], MODE5_KEY, None)
    assert caught.value.mode == mode


def test_every_tpl_ci_has_a_header_length() -> None:
    assert not SHORT_HEADER_CIS & LONG_HEADER_CIS
    for ci in TPL_CIS:
        header = parse_tpl(bytes((ci,)) + bytes(12))
        assert header.apl_offset == {"none": 1, "short": 5, "long": 13}[header.kind]


# --- security mode 7 (OMS profile B: ELL I, AFL with MAC, TPL 7A) ----------------------

MODE7_KEY = bytes.fromhex("622b9656991ff0c1574c0950cf9278d1")
LINK = bytes.fromhex("44c514044305430004")  # C, M (EFE), id 43054304, version 00, heat
COUNTER = bytes.fromhex("895e0200")
RECORDS = bytes.fromhex("2f2f0406a5240000041317941400") + b"\x2f" * 2
TRAILING = bytes.fromhex("02fd0b2111")


def mode7_telegram(key: bytes = MODE7_KEY) -> bytes:
    """A Sensostar-like profile B telegram built the way the meter builds it."""
    kenc = oms_derive_key(key, KDF_ENCRYPTION_FROM_METER, COUNTER, LINK[3:7])
    kmac = oms_derive_key(key, KDF_MAC_FROM_METER, COUNTER, LINK[3:7])
    ciphertext = aes_cbc_encrypt(kenc, bytes(16), RECORDS)
    transport = bytes.fromhex("7a0e00 1007 10") + ciphertext + TRAILING
    mac = aes_cmac(kmac, b"\x25" + COUNTER + transport)[:8]
    afl = bytes.fromhex("900f002c25") + COUNTER + mac
    body = LINK + bytes.fromhex("8c200e") + afl + transport
    return bytes((len(body),)) + body


def test_mode7_mac_then_derived_key_then_2f2f() -> None:
    telegram = mode7_telegram()
    afl, start = parse_afl(telegram[13:], 0)
    transport = telegram[13 + start :]
    header = parse_tpl(transport)
    assert (header.security_mode, header.encrypted_blocks, header.configuration_extension) == (
        7,
        1,
        0x10,
    )
    assert header.apl_offset == 6
    apl = open_tpl(header, transport, telegram[2:10], MODE7_KEY, afl)
    assert apl == RECORDS + TRAILING
    with pytest.raises(PayloadCrcMismatch, match="MAC"):
        open_tpl(header, transport, telegram[2:10], bytes(16), afl)
    without_counter = AuthenticationLayer(0, None, None, None, b"", None)
    with pytest.raises(UnsupportedEncryption, match="message counter"):
        open_tpl(header, transport, telegram[2:10], MODE7_KEY, without_counter)


def test_decoder_reads_a_mode7_telegram_and_counts_mac_failures() -> None:
    telegram = mode7_telegram()
    reading = Decoder({"43054304": MODE7_KEY}).decode(telegram)
    assert reading.access_number == 0x0E
    energy = [record for record in reading.records if record.header.quantity == "energy"]
    assert energy[0].scaled == 9381000  # 0x24a5 kWh in Wh
    assert reading.records[-1].data == bytes.fromhex("2111")  # trailing plaintext record
    wrong = Decoder({"43054304": bytes(16)}, duplicate_guard=False)
    kinds = []
    for _ in range(3):
        with pytest.raises(PayloadCrcMismatch) as caught:
            wrong.decode(telegram)
        kinds.append(caught.value.kind)
    assert kinds == ["payload_crc_mismatch", "payload_crc_mismatch", "wrong_key"]
    assert isinstance(caught.value, WrongKey)
    assert caught.value.header is not None


@settings(max_examples=500)
@given(st.sampled_from(sorted(TPL_CIS)), st.binary(max_size=60), st.booleans())
def test_any_tpl_bytes_give_an_apl_or_a_declared_error(ci: int, rest: bytes, keyed: bool) -> None:
    transport = bytes((ci,)) + rest
    try:
        header = parse_tpl(transport)
        apl = open_tpl(header, transport, MODE5[2:10], MODE5_KEY if keyed else None, None)
    except DECLARED:
        return
    assert len(apl) <= len(transport)
