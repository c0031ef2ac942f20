"""Reading Kamstrup KEM key files: real layout, passwords, and each way a file can be wrong."""

from __future__ import annotations

import base64
import io
import zipfile

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
import pytest

from custom_components.wmbus.protocol.kem import (
    DamagedKemFile,
    KemError,
    NoMetersInKem,
    NotAKemFile,
    WrongKemPassword,
    kem_password_key,
    read_kem,
)
from tests.kem_files import (
    EXAMPLE_KEM,
    EXAMPLE_METERS,
    EXAMPLE_PASSWORD,
    Entry,
    encrypt_document,
    kem_file,
    zip_document,
)

KEY_A = "00112233445566778899AABBCCDDEEFF"
KEY_B = "F0E1D2C3B4A5968778695A4B3C2D1E0F"


def test_shared_example_gives_both_meters_with_their_keys() -> None:
    kem = read_kem(EXAMPLE_KEM.read_bytes(), EXAMPLE_PASSWORD)
    assert {m.meter_id: m.key.hex().upper() for m in kem.meters} == EXAMPLE_METERS
    first = kem.meters[0]
    assert (first.manufacturer, first.name, first.consumption_type) == (
        "KAM",
        "OMNIPOWER",
        "Electricity",
    )
    assert kem.skipped == 0


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "bare-xml"])
def test_built_file_zip_or_bare_xml(zipped: bool) -> None:
    content = kem_file(
        [Entry("41290001", KEY_A), Entry("74493770", KEY_B, name="FLOWIQ 21XX")],
        "12345",
        zipped=zipped,
    )
    kem = read_kem(content, "12345")
    assert [(m.meter_id, m.key.hex().upper(), m.name) for m in kem.meters] == [
        ("41290001", KEY_A, "MC21"),
        ("74493770", KEY_B, "FLOWIQ 21XX"),
    ]
    assert kem.order_id == "25128404"


def test_password_longer_than_16_characters_uses_its_first_16_bytes() -> None:
    password = "a-very-long-password-of-34-letters"
    content = kem_file([Entry("41290001", KEY_A)], password)
    assert read_kem(content, password).meters[0].key.hex().upper() == KEY_A
    # The 17th character on is not part of the key: any tail opens the file ...
    assert read_kem(content, password[:16] + "whatever").meters[0].meter_id == "41290001"
    # ... a change within the first 16 does not.
    with pytest.raises(WrongKemPassword):
        read_kem(content, "A" + password[1:])


def test_password_is_exact_and_short_ones_are_zero_padded() -> None:
    content = kem_file([Entry("41290001", KEY_A)], "Greenify")
    assert kem_password_key("Greenify") == b"Greenify" + bytes(8)
    assert read_kem(content, "Greenify\x00").meters  # trailing NULs are the padding
    for wrong in ("greenify", "Greenify ", ""):
        with pytest.raises(WrongKemPassword):
            read_kem(content, wrong)


def test_non_ascii_password_is_utf8() -> None:
    content = kem_file([Entry("41290001", KEY_A)], "kælder-ø")
    assert read_kem(content, "kælder-ø").meters[0].meter_id == "41290001"


def test_wrong_password_message_names_neither_password_nor_key() -> None:
    content = kem_file([Entry("41290001", KEY_A)], "secret-pass")
    with pytest.raises(WrongKemPassword) as caught:
        read_kem(content, "my-guess-123")
    assert "my-guess" not in str(caught.value)
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"just some text",
        b'<?xml version="1.0"?><MetersInOrder orderid="" schemaVersion="2.0"/>',
        zip_document(b"<x/>", member="readme.txt"),
        b"\x89PNG\r\n\x1a\n" + bytes(64),
    ],
    ids=["empty", "text", "plain-xml", "zip-without-kem", "png"],
)
def test_not_a_kem_file(content: bytes) -> None:
    with pytest.raises(NotAKemFile):
        read_kem(content, "12345")


def test_a_document_type_declaration_is_refused() -> None:
    content = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><EncryptedData>&a;</EncryptedData>'
    with pytest.raises(NotAKemFile):
        read_kem(content, "12345")


def test_damaged_files() -> None:
    good = encrypt_document(b"<MetersInOrder orderid='' schemaVersion='2.0'/>", "12345")
    truncated_zip = zip_document(good)[:40]
    with pytest.raises(DamagedKemFile):
        read_kem(truncated_zip, "12345")
    not_base64 = good.replace(b"<CipherValue>", b"<CipherValue>***")
    with pytest.raises(DamagedKemFile):
        read_kem(not_base64, "12345")
    no_value = good.split(b"<CipherData>")[0] + b"</EncryptedData>"
    with pytest.raises(DamagedKemFile):
        read_kem(no_value, "12345")
    value = good.split(b"<CipherValue>")[1].split(b"</CipherValue>")[0]
    short = base64.b64encode(base64.b64decode(value)[:-3])
    with pytest.raises(DamagedKemFile):
        read_kem(good.replace(value, short), "12345")


def test_corrupt_ciphertext_with_the_right_password_is_damaged_not_wrong_password() -> None:
    entries = [Entry(f"4129{n:04d}", KEY_A) for n in range(6)]
    document = kem_file(entries, "12345", zipped=False)
    value = document.split(b"<CipherValue>")[1].split(b"</CipherValue>")[0]
    ciphertext = bytearray(base64.b64decode(value))
    ciphertext[100] ^= 0xFF  # garbles blocks 6 and 7 of the plaintext, not its start
    damaged = document.replace(value, base64.b64encode(bytes(ciphertext)))
    with pytest.raises(DamagedKemFile):
        read_kem(damaged, "12345")


def test_no_meters() -> None:
    without_keys = kem_file([Entry("41290001", None), Entry("41290002", None)], "12345")
    with pytest.raises(NoMetersInKem):
        read_kem(without_keys, "12345")
    flow_sensors = kem_file(
        [],
        "12345",
        plaintext=b'<FlowSensorsInOrder orderid="" schemaVersion="2.0"><FlowSensor>'
        b"<SerialNo>1</SerialNo><EncPasswords><UFPW>x</UFPW></EncPasswords></FlowSensor>"
        b"</FlowSensorsInOrder>",
    )
    with pytest.raises(NoMetersInKem):
        read_kem(flow_sensors, "12345")


def test_meters_without_a_usable_key_or_id_are_counted_not_returned() -> None:
    content = kem_file(
        [
            Entry("41290001", KEY_A),
            Entry("41290002", "ABCD"),  # not AES-128
            Entry("123456789", KEY_B),  # no 8-digit wireless M-Bus id
            Entry("41290003", None),
            Entry("1234567", KEY_B, vendor="kam"),
        ],
        "12345",
    )
    kem = read_kem(content, "12345")
    assert [(m.meter_id, m.manufacturer) for m in kem.meters] == [
        ("41290001", "KAM"),
        ("01234567", "KAM"),
    ]
    assert kem.skipped == 3


def test_every_error_is_a_kem_error() -> None:
    for error in (NotAKemFile, WrongKemPassword, DamagedKemFile, NoMetersInKem):
        assert issubclass(error, KemError)
    assert len({NotAKemFile, WrongKemPassword, DamagedKemFile, NoMetersInKem}) == 4


def test_key_is_not_in_a_meters_repr() -> None:
    kem = read_kem(EXAMPLE_KEM.read_bytes(), EXAMPLE_PASSWORD)
    assert "9a25139e" not in repr(kem).lower()


def test_random_padding_bytes_and_wrapped_base64_are_accepted() -> None:
    """XML Encryption fixes only the last padding byte; the guide shows the value wrapped."""
    plaintext = (
        b'<MetersInOrder orderid="" schemaVersion="2.0"><Meter><SerialNo>41290001</SerialNo>'
        b"<EncKeys><PK1>00</PK1><DEK>" + KEY_A.encode() + b"</DEK></EncKeys></Meter>"
        b"</MetersInOrder>"
    )
    pad = 16 - len(plaintext) % 16
    key = b"12345".ljust(16, b"\x00")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key)).encryptor()
    ciphertext = encryptor.update(plaintext + b"\x5a" * (pad - 1) + bytes([pad]))
    ciphertext += encryptor.finalize()
    value = base64.encodebytes(ciphertext)  # lines of 76 characters
    document = encrypt_document(b"<x/>", "12345")
    old = document.split(b"<CipherValue>")[1].split(b"</CipherValue>")[0]
    kem = read_kem(document.replace(old, value), "12345")
    assert kem.meters[0].key.hex().upper() == KEY_A


def test_kem2_devices_take_the_key_named_dek() -> None:
    plaintext = (
        b'<Devices schemaVersion="1.0"><Device><DeviceId><SerialNumber>41290001</SerialNumber>'
        b"</DeviceId><ShortName>MC403</ShortName><ManufacturerId>KAM</ManufacturerId>"
        b"<Keys><Key><Name>GPK1</Name><Value>" + KEY_B.encode() + b"</Value></Key>"
        b"<Key><Name>DEK</Name><Value>" + KEY_A.encode() + b"</Value></Key></Keys>"
        b"</Device></Devices>"
    )
    content = zip_document(encrypt_document(plaintext, "12345"), member="X.KEM2")
    kem = read_kem(content, "12345")
    assert [(m.meter_id, m.key.hex().upper(), m.name) for m in kem.meters] == [
        ("41290001", KEY_A, "MC403")
    ]


def test_a_zip_with_two_documents_gives_the_meters_of_both_once() -> None:
    first = encrypt_document(
        b'<MetersInOrder orderid="1" schemaVersion="2.0"><Meter><SerialNo>41290001</SerialNo>'
        b"<EncKeys><DEK>" + KEY_A.encode() + b"</DEK></EncKeys></Meter></MetersInOrder>",
        "12345",
    )
    second = encrypt_document(
        b'<MetersInOrder orderid="2" schemaVersion="2.0"><Meter><SerialNo>41290002</SerialNo>'
        b"<EncKeys><DEK>" + KEY_B.encode() + b"</DEK></EncKeys></Meter><Meter>"
        b"<SerialNo>41290001</SerialNo><EncKeys><DEK>" + KEY_A.encode() + b"</DEK></EncKeys>"
        b"</Meter></MetersInOrder>",
        "12345",
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.kem", first)
        archive.writestr("b.kem", second)
    kem = read_kem(buffer.getvalue(), "12345")
    assert [m.meter_id for m in kem.meters] == ["41290001", "41290002"]
