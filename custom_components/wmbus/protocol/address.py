"""A meter's address and the link header's facts (EN 13757-4 section 12.5, the A- and M-fields).

What every layer and the Home Assistant side key meters by: :class:`MeterAddress` (manufacturer,
the 8 printed digits, version, device type) and :class:`LinkHeader`, the facts of the first 11
bytes that need no key. Pure values: nothing here raises the decoder's errors, so
``errors.py`` can name a refused telegram's sender without importing the link stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

type MeterId = str
"""A meter's identification number as printed on it: 8 decimal (BCD) digits, e.g. "32666857"."""

LINK_HEADER_SIZE: Final = 11
"""L, C, M (2), A (6), CI: everything up to and including the first CI field."""

ADDRESS_SLICE: Final = slice(2, 10)
"""M (2) and A (id 4, version, device type) in wire order: one meter's whole address."""
ADDRESS_SIZE: Final = 8
NATIONAL_CODE_BIT: Final = 0x80
LONG_TRANSPORT_HEADER_CIS: Final = frozenset(
    {
        0x53, 0x55, 0x5B, 0x5F, 0x60, 0x64, 0x68, 0x6B, 0x6C, 0x6D, 0x6F, 0x72, 0x73,
        0x75, 0x7C, 0x80, 0x82, 0x84, 0x85, 0x87, 0x8B, 0x9F, 0xC0, 0xC2, 0xC3, 0xC5,
    }
)  # fmt: skip
"""Transport CIs with the long header (EN 13757-7: ID, M, version, device type, then ACC,
STS, CFG): its address names the meter itself."""
_CLEAR_ELL_SIZES: Final = {0x8C: 2, 0x8E: 10}
"""ELL CIs whose header is never encrypted (EN 13757-4 ELL I and III) and their sizes after
the CI: the transport header behind them can be read before any key is known."""
_CI_NETWORK_LAYER: Final = 0x81
_CI_AFL: Final = 0x90
METER_ADDRESS_CIS: Final = LONG_TRANSPORT_HEADER_CIS | frozenset(
    {*_CLEAR_ELL_SIZES, _CI_NETWORK_LAYER, _CI_AFL}
)
"""Link CIs after which a long transport header may name a meter other than the sender."""
"""Bit 15 of the M-field (bit 7 of its second byte): some meters set it (Apator ``14 86``)."""

# Device types (the "medium" byte of the A-field), EN 13757-3 (device type table).
DEVICE_TYPE_NAMES: Final[dict[int, str]] = {
    0x00: "other",
    0x01: "oil",
    0x02: "electricity",
    0x03: "gas",
    0x04: "heat",
    0x05: "steam",
    0x06: "warm water",
    0x07: "water",
    0x08: "heat cost allocator",
    0x09: "compressed air",
    0x0A: "cooling load volume at outlet",
    0x0B: "cooling load volume at inlet",
    0x0C: "heat volume at inlet",
    0x0D: "heat/cooling load",
    0x0E: "bus/system component",
    0x0F: "unknown",
    0x10: "irrigation water",
    0x11: "water data logger",
    0x12: "gas data logger",
    0x13: "gas converter",
    0x14: "calorific value",
    0x15: "hot water",
    0x16: "cold water",
    0x17: "dual register water",
    0x18: "pressure",
    0x19: "A/D converter",
    0x1A: "smoke detector",
    0x1B: "room sensor",
    0x1C: "gas detector",
    0x20: "breaker (electricity)",
    0x21: "valve (gas or water)",
    0x25: "customer unit (display)",
    0x28: "waste water",
    0x29: "garbage",
    0x31: "communication controller",
    0x32: "unidirectional repeater",
    0x33: "bidirectional repeater",
    0x36: "radio converter (system side)",
    0x37: "radio converter (meter side)",
    0x38: "bus converter (meter side)",
}


def device_type_name(device_type: int) -> str:
    """Return a readable medium name; reserved codes are shown as hex, not guessed."""
    return DEVICE_TYPE_NAMES.get(device_type, f"reserved 0x{device_type:02x}")


def manufacturer_code(manufacturer_id: int) -> str:
    """Turn the 16-bit M-field into its three letters (EN 13757-4: 5 bits per letter).

    0x2C2D -> "KAM". Bit 15 (national code) is ignored, as wmbusmeters does.
    """
    return (
        chr(((manufacturer_id >> 10) & 0x1F) + 64)
        + chr(((manufacturer_id >> 5) & 0x1F) + 64)
        + chr((manufacturer_id & 0x1F) + 64)
    )


def manufacturer_id_from_code(code: str) -> int:
    """Inverse of :func:`manufacturer_code`, for profiles that declare "KAM"."""
    if len(code) != 3 or not all("A" <= letter <= "Z" for letter in code):
        raise ValueError(f"manufacturer code must be three letters A-Z, got {code!r}")
    return ((ord(code[0]) - 64) << 10) | ((ord(code[1]) - 64) << 5) | (ord(code[2]) - 64)


def meter_id_to_wire(meter_id: MeterId) -> bytes:
    """Return the 4 A-field id bytes in wire order for a printed id ("32666857" -> 57686632).

    Raises ValueError for anything but 8 hex digits (BCD ids are decimal, but some
    meters use A-F digits, and a lookup key must accept whatever is on air).
    """
    if len(meter_id) != 8:
        raise ValueError(f"meter id must have 8 digits, got {meter_id!r}")
    try:
        return bytes.fromhex(meter_id)[::-1]
    except ValueError:
        raise ValueError(f"meter id must be 8 hex digits, got {meter_id!r}") from None


def normalize_meter_id(meter_id: MeterId) -> MeterId:
    """Return the canonical (lower case) spelling used as a dictionary key."""
    return meter_id_to_wire(meter_id)[::-1].hex()


@dataclass(frozen=True, slots=True)
class MeterAddress:
    """A meter's whole link-layer address: two meters sharing the 8 digits are two meters.

    ``meter_id`` is the id as printed (lower-case hex of the BCD digits); the others are
    the M-field letters, the version and the device type byte.
    """

    manufacturer: str
    meter_id: MeterId
    version: int
    device_type: int

    @classmethod
    def from_wire(cls, wire: bytes) -> MeterAddress:
        """Address from the 8 bytes M, A in wire order (telegram offsets 2..9)."""
        if len(wire) != ADDRESS_SIZE:
            raise ValueError(f"an address has {ADDRESS_SIZE} bytes, got {len(wire)}")
        return cls(
            manufacturer_code(wire[0] | (wire[1] << 8)),
            wire[5:1:-1].hex(),
            wire[6],
            wire[7],
        )

    @property
    def wire(self) -> bytes:
        """The 8 address bytes as sent (national-code bit clear).

        Raises ValueError when a field cannot be sent (not three letters, id not 8 hex
        digits, version or type outside a byte).
        """
        if not (0 <= self.version <= 0xFF and 0 <= self.device_type <= 0xFF):
            raise ValueError(
                f"version and device type must be bytes, got {self.version}, {self.device_type}"
            )
        return (
            manufacturer_id_from_code(self.manufacturer).to_bytes(2, "little")
            + meter_id_to_wire(self.meter_id)
            + bytes((self.version, self.device_type))
        )

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.meter_id} v{self.version:02x} t{self.device_type:02x}"


@dataclass(frozen=True, slots=True)
class LinkHeader:
    """The link-layer facts of one telegram (EN 13757-4 link header), decodable without a key."""

    length: int
    c_field: int
    manufacturer_id: int
    manufacturer: str
    meter_id: MeterId
    version: int
    device_type: int
    ci: int
    meter_address: MeterAddress | None = None
    """The long transport header's address when it names another device than the link
    layer (a meter behind a radio module), else None."""

    @property
    def device_type_name(self) -> str:
        """Readable medium of the meter (:attr:`address`), e.g. "water"."""
        return device_type_name(self.address.device_type)

    @property
    def link_address(self) -> MeterAddress:
        """The link layer's address: the radio part that sent the telegram."""
        return MeterAddress(self.manufacturer, self.meter_id, self.version, self.device_type)

    @property
    def address(self) -> MeterAddress:
        """The meter's whole address: the long transport header's, else the link layer's.

        Behind a radio converter (device type 0x37) the link layer names the radio part;
        the meter is the one the transport header names (EN 13757-7 long header), and it
        is the one the user set up, whose key and type apply.
        """
        return self.meter_address or self.link_address


def meter_address_wire(telegram: bytes) -> bytes:
    """The 8 address bytes (M, A in link-layer wire order) of the meter a telegram is from.

    A long transport header (CI 72 ...) carries the meter's own ID, M, version and device
    type; the link layer then may name a radio module (EN 13757-7). The header is found after
    the link layer directly, or behind the parts that are never encrypted: ELL I/III (CI
    8C/8E), the network layer (CI 81) and the AFL (CI 90). Behind an encrypted ELL (8D/8F)
    nothing can be read before decryption: the link address is returned. Telegrams too short
    for a header also give the link address.
    """
    position = LINK_HEADER_SIZE - 1
    size = len(telegram)
    if position < size and telegram[position] in _CLEAR_ELL_SIZES:
        position += 1 + _CLEAR_ELL_SIZES[telegram[position]]
    if position < size and telegram[position] == _CI_NETWORK_LAYER:
        position += 2
    if position + 1 < size and telegram[position] == _CI_AFL:
        position += 2 + telegram[position + 1]
    if position + 9 > size or telegram[position] not in LONG_TRANSPORT_HEADER_CIS:
        return bytes(telegram[2:10])
    header = telegram[position + 1 : position + 9]
    return bytes(header[4:6] + header[0:4] + header[6:8])


def link_header_from_prefix(prefix: bytes) -> LinkHeader:
    """Build a :class:`LinkHeader` from the telegram's first bytes (length not re-checked).

    Given the whole telegram (or enough of it), a long transport header's meter address
    is read too (:func:`meter_address_wire`); 11 bytes give the link layer alone.
    """
    manufacturer_id = prefix[2] | (prefix[3] << 8)
    meter_address: MeterAddress | None = None
    if len(prefix) > LINK_HEADER_SIZE and prefix[10] in METER_ADDRESS_CIS:
        wire = meter_address_wire(prefix)
        if wire != prefix[2:10]:
            meter_address = MeterAddress.from_wire(wire)
    return LinkHeader(
        length=prefix[0],
        c_field=prefix[1],
        manufacturer_id=manufacturer_id,
        manufacturer=manufacturer_code(manufacturer_id),
        meter_id=prefix[7:3:-1].hex(),
        version=prefix[8],
        device_type=prefix[9],
        ci=prefix[10],
        meter_address=meter_address,
    )
