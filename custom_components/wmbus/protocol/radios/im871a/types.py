"""iM871A host controller interface (HCI): the numbers (endpoints, message ids, codes).

IMST's "WMBus Host Controller Interface" user guide names them; wmbusmeters'
``src/wmbus_im871a.h`` lists the same. One frame on the wire:

    a5 | control+endpoint | msg id | N | payload (N) | [timestamp 4] | [RSSI 1] | [CRC-16 2, LE]
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from ..link_modes import LinkMode

SOF: Final = 0xA5
HEADER_SIZE: Final = 4
TIMESTAMP_SIZE: Final = 4
RSSI_SIZE: Final = 1
CRC_SIZE: Final = 2
MAX_PAYLOAD_SIZE: Final = 255
MAX_FRAME_SIZE: Final = HEADER_SIZE + MAX_PAYLOAD_SIZE + TIMESTAMP_SIZE + RSSI_SIZE + CRC_SIZE

# Control nibble of byte 1 (IMST HCI user guide, "HCI Message Format").
CONTROL_CRC: Final = 0x80
CONTROL_RSSI: Final = 0x40
CONTROL_TIMESTAMP: Final = 0x20
CONTROL_RESERVED: Final = 0x10
ENDPOINT_MASK: Final = 0x0F

# wmbusmeters' RSSI approximation (src/wmbus_im871a.cc); raw values from here on mean 0 dBm.
RSSI_RAW_SATURATED: Final = 230


class Endpoint(IntEnum):
    """HCI endpoint id (low nibble of byte 1)."""

    DEVMGMT = 0x01
    RADIOLINK = 0x02
    RADIOLINKTEST = 0x03
    HWTEST = 0x04


class DevMgmtMessage(IntEnum):
    """Message ids of the device management endpoint (IMST HCI user guide)."""

    PING_REQ = 0x01
    PING_RSP = 0x02
    SET_CONFIG_REQ = 0x03
    SET_CONFIG_RSP = 0x04
    GET_CONFIG_REQ = 0x05
    GET_CONFIG_RSP = 0x06
    RESET_REQ = 0x07
    RESET_RSP = 0x08
    FACTORY_RESET_REQ = 0x09
    FACTORY_RESET_RSP = 0x0A
    GET_DEVICE_INFO_REQ = 0x0F
    GET_DEVICE_INFO_RSP = 0x10
    GET_SYSTEM_STATUS_REQ = 0x11
    GET_SYSTEM_STATUS_RSP = 0x12
    GET_FW_INFO_REQ = 0x13
    GET_FW_INFO_RSP = 0x14
    AES_DECRYPTION_ERROR_IND = 0x27


class RadioLinkMessage(IntEnum):
    """Message ids of the radio link endpoint."""

    WMBUS_MSG_REQ = 0x01
    WMBUS_MSG_RSP = 0x02
    WMBUS_MSG_IND = 0x03
    DATA_REQ = 0x04
    DATA_RSP = 0x05


# Highest valid message id per endpoint; anything outside 1..max is a framing error
# (the same ranges wmbusmeters enforces).
MAX_MESSAGE_ID: Final[dict[int, int]] = {
    Endpoint.DEVMGMT: 0x27,
    Endpoint.RADIOLINK: 0x05,
    Endpoint.RADIOLINKTEST: 0x07,
    Endpoint.HWTEST: 0x02,
}


# The link-mode byte of set/get configuration (HCI user guide, "Link Mode"; the C/T code needs
# firmware 0x14 or newer, N1a on the iM170A).
LINK_MODE_CODES: Final[dict[LinkMode, int]] = {
    LinkMode.S1: 0x00,
    LinkMode.S1m: 0x01,
    LinkMode.S2: 0x02,
    LinkMode.T1: 0x03,
    LinkMode.T2: 0x04,
    LinkMode.R2: 0x05,
    LinkMode.C1a: 0x06,
    LinkMode.C1b: 0x07,
    LinkMode.C2a: 0x08,
    LinkMode.C2b: 0x09,
    LinkMode.C1T1: 0x0A,
}
LINK_MODES: Final = tuple(LINK_MODE_CODES)


def link_mode_code(mode: LinkMode) -> int:
    """The configuration byte of ``mode``; KeyError for a mode the iM871A cannot set."""
    return LINK_MODE_CODES[mode]


def link_mode_of_code(code: int) -> LinkMode:
    """The link mode of a configuration byte; ValueError if it has none here."""
    for mode, mode_code in LINK_MODE_CODES.items():
        if mode_code == code:
            return mode
    raise ValueError(f"unknown link mode byte 0x{code:02x}")


def rssi_to_dbm(raw: int) -> float:
    """Convert the stick's raw RSSI byte to dBm (wmbusmeters' linear approximation)."""
    if raw >= RSSI_RAW_SATURATED:
        return 0.0
    return -100.0 + (raw - 45) * 0.5


def dbm_to_rssi(dbm: float) -> int:
    """Inverse of :func:`rssi_to_dbm`, clamped to a byte (used by the emulator)."""
    raw = round((dbm + 100.0) * 2 + 45)
    return max(0, min(RSSI_RAW_SATURATED - 1, raw))


class ModuleType(IntEnum):
    """Module type byte of the device info (IMST HCI user guide)."""

    IM871A = 0x33
    IM170A = 0x36


_MODULE_NAMES: Final[dict[int, str]] = {ModuleType.IM871A: "iM871A", ModuleType.IM170A: "iM170A"}


class HciPayloadError(ValueError):
    """A response payload is too short or malformed to parse."""
