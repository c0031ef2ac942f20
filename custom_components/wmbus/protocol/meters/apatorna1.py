"""Apator NA-1 water meter (APA, version 0x14, type 0x07).

CI A0/A1, not DIF/VIF. After the CI: an access number, a frame status byte, then 16
bytes encrypted with AES-128-CBC under the meter key, IV = the link-layer M and A fields
and eight times the access number (as in security mode 5). Decrypted: one byte, the
packed total (32 bit LE: bits 8-31 and 0-3 form the litres, bits 4-5 a power of ten),
the meter time (seconds since 2000, 32 bit), the age of the last historic reading in
hours (a byte plus the top 6 bits of the next), and a 26-bit delta between the total and
that reading (the bottom 2 bits of the age byte, then three bytes), in the same
litres-times-power-of-ten. Facts: wmbusmeters drivers/src/apatorna1.xmq and its tests.
"""

from __future__ import annotations

from typing import Final

from ..crypto import AES_BLOCK_SIZE, aes_cbc_decrypt
from ..records import Record
from .layout import record, wire_address
from .profile import FieldSpec, ManufacturerFrame, MeterProfile, mvt

_CIPHER_START: Final = 2
_KEY_SIZE: Final = 16
_FILLER: Final = 0x2F
"""The decrypted block starts with an idle filler: anything else means a wrong key."""


def decode_payload(frame: ManufacturerFrame) -> tuple[Record, ...]:
    """Total (storage 0), the last historic total (storage 1) and its age in hours.

    Without the meter key, or with a wrong one, nothing can be read: no records.
    """
    payload = frame.payload
    key = frame.key
    if key is None or len(key) != _KEY_SIZE or len(payload) < _CIPHER_START + AES_BLOCK_SIZE:
        return ()
    access_number = payload[0]
    iv = wire_address(frame.address) + bytes((access_number,)) * 8
    clear = aes_cbc_decrypt(key, iv, payload[_CIPHER_START : _CIPHER_START + AES_BLOCK_SIZE])
    if clear[0] != _FILLER:
        return ()
    packed = int.from_bytes(clear[1:5], "little")
    scale = 10 ** ((packed >> 4) & 0x03)
    litres = (((packed >> 8) << 4) | (packed & 0x0F)) * scale
    age_low, age_meta = clear[9], clear[10]
    delta = ((clear[13] << 18) | (clear[12] << 10) | (clear[11] << 2) | (age_meta & 0x03)) * scale
    age_hours = ((age_meta >> 2) << 8) | age_low
    return (
        record(litres, clear[1:5], "volume", "m3", exponent=-3),
        record(litres - delta, clear[9:14], "volume", "m3", exponent=-3, storage=1),
        record(age_hours, clear[9:11], "historic_reading_age", "h"),
    )


PROFILE: Final = MeterProfile(
    name="apatorna1",
    model="Apator NA-1",
    media="water",
    detect=(mvt("APA", 0x14, 0x07),),
    payload="manufacturer",
    frames={0xA0: decode_payload, 0xA1: decode_payload},
    fields=(
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("historic_m3", "volume", "m3", storage=1),
        FieldSpec(
            "historic_age_h",
            "historic_reading_age",
            "h",
        ),
    ),
)
