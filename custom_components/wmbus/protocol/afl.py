"""Authentication and fragmentation layer (AFL, CI 90, EN 13757-7; wmbusmeters parseAFL).

Input: the bytes from the CI 90 on. Output: an :class:`AuthenticationLayer` (fragment
control, message counter, MAC) and the bytes from the next CI (the TPL) on. The MAC is
verified by :func:`verify_mac` once the TPL stage has derived Kmac (security mode 7):
it covers MCL, MCR, [ML] and every byte from the TPL CI to the end, as received.
"""

from __future__ import annotations

from dataclasses import dataclass
import hmac
from typing import Final

from .crypto import aes_cmac
from .errors import Truncated, UnsupportedCi

CI_AFL: Final = 0x90

FCL_MORE_FRAGMENTS: Final = 0x4000
FCL_MCL_PRESENT: Final = 0x2000
FCL_ML_PRESENT: Final = 0x1000
FCL_MCR_PRESENT: Final = 0x0800
FCL_MAC_PRESENT: Final = 0x0400
FCL_KI_PRESENT: Final = 0x0200
FCL_FRAGMENT_ID: Final = 0x00FF

MCL_AUTHENTICATION_TYPE: Final = 0x0F

MAC_SIZES: Final[dict[int, int]] = {0: 0, 3: 2, 4: 4, 5: 8, 6: 12, 7: 16}
"""Authentication type -> truncated AES-CMAC size in bytes (AT 8, GMAC, is not supported)."""


@dataclass(frozen=True, slots=True)
class AuthenticationLayer:
    """The AFL fields of one telegram; absent fields are None (or an empty MAC)."""

    fragment_control: int
    message_control: int | None
    key_information: int | None
    message_counter: bytes | None
    """MCR, 4 bytes in wire order: the input of the mode-7 key derivation and MAC."""
    mac: bytes
    message_length: int | None

    @property
    def fragment_id(self) -> int:
        """FCL bits 0..7."""
        return self.fragment_control & FCL_FRAGMENT_ID

    @property
    def more_fragments(self) -> bool:
        """FCL bit 14: this is not the last fragment of the message."""
        return bool(self.fragment_control & FCL_MORE_FRAGMENTS)

    def mac_input_prefix(self) -> bytes:
        """MCL, MCR and ML as they enter the CMAC (before the TPL bytes)."""
        prefix = b"" if self.message_control is None else bytes((self.message_control,))
        if self.message_counter is not None:
            prefix += self.message_counter
        if self.message_length is not None:
            prefix += self.message_length.to_bytes(2, "little")
        return prefix


def parse_afl(buffer: bytes, offset: int) -> tuple[AuthenticationLayer, int]:
    """Read the AFL whose CI 90 is at ``offset``; return it and the offset of the TPL CI.

    Raises Truncated when a field runs past the AFL length or the buffer, and
    UnsupportedCi for what no decoder can use alone: a fragment of a longer message
    (neither wmbusmeters nor ioBroker.wmbus reassembles fragments) or an unknown MAC type.
    """
    end = len(buffer)
    if offset + 4 > end:
        raise Truncated("AFL header incomplete")
    length = buffer[offset + 1]
    stop = offset + 2 + length
    if stop >= end:
        raise Truncated(f"AFL length {length} leaves no transport layer")
    position = offset + 2
    fcl = buffer[position] | (buffer[position + 1] << 8)
    position += 2
    message_control: int | None = None
    key_information: int | None = None
    message_counter: bytes | None = None
    message_length: int | None = None
    mac = b""
    if fcl & FCL_MCL_PRESENT:
        if position + 1 > stop:
            raise Truncated("AFL message control runs past the AFL length")
        message_control = buffer[position]
        position += 1
    if fcl & FCL_KI_PRESENT:
        if position + 2 > stop:
            raise Truncated("AFL key information runs past the AFL length")
        key_information = buffer[position] | (buffer[position + 1] << 8)
        position += 2
    if fcl & FCL_MCR_PRESENT:
        if position + 4 > stop:
            raise Truncated("AFL message counter runs past the AFL length")
        message_counter = bytes(buffer[position : position + 4])
        position += 4
    if fcl & FCL_MAC_PRESENT:
        authentication = (message_control or 0) & MCL_AUTHENTICATION_TYPE
        size = MAC_SIZES.get(authentication)
        if size is None or size == 0:
            raise UnsupportedCi(f"AFL authentication type {authentication} not supported")
        if position + size > stop:
            raise Truncated("AFL MAC runs past the AFL length")
        mac = bytes(buffer[position : position + size])
        position += size
    if fcl & FCL_ML_PRESENT:
        if position + 2 > stop:
            raise Truncated("AFL message length runs past the AFL length")
        message_length = buffer[position] | (buffer[position + 1] << 8)
        position += 2
    afl = AuthenticationLayer(
        fcl, message_control, key_information, message_counter, mac, message_length
    )
    if afl.more_fragments or afl.fragment_id:
        raise UnsupportedCi(
            f"AFL fragment {afl.fragment_id} of a longer message (fragments are not reassembled)"
        )
    return afl, stop


def verify_mac(afl: AuthenticationLayer, mac_key: bytes, transport: bytes) -> bool:
    """Whether the AFL MAC fits ``transport`` (TPL CI to the end, as received) under Kmac.

    The MAC is a truncated AES-CMAC; compared in constant time so a failure says nothing
    about how close a forgery was.
    """
    if not afl.mac:
        return True
    expected = aes_cmac(mac_key, afl.mac_input_prefix() + transport)[: len(afl.mac)]
    return hmac.compare_digest(expected, afl.mac)
