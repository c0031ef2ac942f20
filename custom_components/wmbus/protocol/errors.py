"""Typed errors of the protocol layer.

Every way a telegram can be refused is a subclass of :class:`WmbusError`, and its
``kind`` is the short code used by the test vectors, the command line and the Home
Assistant counters ("telegrams rejected by reason"). Callers decide on the type (or the
kind), never on message text. Messages name the facts that help a user (meter id, the
two CRC values) but never key material.
"""

from __future__ import annotations

from typing import ClassVar

from .address import LinkHeader, MeterAddress, link_header_from_prefix


class WmbusError(Exception):
    """Base of every error the decoder raises for bad or unwanted input.

    ``header`` is set when the link header was parsed before the problem was found, so
    a caller can still say which meter sent the telegram.
    """

    kind: ClassVar[str] = "error"

    def __init__(self, message: str, header: LinkHeader | None = None) -> None:
        super().__init__(message)
        self._header = header

    @property
    def header(self) -> LinkHeader | None:
        """Link header of the refused telegram, if it got that far."""
        return self._header


class InvalidHex(WmbusError):
    """Text given as a telegram is not hexadecimal (command line, config flow input)."""

    kind = "invalid_hex"


class Truncated(WmbusError):
    """Fewer bytes than the L-field promises, or too few for the headers or records."""

    kind = "truncated"


class LengthMismatch(WmbusError):
    """More bytes than the L-field promises: never decode beyond L (EN 13757-4 L-field)."""

    kind = "length_mismatch"


class UnknownMeter(WmbusError):
    """No key is configured for this meter (or it is not configured at all).

    Raised from header bytes alone, before any decryption, so the integration can list
    the meter as "heard" cheaply; ``header`` is always set.
    """

    kind = "no_key"
    # Class-level defaults let the decoder create instances without calling __init__.
    _header: LinkHeader | None = None
    _message: str | None = None
    _prefix: bytes = b""
    _wire: bytes = b""
    """The meter's 8 address bytes (a long transport header's, else the link layer's)."""

    def __init__(
        self,
        message: str | None = None,
        header: LinkHeader | None = None,
        *,
        link_prefix: bytes = b"",
    ) -> None:
        """Give either ``header`` or the telegram (its first bytes) as ``link_prefix``.

        The prefix form defers parsing and message formatting: most telegrams a stick
        hears are from neighbours' meters, and rejecting them must stay cheap.
        """
        super().__init__(message or "", header)
        self._prefix = link_prefix
        self._message = message

    @property
    def meter_id(self) -> str:
        """The meter's 8-digit id, read straight from the address bytes (no header parse).

        A stick hears the same neighbours' meters over and over; the heard list only needs
        the full header the first time a meter turns up.
        """
        if self._header is not None:
            return self._header.address.meter_id
        if self._wire:
            return self._wire[5:1:-1].hex()
        return self._prefix[7:3:-1].hex()

    @property
    def address(self) -> MeterAddress:
        """The meter's whole address (meters are keyed by it, not by the 8 digits).

        A long transport header's, when there is one (a meter behind a radio converter).
        """
        if self._header is not None:
            return self._header.address
        return MeterAddress.from_wire(self._wire or self._prefix[2:10])

    @property
    def header(self) -> LinkHeader:
        """Link header of the telegram (parsed on first access)."""
        if self._header is None:
            self._header = link_header_from_prefix(self._prefix)
        return self._header

    def __str__(self) -> str:
        if self._message is None:
            self._message = f"no key configured for meter {self.meter_id}"
        return self._message


class UnsupportedCi(WmbusError):
    """A CI field (ELL or transport layer) this decoder does not handle."""

    kind = "unsupported_ci"


class UnsupportedEncryption(WmbusError):
    """An encryption method (ELL ENC bits or TPL security mode) this decoder does not handle.

    ``mode`` is the TPL security mode (EN 13757-7 / OMS: 2 and 3 DES, 8 AES-CTR+CMAC,
    10 AES-CCM, 16..31 manufacturer specific, ...) when that is what refused it, so a
    caller can tell "DES meter" from "reserved ELL bits" without reading the message.
    """

    kind = "unsupported_encryption"

    def __init__(
        self, message: str, header: LinkHeader | None = None, *, mode: int | None = None
    ) -> None:
        super().__init__(message, header)
        self.mode = mode


class PayloadCrcMismatch(WmbusError):
    """The CRC over the decrypted payload failed: corrupted telegram or wrong key.

    AES-CTR has no authentication, so the two causes cannot be told apart from one
    telegram (EN 13757-4 ELL: the payload CRC is the only check).
    """

    kind = "payload_crc_mismatch"


class WrongKey(PayloadCrcMismatch):
    """Payload CRC failures keep happening for one meter: the configured key is wrong.

    A subclass of :class:`PayloadCrcMismatch` so code that only drops bad telegrams does
    not need to know the difference; the integration uses it to offer a re-key repair.
    """

    kind = "wrong_key"


class UnknownFormatSignature(WmbusError):
    """A compact frame refers to a record format this decoder has not learned.

    Decoding it with a guessed layout would produce plausible garbage, so it is dropped
    until a long frame (or a meter profile) provides the format.
    """

    kind = "unknown_format_signature"


class FormatMismatch(UnknownFormatSignature):
    """The full-frame CRC of a compact frame disagrees with the stored format.

    The payload CRC already proved the bytes intact, so the format registered for the
    signature does not describe this frame (a signature collision): treat it as unknown.
    """


class MalformedRecords(WmbusError):
    """The data records inside an intact payload cannot be parsed (reserved DIF, overrun)."""

    kind = "malformed_records"


class Duplicate(WmbusError):
    """The same telegram (access number, session number and payload) was already decoded.

    Repeaters and several sticks can deliver one telegram more than once.
    """

    kind = "duplicate"


ERROR_KINDS: tuple[str, ...] = (
    InvalidHex.kind,
    Truncated.kind,
    LengthMismatch.kind,
    UnknownMeter.kind,
    UnsupportedCi.kind,
    UnsupportedEncryption.kind,
    PayloadCrcMismatch.kind,
    WrongKey.kind,
    UnknownFormatSignature.kind,
    MalformedRecords.kind,
    Duplicate.kind,
)
"""Every ``kind`` value, for callers that pre-create one counter per reason."""
