"""Extended link layer (ELL, EN 13757-4 CI 8C..8F): the stage after the link header.

Input: the telegram (link header first) and the meter's AES-CTR context, if any. Output:
an :class:`ExtendedLink` whose ``payload`` starts at the next CI (AFL or TPL), already
decrypted and CRC-checked for CI 8D, or None when the CI after the link header is not an
ELL CI (the caller then goes on with the AFL/TPL at offset 10).
"""

from __future__ import annotations

from dataclasses import dataclass
import struct
from typing import Final

from .crypto import AesCtr, crc16_en13757, ell_counter_prefix
from .errors import (
    PayloadCrcMismatch,
    Truncated,
    UnknownMeter,
    UnsupportedCi,
    UnsupportedEncryption,
)
from .frame import LINK_HEADER_SIZE, MeterAddress, link_header_from_prefix

CI_ELL_I: Final = 0x8C
CI_ELL_II: Final = 0x8D
CI_ELL_III: Final = 0x8E
CI_ELL_IV: Final = 0x8F
CI_ELL_V: Final = 0x86
ELL_CIS: Final = frozenset({CI_ELL_I, CI_ELL_II, CI_ELL_III, CI_ELL_IV, CI_ELL_V})

ELL_I_SIZE: Final = 2
"""CC and ACC after CI 8C."""
ELL_II_SIZE: Final = 8
"""CC, ACC, SN (4) and the encrypted payload CRC (2) after CI 8D."""
ELL_III_SIZE: Final = 10
"""CC, ACC and a second address M2 (2), A2 (6) after CI 8E."""
ELL_IV_SIZE: Final = 16
"""CC, ACC, M2 (2), A2 (6), SN (4) and the encrypted payload CRC (2) after CI 8F."""
_ELL_IV_SN: Final = LINK_HEADER_SIZE + 10
"""Offset of the SN of CI 8F (after CC, ACC, M2 and A2)."""
_ELL_IV_PAYLOAD_START: Final = _ELL_IV_SN + 4
"""Offset of the (encrypted) payload CRC of CI 8F."""
_CC_COUNTER_MASK: Final = 0xED
"""CC without the hop (H) and repeated-access (R) bits, which repeaters may change."""

ENCRYPTION_NONE: Final = 0
ENCRYPTION_AES_CTR: Final = 1

CC_HOP: Final = 0x10
CC_REPEATED_ACCESS: Final = 0x02

_ELL_II = struct.Struct("<BBI")
_PAYLOAD_START: Final = LINK_HEADER_SIZE + ELL_II_SIZE - 2
"""Offset of the (encrypted) payload CRC of CI 8D: the encrypted region starts there."""


@dataclass(frozen=True, slots=True)
class ExtendedLink:
    """What the ELL says: CC, access number, SN and the bytes it carries.

    ``session_number`` is None for CI 8C/8E (no SN: nothing can be encrypted there);
    ``second_address`` is the 8E address of the other party (None otherwise).
    ``payload`` starts at the next CI; for 8D it is decrypted and its CRC verified and
    removed, unless the ELL was only read (:func:`parse_ell`).
    """

    ci: int
    cc: int
    access_number: int
    session_number: int | None
    payload: bytes
    second_address: MeterAddress | None = None

    @property
    def sn_session(self) -> int:
        """SN bits 0-3: sub-counter within one time tick."""
        return 0 if self.session_number is None else self.session_number & 0x0F

    @property
    def sn_time(self) -> int:
        """SN bits 4-28: time tick (minutes on OmniPower)."""
        return 0 if self.session_number is None else (self.session_number >> 4) & 0x1FFFFFF

    @property
    def encryption(self) -> int:
        """SN bits 29-31: 0 clear, 1 AES-128-CTR, others reserved."""
        return 0 if self.session_number is None else self.session_number >> 29

    @property
    def size(self) -> int:
        """Bytes after the CI that belong to the ELL (the payload CRC counts for 8D/8F)."""
        if self.ci == CI_ELL_I:
            return ELL_I_SIZE
        if self.ci == CI_ELL_IV:
            return ELL_IV_SIZE
        return ELL_III_SIZE if self.ci == CI_ELL_III else ELL_II_SIZE


_SETTERS = tuple(
    ExtendedLink.__dict__[name].__set__
    for name in ("ci", "cc", "access_number", "session_number", "payload", "second_address")
)
_set_ci, _set_cc, _set_access, _set_sn, _set_payload, _set_second = _SETTERS


def _new_ell(cc: int, access_number: int, session_number: int, payload: bytes) -> ExtendedLink:
    """An 8D result without the frozen ``__init__`` (half its cost, once per OmniPower telegram)."""
    ell = object.__new__(ExtendedLink)
    _set_ci(ell, CI_ELL_II)
    _set_cc(ell, cc)
    _set_access(ell, access_number)
    _set_sn(ell, session_number)
    _set_payload(ell, payload)
    _set_second(ell, None)
    return ell


def open_ell(telegram: bytes, cipher: AesCtr | None, *, plaintext: bool = False) -> ExtendedLink:
    """Read, decrypt and check the ELL at offset 10; the CI there must be in :data:`ELL_CIS`.

    ``plaintext``: the payload claims AES-CTR but is already decrypted (wmbusmeters' test
    data). Without it, a payload whose CRC fits as sent is taken as already decrypted (a
    receiver that holds the key hands it on so); the CRC is that check, and it is only
    tried when decryption did not give a fitting CRC. Raises UnknownMeter (encrypted, no
    key), PayloadCrcMismatch (wrong key or corruption), Truncated, UnsupportedEncryption
    (reserved ENC bits) or UnsupportedCi.
    """
    ci = telegram[10]
    if ci == CI_ELL_II:
        if len(telegram) < LINK_HEADER_SIZE + ELL_II_SIZE + 1:
            raise Truncated(
                f"telegram has {len(telegram)} bytes, ELL II with a transport CI needs 20",
                link_header_from_prefix(telegram),
            )
        cc, access_number, session_number = _ELL_II.unpack_from(telegram, 11)
        encryption = session_number >> 29
        sent = telegram[_PAYLOAD_START:]
        if encryption == ENCRYPTION_NONE or plaintext:
            body = sent
        elif encryption == ENCRYPTION_AES_CTR:
            if cipher is None:
                if _crc_fits(sent):
                    return _new_ell(cc, access_number, session_number, sent[2:])
                header = link_header_from_prefix(telegram)
                raise UnknownMeter(
                    f"meter {header.meter_id} sends AES-CTR telegrams but has no key", header
                )
            body = cipher.decrypt(ell_counter_prefix(telegram), sent)
        else:
            raise UnsupportedEncryption(
                f"ELL encryption {encryption} is reserved", link_header_from_prefix(telegram)
            )
        crc = body[0] | (body[1] << 8)
        payload = body[2:]
        computed = crc16_en13757(payload)
        if computed != crc:
            if body is not sent and _crc_fits(sent):
                return _new_ell(cc, access_number, session_number, sent[2:])
            raise PayloadCrcMismatch(
                f"payload CRC 0x{computed:04x} != 0x{crc:04x}: wrong key or corrupted telegram",
                link_header_from_prefix(telegram),
            )
        return _new_ell(cc, access_number, session_number, payload)
    if ci == CI_ELL_IV:
        return _open_ell_iv(telegram, cipher, plaintext=plaintext)
    return _read_clear_ell(telegram)


def _open_ell_iv(telegram: bytes, cipher: AesCtr | None, *, plaintext: bool) -> ExtendedLink:
    """CI 8F (ELL IV, EN 13757-4): ELL III's second address and ELL II's SN and payload CRC.

    The encrypted region starts at the payload CRC, as for 8D; the AES-CTR counter block
    starts with the ELL's own M2 and A2 where 8D has the link layer's M and A (the
    m-bus-parser ELL stage builds it so), then CC without H and R, SN and FN = 0.
    """
    if len(telegram) < LINK_HEADER_SIZE + ELL_IV_SIZE + 1:
        raise Truncated(
            f"telegram has {len(telegram)} bytes, ELL IV with a transport CI needs "
            f"{LINK_HEADER_SIZE + ELL_IV_SIZE + 1}",
            link_header_from_prefix(telegram),
        )
    cc = telegram[11]
    access_number = telegram[12]
    second = telegram[13:_ELL_IV_SN]
    sn_bytes = telegram[_ELL_IV_SN:_ELL_IV_PAYLOAD_START]
    session_number = int.from_bytes(sn_bytes, "little")
    encryption = session_number >> 29
    sent = telegram[_ELL_IV_PAYLOAD_START:]
    body = sent
    if encryption == ENCRYPTION_AES_CTR and not plaintext and not _crc_fits(sent):
        if cipher is None:
            header = link_header_from_prefix(telegram)
            raise UnknownMeter(
                f"meter {header.meter_id} sends AES-CTR telegrams but has no key", header
            )
        body = cipher.decrypt(
            second + bytes((cc & _CC_COUNTER_MASK,)) + sn_bytes + b"\x00\x00", sent
        )
    elif encryption not in (ENCRYPTION_NONE, ENCRYPTION_AES_CTR):
        raise UnsupportedEncryption(
            f"ELL encryption {encryption} is reserved", link_header_from_prefix(telegram)
        )
    if not _crc_fits(body):
        raise PayloadCrcMismatch(
            "ELL IV payload CRC does not fit: wrong key or corrupted telegram",
            link_header_from_prefix(telegram),
        )
    return ExtendedLink(
        CI_ELL_IV, cc, access_number, session_number, body[2:], MeterAddress.from_wire(second)
    )


def _crc_fits(body: bytes) -> bool:
    """Whether ``body`` (payload CRC, then payload) is a plaintext payload as it stands."""
    return len(body) >= 2 and crc16_en13757(body[2:]) == body[0] | (body[1] << 8)


def parse_ell(telegram: bytes) -> ExtendedLink:
    """Read the ELL header at offset 10 without decrypting (diagnostics, tests).

    For CI 8D and 8F ``payload`` is the bytes as sent: the encrypted payload CRC and data.
    """
    if telegram[10] == CI_ELL_IV:
        if len(telegram) < LINK_HEADER_SIZE + ELL_IV_SIZE:
            raise Truncated(
                "telegram too short for ELL IV (CC, ACC, M2, A2, SN, payload CRC)",
                link_header_from_prefix(telegram),
            )
        return ExtendedLink(
            CI_ELL_IV,
            telegram[11],
            telegram[12],
            int.from_bytes(telegram[_ELL_IV_SN:_ELL_IV_PAYLOAD_START], "little"),
            telegram[_ELL_IV_PAYLOAD_START:],
            MeterAddress.from_wire(telegram[13:_ELL_IV_SN]),
        )
    if telegram[10] == CI_ELL_II:
        if len(telegram) < LINK_HEADER_SIZE + ELL_II_SIZE:
            raise Truncated(
                "telegram too short for ELL II (CC, ACC, SN, payload CRC)",
                link_header_from_prefix(telegram),
            )
        cc, access_number, session_number = _ELL_II.unpack_from(telegram, 11)
        return ExtendedLink(CI_ELL_II, cc, access_number, session_number, telegram[_PAYLOAD_START:])
    return _read_clear_ell(telegram)


def _read_clear_ell(telegram: bytes) -> ExtendedLink:
    ci = telegram[10]
    if ci == CI_ELL_I:
        if len(telegram) < LINK_HEADER_SIZE + ELL_I_SIZE + 1:
            raise Truncated(
                "ELL I telegram without transport CI", link_header_from_prefix(telegram)
            )
        return ExtendedLink(ci, telegram[11], telegram[12], None, telegram[13:])
    if ci == CI_ELL_III:
        if len(telegram) < LINK_HEADER_SIZE + ELL_III_SIZE + 1:
            raise Truncated(
                "ELL III telegram without transport CI", link_header_from_prefix(telegram)
            )
        return ExtendedLink(
            ci,
            telegram[11],
            telegram[12],
            None,
            telegram[21:],
            MeterAddress.from_wire(telegram[13:21]),
        )
    raise UnsupportedCi(
        f"ELL CI 0x{ci:02x} not supported (only 8C, 8D, 8E and 8F are defined for meters here)",
        link_header_from_prefix(telegram),
    )
