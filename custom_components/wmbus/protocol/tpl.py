"""Transport layer (TPL, EN 13757-7: CI field, short and long headers, security modes).

Input: the bytes from the TPL CI on. :func:`parse_tpl` reads the header (none, short or
long, by CI) into a :class:`TransportHeader`; :func:`open_tpl` turns what follows it into
the plaintext application layer (APL): records, a compact frame, or nothing the standard
can read. Security modes: 0 (clear), 5 (AES-128-CBC, IV from M, A and ACC) and 7 (OMS
key derivation from the AFL message counter, AES-128-CBC with a zero IV, the AFL MAC
verified first); both end with the ``2F 2F`` check, the only wrong-key signal mode 5 has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from .afl import AuthenticationLayer, verify_mac
from .crypto import (
    AES_BLOCK_SIZE,
    KDF_ENCRYPTION_FROM_METER,
    KDF_MAC_FROM_METER,
    aes_cbc_decrypt,
    oms_derive_key,
)
from .errors import PayloadCrcMismatch, Truncated, UnknownMeter, UnsupportedEncryption
from .frame import LONG_TRANSPORT_HEADER_CIS, MeterAddress

type HeaderKind = Literal["none", "short", "long"]
type ApplicationKind = Literal["records", "compact", "other"]

CI_FULL: Final = 0x78
CI_COMPACT: Final = 0x79
CI_SHORT_TPL: Final = 0x7A
CI_LONG_TPL: Final = 0x72
CI_COMPACT_SHORT_TPL: Final = 0x7B
CI_COMPACT_LONG_TPL: Final = 0x73

# The header each TPL CI carries (EN 13757-7 CI table; wmbusmeters src/wmbus.cc ciType).
SHORT_HEADER_CIS: Final = frozenset(
    {0x5A, 0x61, 0x65, 0x67, 0x6A, 0x6E, 0x74, 0x7A, 0x7B, 0x7D, 0x88, 0x8A, 0x9E, 0xC1, 0xC4}
)
LONG_HEADER_CIS: Final = LONG_TRANSPORT_HEADER_CIS
NO_HEADER_CIS: Final = frozenset({0x50, 0x51, 0x52, 0x54, 0x5C, 0x66, 0x69, 0x70, 0x71, 0x78, 0x79})
TPL_CIS: Final = SHORT_HEADER_CIS | LONG_HEADER_CIS | NO_HEADER_CIS
RECORD_CIS: Final = frozenset({CI_FULL, CI_SHORT_TPL, CI_LONG_TPL})
COMPACT_CIS: Final = frozenset({CI_COMPACT, CI_COMPACT_SHORT_TPL, CI_COMPACT_LONG_TPL})

CI_MEANINGS: Final[dict[int, str]] = {
    0x6E: "application error",
    0x6F: "application error",
    0x70: "application error",
    0x71: "alarm",
    0x74: "alarm",
    0x75: "alarm",
    0x7C: "COSEM data",
    0x7D: "COSEM data",
    0x8A: "transport layer without application data",
    0x8B: "transport layer without application data",
}
"""Meter-to-collector CIs that carry no meter values (for the refusal message)."""

SHORT_HEADER_SIZE: Final = 4
"""ACC, status, configuration word (2)."""
LONG_HEADER_SIZE: Final = 12
"""ID (4), M (2), version, type, then the short header."""

STATUS_APPLICATION_MASK: Final = 0x03
STATUS_APPLICATION_BUSY: Final = 0x01
STATUS_STANDARD_BITS: Final = 0x1F
"""STS bits 0..1 application (00 no error, 01 busy, 10 error, 11 alarm), bit 2 power low,
bit 3 permanent error, bit 4 temporary error; bits 5..7 are the manufacturer's
(EN 13757-7; wmbusmeters decodeTPLStatusByteOnlyStandardBits)."""


def status_errors(status: int) -> int:
    """The standard error bits of a TPL status byte (0: nothing wrong).

    "Busy" is no error, and the manufacturer's bits 5..7 mean different things per maker
    (Zenner uses them for removal and mode flags), so neither counts.
    """
    errors = status & STATUS_STANDARD_BITS
    if errors & STATUS_APPLICATION_MASK == STATUS_APPLICATION_BUSY:
        errors &= ~STATUS_APPLICATION_MASK
    return errors


STATUS_APPLICATION_STATES: Final = ("no error", "application busy", "any application error",
                                     "abnormal condition")  # fmt: skip
"""STS bits 0..1 as EN 13757-7 names them."""
STATUS_POWER_LOW: Final = 0x04
STATUS_PERMANENT_ERROR: Final = 0x08
STATUS_TEMPORARY_ERROR: Final = 0x10
STATUS_MANUFACTURER_SHIFT: Final = 5


def status_flags(status: int) -> dict[str, int | bool | str]:
    """The TPL status byte with its bits named (EN 13757-7, the transport header's status field).

    For people reading the CLI output: the raw byte, the application state of bits 0..1,
    the three standard flags, and the manufacturer's bits 5..7 as a number (their meaning
    differs per maker, so they are not named).
    """
    return {
        "byte": status,
        "application": STATUS_APPLICATION_STATES[status & STATUS_APPLICATION_MASK],
        "power_low": bool(status & STATUS_POWER_LOW),
        "permanent_error": bool(status & STATUS_PERMANENT_ERROR),
        "temporary_error": bool(status & STATUS_TEMPORARY_ERROR),
        "manufacturer_bits": status >> STATUS_MANUFACTURER_SHIFT,
    }


SECURITY_MODE_NONE: Final = 0
SECURITY_MODE_AES_CBC_IV: Final = 5
SECURITY_MODE_AES_CBC_KDF: Final = 7
MANUFACTURER_SECURITY_MODES: Final = range(16, 32)
SECURITY_MODE_NAMES: Final[dict[int, str]] = {
    1: "manufacturer specific",
    2: "DES-CBC with a zero IV",
    3: "DES-CBC with an IV",
    4: "specific usage",
    6: "reserved",
    8: "AES-CTR with CMAC",
    9: "AES-GCM",
    10: "AES-CCM",
    11: "reserved",
    12: "reserved",
    13: "TLS",
    14: "reserved",
    15: "specific usage",
}

_CHECK: Final = b"\x2f\x2f"
_ZERO_IV: Final = bytes(AES_BLOCK_SIZE)


@dataclass(frozen=True, slots=True)
class TransportHeader:
    """The TPL header of one telegram (absent fields are None).

    ``address`` is the long header's meter address (CI 72/73...): behind a radio module
    it names the meter, while the link header names the module (wmbusmeters drivers/src/
    elster.xmq: a gas meter behind a radio converter).
    ``apl_offset`` counts from the CI byte to the first APL byte.
    """

    ci: int
    kind: HeaderKind
    access_number: int | None
    status: int | None
    configuration: int | None
    configuration_extension: int | None
    address: MeterAddress | None
    address_wire: bytes
    apl_offset: int
    application: ApplicationKind
    """What follows the header: records, a compact frame, or neither."""

    @property
    def security_mode(self) -> int:
        """Configuration bits 8..12 (0 without a header)."""
        return 0 if self.configuration is None else (self.configuration >> 8) & 0x1F

    @property
    def encrypted_blocks(self) -> int:
        """Configuration bits 4..7: 16-byte blocks encrypted in modes 5 and 7."""
        return 0 if self.configuration is None else (self.configuration >> 4) & 0x0F


def _application(ci: int) -> ApplicationKind:
    if ci in RECORD_CIS:
        return "records"
    return "compact" if ci in COMPACT_CIS else "other"


def _header_less(ci: int) -> TransportHeader:
    return TransportHeader(ci, "none", None, None, None, None, None, b"", 1, _application(ci))


_HEADER_LESS: Final = {ci: _header_less(ci) for ci in NO_HEADER_CIS}
"""Nothing varies in a header-less TPL: one shared instance per CI (the OmniPower path)."""


def parse_tpl(transport: bytes) -> TransportHeader:
    """Read the TPL header at ``transport[0]`` (its CI); the CI must be in :data:`TPL_CIS`.

    Raises Truncated when the header does not fit.
    """
    ci = transport[0]
    header_less = _HEADER_LESS.get(ci)
    if header_less is not None:
        return header_less
    long = ci in LONG_HEADER_CIS
    size = LONG_HEADER_SIZE if long else SHORT_HEADER_SIZE
    if len(transport) < 1 + size:
        raise Truncated(f"transport header of CI 0x{ci:02x} incomplete")
    header = transport[1 : 1 + size]
    configuration = header[-2] | (header[-1] << 8)
    extension: int | None = None
    apl_offset = 1 + size
    if (configuration >> 8) & 0x1F == SECURITY_MODE_AES_CBC_KDF:
        # The mode-7 configuration extension belongs to the header, not the ciphertext.
        if len(transport) < apl_offset + 1:
            raise Truncated("mode 7 configuration extension missing")
        extension = transport[apl_offset]
        apl_offset += 1
    address: MeterAddress | None = None
    address_wire = b""
    if long:
        address_wire = bytes(header[4:6] + header[0:4] + header[6:8])
        address = MeterAddress.from_wire(address_wire)
    return TransportHeader(
        ci,
        "long" if long else "short",
        header[-4],
        header[-3],
        configuration,
        extension,
        address,
        address_wire,
        apl_offset,
        _application(ci),
    )


def open_tpl(
    header: TransportHeader,
    transport: bytes,
    link_address: bytes,
    key: bytes | None,
    afl: AuthenticationLayer | None,
    *,
    plaintext: bool = False,
) -> bytes:
    """Return the plaintext APL after ``header`` in ``transport`` (TPL CI first).

    ``link_address`` is M and A of the link header in wire order (IV and KDF input when
    there is no long header). ``plaintext``: the header says encrypted but the bytes are
    already decrypted. Without it, a payload that already passes the plaintext check
    (``2F 2F`` at its start) is taken as decrypted too: receivers that hold the key, and
    tools that store captures, hand such payloads on with the security bits unchanged;
    anything else is decrypted as usual. Raises UnknownMeter (encrypted, no key),
    PayloadCrcMismatch (MAC or ``2F 2F`` check failed: wrong key or corruption), Truncated, and
    UnsupportedEncryption (with ``mode``) for the modes it cannot do.
    """
    apl = transport[header.apl_offset :]
    mode = header.security_mode
    if mode == SECURITY_MODE_NONE or (
        mode in (SECURITY_MODE_AES_CBC_IV, SECURITY_MODE_AES_CBC_KDF)
        and (plaintext or apl[:2] == _CHECK)
    ):
        return apl
    if mode not in (SECURITY_MODE_AES_CBC_IV, SECURITY_MODE_AES_CBC_KDF):
        name = SECURITY_MODE_NAMES.get(mode, "manufacturer specific")
        raise UnsupportedEncryption(f"security mode {mode} ({name}) not supported", mode=mode)
    if key is None:
        raise UnknownMeter(f"meter sends security mode {mode} telegrams but has no key")
    address = header.address_wire or link_address
    encrypted = header.encrypted_blocks * AES_BLOCK_SIZE
    if encrypted == 0 or encrypted > len(apl):
        # N = 0 means "all of it"; a short telegram is decrypted as far as it goes
        # (whole blocks only; the rest stays plaintext records, as wmbusmeters src/
        # wmbus_utils.cc decrypt_TPL_AES_CBC_IV does).
        encrypted = len(apl) - len(apl) % AES_BLOCK_SIZE
    if encrypted == 0:
        raise Truncated(f"security mode {mode} telegram without a whole encrypted block")
    if mode == SECURITY_MODE_AES_CBC_IV:
        assert header.access_number is not None
        iv = address + bytes((header.access_number,)) * 8
        clear = aes_cbc_decrypt(key, iv, apl[:encrypted])
    else:
        if afl is None or afl.message_counter is None:
            raise UnsupportedEncryption(
                "security mode 7 without an AFL message counter cannot derive its key", mode=mode
            )
        meter_id = address[2:6]
        if afl.mac:
            mac_key = oms_derive_key(key, KDF_MAC_FROM_METER, afl.message_counter, meter_id)
            if not verify_mac(afl, mac_key, transport):
                raise PayloadCrcMismatch("AFL MAC does not fit: wrong key or corrupted telegram")
        encryption_key = oms_derive_key(
            key, KDF_ENCRYPTION_FROM_METER, afl.message_counter, meter_id
        )
        clear = aes_cbc_decrypt(encryption_key, _ZERO_IV, apl[:encrypted])
    if clear[:2] != _CHECK:
        raise PayloadCrcMismatch(
            f"security mode {mode} plaintext does not start with 2F 2F: wrong key or "
            "corrupted telegram"
        )
    return clear + apl[encrypted:]
