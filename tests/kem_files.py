"""KEM key files made by the tests, in Kamstrup's format (independent of the code under test).

The layout is the one of real files: a zip with ``<32 hex>.kem`` and the XSD, the ``.kem`` an
XML Encryption ``EncryptedData`` (UTF-8 BOM, declaration, one line) whose CipherValue is
AES-128-CBC with key = IV = the password's UTF-8 bytes zero-padded to 16, PKCS#7-padded; the
plaintext is a ``MetersInOrder`` document (Kamstrup's meter_information_file.xsd).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
import io
import zipfile

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.data import KEM_DIR

EXAMPLE_KEM = KEM_DIR / "20261207_1200DownloadMeters.zip.kem"
EXAMPLE_PASSWORD = "wmbus-demo"
EXAMPLE_METERS = {
    "32666857": "9A25139E3244CC2E391A8EF6B915B697",
    "41290001": "5E7A11C0FFEE0042DEADBEEF0BADCAFE",
}


@dataclass(frozen=True)
class Entry:
    """One ``Meter`` of a MetersInOrder document."""

    serial: str
    key_hex: str | None
    name: str = "MC21"
    consumption: str = "VolumeCold"
    vendor: str = "KAM"


def meters_document(entries: list[Entry], orderid: str = "25128404") -> bytes:
    """The plaintext as real files have it: one line, no declaration, no namespace."""
    parts = [f'<MetersInOrder orderid="{orderid}" schemaVersion="2.0">']
    for e in entries:
        keys = f"<EncKeys><DEK>{e.key_hex}</DEK></EncKeys>" if e.key_hex is not None else ""
        parts.append(
            f"<Meter><MeterNo>{e.serial}</MeterNo><SerialNo>{e.serial}</SerialNo>{keys}"
            f"<MeterName>{e.name}</MeterName><ConsumptionType>{e.consumption}</ConsumptionType>"
            f"<ConfigNo>1</ConfigNo><ProgramNo /><TypeNo>02146C0G8RK</TypeNo>"
            f"<VendorId>{e.vendor}</VendorId></Meter>"
        )
    parts.append("</MetersInOrder>")
    return "".join(parts).encode()


def encrypt_document(plaintext: bytes, password: str) -> bytes:
    """The XML Encryption wrapper of ``plaintext`` as Kamstrup writes it."""
    key = password.encode()[:16].ljust(16, b"\x00")
    pad = 16 - len(plaintext) % 16
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key)).encryptor()
    ciphertext = encryptor.update(plaintext + bytes([pad]) * pad) + encryptor.finalize()
    return (
        b"\xef\xbb\xbf"
        + b'<?xml version="1.0" encoding="utf-8"?>'
        + b'<EncryptedData Type="http://www.w3.org/2001/04/xmlenc#aes128-cbc" '
        + b'xmlns="http://www.w3.org/2001/04/xmlenc#"><EncryptionMethod '
        + b'Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc" /><CipherData><CipherValue>'
        + base64.b64encode(ciphertext)
        + b"</CipherValue></CipherData></EncryptedData>"
    )


def zip_document(document: bytes, member: str = "4ECAD98735404D39B76BCF28BE5CBA1F.kem") -> bytes:
    """The zip Kamstrup delivers: the document and the schema, deflated, not encrypted."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, document)
        archive.writestr("meter_information_file.xsd", b'<?xml version="1.0"?><schema/>')
    return buffer.getvalue()


def kem_file(
    entries: list[Entry], password: str, *, zipped: bool = True, plaintext: bytes | None = None
) -> bytes:
    """A whole KEM file holding ``entries`` (or a given plaintext) under ``password``."""
    document = encrypt_document(
        plaintext if plaintext is not None else meters_document(entries), password
    )
    return zip_document(document) if zipped else document
