"""iU891A-XL host controller interface: the numbers (SAPs, message ids, codes, statuses).

IMST's WiMOD "wM-Bus Gateway" HCI, as wmbusmeters' ``src/wmbus_iu891a.h`` lists it and
jktjkt's ``wmbus-walkby-web`` (``wmbus.js``) uses it. One frame on the wire (RFC 1055 SLIP)::

    c0 | SAP | msg id | [status, responses only] | payload | CRC-16/X-25 LE | c0

with ``c0`` and ``db`` inside escaped as ``db dc`` and ``db dd`` (the CRC included). The same
interface serves the iU891A-XL (USB), the iU893A-XL and the iM891A-XL / iM881A-XL modules; the
module type byte of the device info tells which answered.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from ..base import RadioError
from ..link_modes import LinkMode

# RFC 1055 SLIP.
END: Final = 0xC0
ESC: Final = 0xDB
ESC_END: Final = 0xDC
ESC_ESC: Final = 0xDD

CRC_SIZE: Final = 2
# SAP, message id, status, CRC: the shortest frame a stick sends (wmbusmeters' ``checkIU891AFrame``
# discards shorter ones). Host requests without payload are one byte shorter (no status).
MIN_STICK_FRAME_SIZE: Final = 5
MIN_REQUEST_SIZE: Final = 4
# An RX indication of the longest telegram (8-byte header + L + 255) with SAP, id and CRC; twice
# that escaped. A run of bytes without an END longer than this is not a frame.
MAX_FRAME_SIZE: Final = 2 + 8 + 1 + 255 + CRC_SIZE
MAX_ESCAPED_FRAME_SIZE: Final = 2 * MAX_FRAME_SIZE

# RX indication (WMBUSGW 0x20) layout after SAP and message id (no status byte): timestamp (4,
# LE seconds of the stick's clock), decStatus, encMode, info, RSSI (int8, dBm), then L + frame
# with the DLL CRCs removed (wmbusmeters ``extractFrame``; jktjkt ``wmbus.js``).
RX_TIMESTAMP_AT: Final = 2
RX_RSSI_AT: Final = 9
RX_TELEGRAM_AT: Final = 10


class Sap(IntEnum):
    """Service access point: the first byte of every frame."""

    DEVMGMT = 0x01
    WMBUSGW = 0x09


class DevMgmtMessage(IntEnum):
    """Device management message ids; a response is its request's id + 1."""

    PING_REQ = 0x01
    PING_RSP = 0x02
    GET_DEVICE_INFO_REQ = 0x03
    GET_DEVICE_INFO_RSP = 0x04
    GET_FW_INFO_REQ = 0x05
    GET_FW_INFO_RSP = 0x06
    RESTART_REQ = 0x07
    RESTART_RSP = 0x08
    SET_SYS_OP_MODE_REQ = 0x09
    SET_SYS_OP_MODE_RSP = 0x0A
    GET_SYS_OP_MODE_REQ = 0x0B
    GET_SYS_OP_MODE_RSP = 0x0C
    SET_DATE_TIME_REQ = 0x0D
    SET_DATE_TIME_RSP = 0x0E
    GET_DATE_TIME_REQ = 0x0F
    GET_DATE_TIME_RSP = 0x10
    SET_SYS_OPTIONS_REQ = 0xF7
    SET_SYS_OPTIONS_RSP = 0xF8
    GET_SYS_OPTIONS_REQ = 0xF9
    GET_SYS_OPTIONS_RSP = 0xFA


class WmbusGwMessage(IntEnum):
    """wM-Bus gateway message ids (the subset this driver and its emulator use or name)."""

    GET_ACTIVE_CONFIG_REQ = 0x01
    GET_ACTIVE_CONFIG_RSP = 0x02
    SET_ACTIVE_CONFIG_REQ = 0x03
    SET_ACTIVE_CONFIG_RSP = 0x04
    # The default configuration lives in NVM: this driver never writes it (flash wear, and a
    # stick left streaming at power-up is the NVM's doing; wmbusmeters issue #1630).
    GET_DEFAULT_CONFIG_REQ = 0x05
    GET_DEFAULT_CONFIG_RSP = 0x06
    SET_DEFAULT_CONFIG_REQ = 0x07
    SET_DEFAULT_CONFIG_RSP = 0x08
    RESET_DEFAULT_CONFIG_REQ = 0x09
    RESET_DEFAULT_CONFIG_RSP = 0x0A
    RX_MESSAGE_IND = 0x20
    SCAN_MODE_PACKET_IND = 0x24
    MESSAGE_TRANSMITTED_IND = 0x34
    ENCRYPTED_MESSAGE_TRANSMITTED_IND = 0x38
    GET_WMBUS_ADDRESS_REQ = 0x81
    GET_WMBUS_ADDRESS_RSP = 0x82


# Frames the stick sends unasked; they carry no status byte (wmbusmeters ``checkIU891AFrame``
# says so for 0x20; the others are assumed alike).
INDICATIONS: Final = frozenset(
    {
        (Sap.WMBUSGW, WmbusGwMessage.RX_MESSAGE_IND),
        (Sap.WMBUSGW, WmbusGwMessage.SCAN_MODE_PACKET_IND),
        (Sap.WMBUSGW, WmbusGwMessage.MESSAGE_TRANSMITTED_IND),
        (Sap.WMBUSGW, WmbusGwMessage.ENCRYPTED_MESSAGE_TRANSMITTED_IND),
    }
)


# --- active configuration -------------------------------------------------------------------


class LinkModeCode(IntEnum):
    """Link-mode byte of the active configuration (wmbusmeters ``wmbus_iu891a.h``, PR #2077)."""

    OFF = 0
    S = 1
    T = 2
    C_T = 3
    C = 5
    ENHANCED_T = 6  # named by IMST support in wmbusmeters issue #1596
    CUSTOM_C_T = 7  # wmbusmeters PR #2077


# The modes this driver offers, in the order offered, and their codes.
LINK_MODE_CODES: Final[dict[LinkMode, LinkModeCode]] = {
    LinkMode.C1T1: LinkModeCode.C_T,
    LinkMode.C1: LinkModeCode.C,
    LinkMode.T1: LinkModeCode.T,
    LinkMode.S1: LinkModeCode.S,
}
LINK_MODES: Final = tuple(LINK_MODE_CODES)


def link_mode_code(mode: LinkMode) -> LinkModeCode:
    """The configuration byte of ``mode``; KeyError for a mode the iU891A cannot set."""
    return LINK_MODE_CODES[mode]


def link_mode_of_code(code: int) -> LinkMode | None:
    """The link mode of a configuration byte, None for off or a code not offered here."""
    for mode, mode_code in LINK_MODE_CODES.items():
        if mode_code == code:
            return mode
    return None


# Option bits (uint16 LE at offset 1 of the configuration; wmbusmeters ``Config_IU891A``).
OPTION_RECEIVE_FILTER: Final = 0x0001  # set: only meters of the device list are forwarded
OPTION_RX_INDICATION: Final = 0x0002  # received telegrams are sent to the host (09/20)
OPTION_TX_INDICATION: Final = 0x0004
OPTION_RECALIBRATION: Final = 0x0008  # periodic radio recalibration
# UI bits (uint16 LE at offset 3): pin 24 (RX LED) on telegram, its polarity, pin 25 (TX LED).
UI_RX_LED: Final = 0x0001
UI_RX_LED_INVERTED: Final = 0x0002
UI_TX_LED: Final = 0x0004
UI_TX_LED_INVERTED: Final = 0x0008

# What the host writes on every start: forward all (filter off), RX and TX indications and
# recalibration, LED 50 ms, recalibration every 900 s, as wmbusmeters 3.0.0 does (issue #2059).
# The LEDs flash on RX and TX as in jktjkt's ``wmbus.js`` (UI 0x05): a user sees the stick hear.
HOST_OPTIONS: Final = OPTION_RX_INDICATION | OPTION_TX_INDICATION | OPTION_RECALIBRATION
HOST_UI_OPTIONS: Final = UI_RX_LED | UI_TX_LED
HOST_LED_TIME_MS: Final = 50
HOST_RECALIBRATION_MS: Final = 900_000
ACTIVE_CONFIGURATION_SIZE: Final = 11


# --- device info ----------------------------------------------------------------------------


class ModuleType(IntEnum):
    """Module type byte of the device info (wmbusmeters ``DeviceInfo_IU891A``, PR #1739)."""

    IM891A_XL = 0x6D
    IU891A_XL = 0x6E
    IU893A_XL = 0x71
    IM881A_XL = 0xA3


MODULE_NAMES: Final[dict[int, str]] = {
    ModuleType.IM891A_XL: "iM891A-XL",
    ModuleType.IU891A_XL: "iU891A-XL",
    ModuleType.IU893A_XL: "iU893A-XL",
    ModuleType.IM881A_XL: "iM881A-XL",
}


# --- status bytes as errors -----------------------------------------------------------------


class Iu891aError(RadioError):
    """The stick answered, but not as asked (a status, a payload, a configuration)."""


class PayloadError(Iu891aError, ValueError):
    """A response payload is too short or malformed to parse."""


class ConfigurationNotApplied(Iu891aError):
    """The active configuration read back is not the one written."""


class StatusError(Iu891aError):
    """A response carried a non-zero status byte: the stick refused or failed the request."""

    status: int = -1
    meaning: str = "unknown status"

    def __init__(self, request: str, status: int, meaning: str | None = None) -> None:
        self.request = request
        self.status = status
        if meaning is not None:
            self.meaning = meaning
        super().__init__(f"{request} failed: status {status} ({self.meaning})")


class CommandFailed(StatusError):
    """Status 1, "error"."""

    meaning = "error"


class NotSupported(StatusError):
    """Status 2: this module or firmware does not know the command."""

    meaning = "command not supported"


class WrongParameter(StatusError):
    """Status 3."""

    meaning = "wrong parameter"


class WrongMode(StatusError):
    """Status 4: the command needs another application or system operation mode."""

    meaning = "wrong application / device mode"


class NoMoreData(StatusError):
    """Status 5 (gateway only; reserved in device management)."""

    meaning = "no more data"


class Busy(StatusError):
    """Status 6: try later."""

    meaning = "busy, try later"


class WrongLength(StatusError):
    """Status 7."""

    meaning = "wrong message length"


class NvmWriteError(StatusError):
    """Status 8."""

    meaning = "NVM write error"


class NvmReadError(StatusError):
    """Status 9: the NVM content is invalid."""

    meaning = "NVM read error (NVM content invalid)"


class Rejected(StatusError):
    """Status 10: not possible in the current state."""

    meaning = "command rejected"


class AccessDenied(StatusError):
    """Status 11 (gateway only): needs another system operation mode."""

    meaning = "access denied"


class UnexpectedFormat(StatusError):
    """Status 12: "unexpected message format" (device management), "data truncated" (gateway)."""

    meaning = "unexpected message format / data truncated"


class EncryptionError(StatusError):
    """Statuses 13 to 16 (gateway only): encryption mode, key, parameters, failure."""

    meaning = "encryption error"


STATUS_ERRORS: Final[dict[int, type[StatusError]]] = {
    1: CommandFailed,
    2: NotSupported,
    3: WrongParameter,
    4: WrongMode,
    5: NoMoreData,
    6: Busy,
    7: WrongLength,
    8: NvmWriteError,
    9: NvmReadError,
    10: Rejected,
    11: AccessDenied,
    12: UnexpectedFormat,
    13: EncryptionError,
    14: EncryptionError,
    15: EncryptionError,
    16: EncryptionError,
}
_SPECIFIC_MEANINGS: Final[dict[tuple[int, int], str]] = {
    (Sap.WMBUSGW, 12): "data truncated",
    (Sap.DEVMGMT, 12): "unexpected message format",
    (Sap.WMBUSGW, 13): "unsupported encryption mode",
    (Sap.WMBUSGW, 14): "no encryption key for the meter address",
    (Sap.WMBUSGW, 15): "encryption parameter missing",
    (Sap.WMBUSGW, 16): "encryption error",
}


def status_error(sap: int, request: str, status: int) -> StatusError:
    """The typed error of a non-zero status byte in a response from ``sap``."""
    error_type = STATUS_ERRORS.get(status, StatusError)
    return error_type(request, status, _SPECIFIC_MEANINGS.get((sap, status)))
