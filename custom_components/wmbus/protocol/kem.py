"""Kamstrup KEM key files: the meters and AES keys a utility hands out, read with a password.

A KEM file is how Kamstrup delivers the keys of its wireless M-Bus meters (Kamstrup's guide
"KEM file" 55123205_B1_EN_09.2021): a zip (named ``*.zip.kem``, ``*.kem`` or ``*.kem2``)
holding one ``<32 hex>.kem`` member and an XSD, or that member on its own. The member is a W3C
XML Encryption document (``EncryptedData``, algorithm ``xmlenc#aes128-cbc``) whose
``CipherValue`` is the base64 of the whole plaintext, encrypted with AES-128-CBC where both key
and IV are the password's UTF-8 bytes, zero-padded to 16 (as the public readers of the format
do: wmbusmeters' ``utils/kem-import.py``, a Java ``XMLExtract``, ``kem-extract.sh``). The
plaintext is Kamstrup's ``meter_information_file.xsd`` document (``MetersInOrder`` /
``DevicesInOrder`` / ``FlowSensorsInOrder``) or, in KEM2, a ``Devices`` document.

There is no MAC: a wrong password is only seen in what comes out. The plaintext of every KEM
file starts with its root element, so a plaintext that does not is a wrong password, and one
that does but then does not parse is a damaged file. Nothing here logs, and no message names
the password or a key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass, field
import io
import re
from typing import Final
from xml.etree import ElementTree as ET
import zipfile

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AES_BLOCK_SIZE: Final = 16
# The password is the AES key, so it is cut to AES-128's 16 bytes: Kamstrup's tools say "16
# characters maximum"; XMLExtract and the wmbusmeters add-on keep the first 16 UTF-8 bytes.
PASSWORD_BYTES: Final = 16
# Real files hold up to 389 KB of XML (937 meters); anything far beyond is not a key file,
# and a zip member is never inflated past this (a zip bomb stays a small error).
MAX_DOCUMENT_BYTES: Final = 32 * 1024 * 1024

XMLENC_NS: Final = "http://www.w3.org/2001/04/xmlenc#"
AES128_CBC: Final = XMLENC_NS + "aes128-cbc"
ZIP_MAGIC: Final = b"PK\x03\x04"
UTF8_BOM: Final = b"\xef\xbb\xbf"
# Roots of Kamstrup's meter_information_file.xsd (KEM) and of the KEM2 document.
KNOWN_ROOTS: Final = ("MetersInOrder", "DevicesInOrder", "FlowSensorsInOrder", "Devices")
_ROOT_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?<(?:"
    + b"|".join(r.encode() for r in KNOWN_ROOTS)
    + rb")[\s/>]"
)
_MANUFACTURER_CODE = re.compile(r"^[A-Z]{3}$")
_METER_ID = re.compile(r"^[0-9]{1,8}$")


class KemError(Exception):
    """Base of the ways a KEM file cannot be read; callers decide on the type."""


class NotAKemFile(KemError):
    """Neither a zip holding a ``.kem`` document nor an XML Encryption document."""


class WrongKemPassword(KemError):
    """The password does not decrypt the file (what comes out is not a KEM document)."""


class DamagedKemFile(KemError):
    """A KEM file, but broken: a damaged zip, bad base64, a truncated or corrupt ciphertext."""


class NoMetersInKem(KemError):
    """The file decrypts but holds no meter with a wireless M-Bus id and an AES key."""


@dataclass(frozen=True, slots=True)
class KemMeter:
    """One meter of a KEM file with its key.

    ``meter_id`` is the serial number, which is the meter's wireless M-Bus id (the A-field's
    8 BCD digits, EN 13757-4 §5.5; Kamstrup prints the same number on the meter).
    """

    meter_id: str
    key: bytes = field(repr=False)
    """The data encryption key (``DEK``): AES-128, 16 bytes."""
    manufacturer: str | None = None
    """The FLAG code from ``VendorId`` / ``ManufacturerId`` (``KAM``), when the file gives one."""
    name: str | None = None
    """Kamstrup's product name (``MeterName``, ``DeviceName``, ``ShortName``): ``MC21``."""
    consumption_type: str | None = None
    """What it measures as the file says it (``VolumeCold``, ``Electricity``, ...)."""
    type_number: str | None = None
    """Kamstrup's type number (``TypeNo``): the exact product variant."""


@dataclass(frozen=True, slots=True)
class KemFile:
    """What a KEM file holds for wireless M-Bus: its meters, in file order."""

    meters: tuple[KemMeter, ...]
    order_id: str | None = None
    skipped: int = 0
    """Entries left out: no key, a key that is not AES-128, or a serial that is no meter id."""


def kem_password_key(password: str) -> bytes:
    """The AES key (and IV) a password stands for: its UTF-8 bytes, zero-padded or cut to 16."""
    return password.encode("utf-8")[:PASSWORD_BYTES].ljust(PASSWORD_BYTES, b"\x00")


def read_kem(content: bytes, password: str) -> KemFile:
    """Read a KEM file as delivered (zip or bare XML) with its password.

    Raises ``NotAKemFile``, ``WrongKemPassword``, ``DamagedKemFile`` or ``NoMetersInKem``.
    """
    meters: dict[tuple[str, str | None], KemMeter] = {}
    skipped = 0
    order_id: str | None = None
    for document in _kem_documents(content, password):
        plaintext = decrypt_kem_document(document, password)
        found, left_out, order = _parse_plaintext(plaintext)
        order_id = order_id or order
        skipped += left_out
        for meter in found:
            # The same meter twice (one zip holding two documents, or a repeated entry) is one.
            meters.setdefault((meter.meter_id, meter.manufacturer), meter)
    if not meters:
        raise NoMetersInKem("the file holds no meter with a wireless M-Bus id and a key")
    return KemFile(meters=tuple(meters.values()), order_id=order_id, skipped=skipped)


def _kem_documents(content: bytes, password: str) -> Iterator[bytes]:
    """The XML Encryption documents in ``content``: a zip's ``.kem``/``.kem2`` members, or itself.

    Kamstrup's guide says to strip ``.kem`` and unzip; the file is recognised by its bytes,
    since many arrive renamed (``493 MP.kem``).
    """
    if not content.startswith(ZIP_MAGIC):
        yield content
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir() and info.filename.lower().endswith((".kem", ".kem2"))
        ]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise DamagedKemFile(f"the zip is damaged ({type(err).__name__})") from None
    if not members:
        raise NotAKemFile("the zip holds no .kem document")
    with archive:
        for info in members:
            if info.file_size > MAX_DOCUMENT_BYTES:
                raise NotAKemFile("the zip's .kem document is far larger than any key file")
            yield _read_member(archive, info, password)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, password: str) -> bytes:
    # No real KEM zip is encrypted; should one be, the KEM password is the only one known
    # (Python's zipfile reads the legacy ZipCrypto scheme only).
    zip_password = password.encode("utf-8") if info.flag_bits & 0x1 else None
    try:
        with archive.open(info, pwd=zip_password) as member:
            data = member.read(MAX_DOCUMENT_BYTES + 1)
    except RuntimeError:
        raise WrongKemPassword("the password does not open the zip") from None
    except NotImplementedError:
        raise DamagedKemFile("the zip uses a compression or encryption not supported") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise DamagedKemFile(f"the zip is damaged ({type(err).__name__})") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise NotAKemFile("the zip's .kem document is far larger than any key file")
    return data


def _parse_xml(text: bytes) -> ET.Element:
    """Parse a document that must not declare entities (a KEM file never has a DTD)."""
    if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
        raise ValueError("a document type declaration")
    return ET.fromstring(text.removeprefix(UTF8_BOM))  # DTDs refused above


def _local(tag: str) -> str:
    """An element's name without its namespace (KEM plaintext has none; KEM2's is unknown)."""
    return tag.rpartition("}")[2]


def decrypt_kem_document(document: bytes, password: str) -> bytes:
    """The plaintext of one XML Encryption document (W3C XML Encryption §5.2.1, AES-128-CBC).

    Key and IV are the password's 16 bytes; the whole CipherValue is ciphertext (no IV in
    front of it). The padding is taken from the last byte only: XML Encryption fixes just that
    byte, and .NET's EncryptedXml fills the others with random bytes (ISO 10126).
    """
    if len(document) > MAX_DOCUMENT_BYTES:
        raise NotAKemFile("far larger than any key file")
    try:
        root = _parse_xml(document)
    except (ET.ParseError, ValueError):
        raise NotAKemFile("not an XML Encryption document") from None
    if _local(root.tag) != "EncryptedData":
        raise NotAKemFile("the document is not XML Encryption's EncryptedData")
    for method in root.iter(f"{{{XMLENC_NS}}}EncryptionMethod"):
        if method.get("Algorithm", AES128_CBC) != AES128_CBC:
            raise NotAKemFile("encrypted with another algorithm than AES-128-CBC")
    cipher_value = next((e for e in root.iter() if _local(e.tag) == "CipherValue"), None)
    if cipher_value is None or not (cipher_value.text or "").strip():
        raise DamagedKemFile("the document holds no CipherValue")
    try:
        ciphertext = base64.b64decode("".join((cipher_value.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise DamagedKemFile("the CipherValue is not base64") from None
    if not ciphertext or len(ciphertext) % AES_BLOCK_SIZE:
        raise DamagedKemFile("the ciphertext is not a whole number of AES blocks")
    key = kem_password_key(password)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    if not _ROOT_START.match(padded[:256]):
        raise WrongKemPassword("the password does not decrypt the file")
    pad = padded[-1]
    if not 1 <= pad <= AES_BLOCK_SIZE or pad > len(padded):
        raise DamagedKemFile("the ciphertext's last block is damaged")
    return padded[:-pad]


def _parse_plaintext(plaintext: bytes) -> tuple[list[KemMeter], int, str | None]:
    """Meters, entries left out, and the order id of a decrypted document."""
    try:
        root = _parse_xml(plaintext)
    except (ET.ParseError, ValueError):
        raise DamagedKemFile("the decrypted document does not parse") from None
    name = _local(root.tag)
    if name == "Devices":
        entries = [(e, _kem2_meter(e)) for e in root if _local(e.tag) == "Device"]
    elif name in ("MetersInOrder", "DevicesInOrder"):
        entries = [(e, _kem_meter(e)) for e in root if _local(e.tag) in ("Meter", "Device")]
    else:  # FlowSensorsInOrder: flow sensors carry passwords, not meter keys
        entries = [(e, None) for e in root]
    meters = [meter for _element, meter in entries if meter is not None]
    return meters, len(entries) - len(meters), (root.get("orderid") or "").strip() or None


def _child_text(element: ET.Element, *path: str) -> str | None:
    """The stripped text at ``path`` (local names), None when absent or empty."""
    for step in path:
        found = next((child for child in element if _local(child.tag) == step), None)
        if found is None:
            return None
        element = found
    return (element.text or "").strip() or None


def _kem_meter(element: ET.Element) -> KemMeter | None:
    """A ``Meter`` or ``Device`` of meter_information_file.xsd: ``SerialNo``, ``EncKeys/DEK``."""
    name = _child_text(element, "MeterName") or _child_text(element, "DeviceName")
    return _meter(
        _child_text(element, "SerialNo") or _child_text(element, "MeterNo"),
        _child_text(element, "EncKeys", "DEK"),
        manufacturer=_child_text(element, "VendorId"),
        name=name,
        consumption_type=_child_text(element, "ConsumptionType")
        or _child_text(element, "DeviceType"),
        type_number=_child_text(element, "TypeNo"),
    )


def _kem2_meter(element: ET.Element) -> KemMeter | None:
    """A KEM2 ``Device``: ``DeviceId/SerialNumber``, the ``Keys/Key`` named ``DEK``."""
    dek: str | None = None
    keys = next((child for child in element if _local(child.tag) == "Keys"), None)
    for key in keys if keys is not None else ():
        label = _child_text(key, "Name") or _child_text(key, "Type") or key.get("Type")
        if (label or "").upper() == "DEK":
            dek = _child_text(key, "Value")
            break
    return _meter(
        _child_text(element, "DeviceId", "SerialNumber") or _child_text(element, "SerialNumber"),
        dek,
        manufacturer=_child_text(element, "ManufacturerId"),
        name=_child_text(element, "ShortName"),
        consumption_type=_child_text(element, "ConsumptionTypeName"),
        type_number=_child_text(element, "TypeNumber"),
    )


def _meter(
    serial: str | None,
    dek: str | None,
    *,
    manufacturer: str | None,
    name: str | None,
    consumption_type: str | None,
    type_number: str | None,
) -> KemMeter | None:
    """A meter if it has an 8-digit id and an AES-128 key, else None (left out)."""
    if serial is None or dek is None or not _METER_ID.match(serial):
        return None
    try:
        key = bytes.fromhex("".join(dek.split()))
    except ValueError:
        return None
    if len(key) != AES_BLOCK_SIZE:
        return None
    code = (manufacturer or "").upper()
    return KemMeter(
        meter_id=serial.zfill(8),
        key=key,
        manufacturer=code if _MANUFACTURER_CODE.match(code) else None,
        name=name,
        consumption_type=consumption_type,
        type_number=type_number,
    )
