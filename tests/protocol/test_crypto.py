from __future__ import annotations

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.wmbus.protocol.crypto import (
    AesCtr,
    aes_cbc_decrypt,
    aes_cbc_encrypt,
    crc16_en13757,
    crc16_x25,
    ell_counter_prefix,
)


def _bitwise_x25(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def _bitwise_en13757(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x3D65) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc ^ 0xFFFF


def test_crc_check_values() -> None:
    assert crc16_x25(b"123456789") == 0x906E
    assert crc16_en13757(b"123456789") == 0xC2B7


def test_crc_worked_examples_from_protocol() -> None:
    hci = bytes.fromhex("820321442d2c125000641b168d203f02d9f322205a0647e36848e40c452256907e501de9")
    assert crc16_x25(hci) == 0x6CFD
    assert crc16_en13757(bytes.fromhex("040404843c042b04ab3c")) == 0x8C13
    assert crc16_en13757(bytes.fromhex("79138c4491ce000000000000000300000000000000")) == 0x7011


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_pair_table_crcs_match_bitwise_definition(data: bytes) -> None:
    assert crc16_x25(data) == _bitwise_x25(data)
    assert crc16_en13757(data) == _bitwise_en13757(data)


def test_aes_ctr_worked_example() -> None:
    telegram = bytes.fromhex(
        "27442d2c5768663230028d202e21870320d3a4f149b1b8f5783df7434b8a66a55786499abe7bab59"
    )
    cipher = AesCtr(bytes.fromhex("9A25139E3244CC2E391A8EF6B915B697"))
    prefix = ell_counter_prefix(telegram)
    assert prefix.hex() == "2d2c57686632300220218703200000"
    stream = cipher.keystream(prefix, 32)
    assert stream[:16].hex() == "c2d4885a3dfc64b63df7434b8a66a554"
    assert stream[16:].hex().startswith("86499abe7bab5906")
    plain = cipher.decrypt(prefix, telegram[17:])
    assert plain.hex() == "117079138c4491ce000000000000000300000000000000"
    assert cipher.decrypt(prefix, plain) == telegram[17:]


def test_counter_clears_hop_and_repeated_access_bits() -> None:
    telegram = bytearray(bytes.fromhex("27442d2c5768663230028d20") + bytes(28))
    telegram[11] = 0x20 | 0x10 | 0x02
    assert ell_counter_prefix(bytes(telegram))[8] == 0x20


def test_bad_key_size_is_value_error() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        AesCtr(b"short")


def test_cbc_round_trip() -> None:
    key = bytes(range(16))
    iv = bytes(16)
    plain = b"\x2f\x2f" + bytes(30)
    assert aes_cbc_decrypt(key, iv, aes_cbc_encrypt(key, iv, plain)) == plain


def test_aes_cmac_rfc4493_examples() -> None:
    from custom_components.wmbus.protocol.crypto import aes_cmac

    key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    assert aes_cmac(key, b"").hex() == "bb1d6929e95937287fa37d129b756746"
    message = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
    assert aes_cmac(key, message).hex() == "070a16b46b4d4144f79bdd9dd04a287c"
    with pytest.raises(ValueError, match="16 bytes"):
        aes_cmac(key[:8], message)


def test_oms_mode7_key_derivation_worked_example() -> None:
    # wmbusmeters tests/test_frame_b_trim.sh: Engelmann Sensostar 43054304, AFL message
    # counter 155273.
    from custom_components.wmbus.protocol.crypto import (
        KDF_ENCRYPTION_FROM_METER,
        KDF_MAC_FROM_METER,
        oms_derive_key,
    )

    key = bytes.fromhex("622b9656991ff0c1574c0950cf9278d1")
    counter = bytes.fromhex("895e0200")
    meter_id = bytes.fromhex("04430543")
    kenc = oms_derive_key(key, KDF_ENCRYPTION_FROM_METER, counter, meter_id)
    kmac = oms_derive_key(key, KDF_MAC_FROM_METER, counter, meter_id)
    assert kenc.hex() == "bb13ab0fbbc1f043bdaa104cc8d2d428"
    assert kmac.hex() == "a69bd3f061c0c21e90d55d3f34117650"
    with pytest.raises(ValueError, match="4-byte"):
        oms_derive_key(key, KDF_MAC_FROM_METER, counter[:3], meter_id)
