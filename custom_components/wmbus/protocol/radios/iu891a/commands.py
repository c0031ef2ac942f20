"""iU891A-XL commands: typed requests, the payloads they carry and the responses they get.

Every response starts with a status byte; a non-zero one becomes its typed error
(:func:`.types.status_error`), so a caller catches ``NotSupported`` or ``WrongParameter`` rather
than comparing numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from ..link_modes import LinkMode
from .frames import Frame, encode_frame
from .types import (
    ACTIVE_CONFIGURATION_SIZE,
    CRC_SIZE,
    HOST_LED_TIME_MS,
    HOST_OPTIONS,
    HOST_RECALIBRATION_MS,
    HOST_UI_OPTIONS,
    MODULE_NAMES,
    OPTION_RECEIVE_FILTER,
    OPTION_RX_INDICATION,
    DevMgmtMessage,
    LinkModeCode,
    PayloadError,
    Sap,
    WmbusGwMessage,
    link_mode_code,
    link_mode_of_code,
    status_error,
)

# --- typed requests -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    """One host request and the response that answers it (request id + 1, same SAP)."""

    name: str
    sap: Sap
    msg_id: int
    payload: bytes = b""

    @property
    def response_msg_id(self) -> int:
        """Message id of the response."""
        return self.msg_id + 1

    @property
    def response_key(self) -> tuple[int, int]:
        """(SAP, message id) of the response: how the driver matches it."""
        return (self.sap, self.msg_id + 1)

    def encode(self) -> bytes:
        """Return the serial bytes of the request (SLIP, CRC)."""
        return encode_frame(self.sap, self.msg_id, self.payload)

    def result(self, raw: bytes) -> bytes:
        """The payload of a checked response frame after its status; a typed error if not OK."""
        if len(raw) < 3 + CRC_SIZE:
            raise PayloadError(f"{self.name} response has no status byte")
        status = raw[2]
        if status:
            raise status_error(self.sap, self.name, status)
        return raw[3:-CRC_SIZE]


def ping() -> Command:
    """Liveness check, ``c0 01 01 16 07 c0``."""
    return Command("ping", Sap.DEVMGMT, DevMgmtMessage.PING_REQ)


def get_device_info() -> Command:
    """Module type and UID, ``c0 01 03 04 24 c0``."""
    return Command("get_device_info", Sap.DEVMGMT, DevMgmtMessage.GET_DEVICE_INFO_REQ)


def get_firmware_info() -> Command:
    """Firmware version, build and name."""
    return Command("get_firmware_info", Sap.DEVMGMT, DevMgmtMessage.GET_FW_INFO_REQ)


def restart() -> Command:
    """Reboot the module: its RAM (active) configuration is lost, the NVM one comes back."""
    return Command("restart", Sap.DEVMGMT, DevMgmtMessage.RESTART_REQ)


def get_active_configuration() -> Command:
    """Read the volatile configuration in use, ``c0 09 01 d6 c9 c0``."""
    return Command("get_active_configuration", Sap.WMBUSGW, WmbusGwMessage.GET_ACTIVE_CONFIG_REQ)


def set_active_configuration(config: ActiveConfiguration) -> Command:
    """Write the volatile configuration (RAM only: lost at restart; the NVM is left alone)."""
    return Command(
        "set_active_configuration",
        Sap.WMBUSGW,
        WmbusGwMessage.SET_ACTIVE_CONFIG_REQ,
        config.encode(),
    )


def get_wmbus_address() -> Command:
    """The stick's own wM-Bus address (iU891A-XL only), ``c0 09 81 de 4d c0``."""
    return Command("get_wmbus_address", Sap.WMBUSGW, WmbusGwMessage.GET_WMBUS_ADDRESS_REQ)


def parse_response(raw: bytes) -> Frame:
    """Take a checked frame apart (for the emulator's log and the command line)."""
    return Frame.parse(raw)


# --- payloads -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActiveConfiguration:
    """The 11-byte configuration of 09/01..04 (wmbusmeters ``Config_IU891A``, jktjkt)."""

    link_mode: int
    options: int
    ui_options: int
    led_time_ms: int
    recalibration_ms: int

    @classmethod
    def for_host(cls, mode: LinkMode) -> ActiveConfiguration:
        """What this driver writes on every start: ``mode``, forward all, RX indications on."""
        return cls(
            link_mode=link_mode_code(mode),
            options=HOST_OPTIONS,
            ui_options=HOST_UI_OPTIONS,
            led_time_ms=HOST_LED_TIME_MS,
            recalibration_ms=HOST_RECALIBRATION_MS,
        )

    @property
    def link_mode_name(self) -> LinkMode | None:
        """The link mode as offered here; None for off or a code not offered."""
        return link_mode_of_code(self.link_mode)

    @property
    def forwards_all(self) -> bool:
        """Whether every telegram is forwarded (the receive filter is off)."""
        return not self.options & OPTION_RECEIVE_FILTER

    @property
    def rx_indications(self) -> bool:
        """Whether received telegrams are sent to the host."""
        return bool(self.options & OPTION_RX_INDICATION)

    def encode(self) -> bytes:
        """The 11 payload bytes."""
        return (
            bytes((self.link_mode,))
            + self.options.to_bytes(2, "little")
            + self.ui_options.to_bytes(2, "little")
            + self.led_time_ms.to_bytes(2, "little")
            + self.recalibration_ms.to_bytes(4, "little")
        )

    @classmethod
    def parse(cls, payload: bytes) -> ActiveConfiguration:
        """Parse the payload of a get-configuration response (or of a set request)."""
        if len(payload) < ACTIVE_CONFIGURATION_SIZE:
            raise PayloadError(
                f"configuration needs {ACTIVE_CONFIGURATION_SIZE} bytes, got {len(payload)}"
            )
        return cls(
            link_mode=payload[0],
            options=int.from_bytes(payload[1:3], "little"),
            ui_options=int.from_bytes(payload[3:5], "little"),
            led_time_ms=int.from_bytes(payload[5:7], "little"),
            recalibration_ms=int.from_bytes(payload[7:11], "little"),
        )

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly view (diagnostics)."""
        try:
            code_name = LinkModeCode(self.link_mode).name
        except ValueError:
            code_name = f"unknown 0x{self.link_mode:02x}"
        return {
            "link_mode_code": self.link_mode,
            "link_mode": code_name,
            "options": f"0x{self.options:04x}",
            "ui_options": f"0x{self.ui_options:04x}",
            "led_time_ms": self.led_time_ms,
            "recalibration_ms": self.recalibration_ms,
        }


# Device info: module type then UID (uint32 LE); wmbusmeters reads 8 bytes and ignores the
# rest, the #1354 capture shows at least 9. The bytes after the UID are kept, not interpreted.
DEVICE_INFO_MIN_SIZE: Final = 5


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """Answer to get device info (payload after the status byte)."""

    module_type: int
    uid: int
    extra: bytes = b""

    @property
    def model(self) -> str:
        """Module name, e.g. ``iU891A-XL``."""
        return MODULE_NAMES.get(self.module_type, f"unknown module 0x{self.module_type:02x}")

    @property
    def is_supported(self) -> bool:
        """True for the modules running IMST's wM-Bus gateway firmware named in the sources."""
        return self.module_type in MODULE_NAMES

    @property
    def serial_number(self) -> str:
        """UID as wmbusmeters prints it (8 hex digits): the module's hardware identity."""
        return f"{self.uid:08x}"

    @classmethod
    def parse(cls, payload: bytes) -> DeviceInfo:
        """Parse a get-device-info response payload."""
        if len(payload) < DEVICE_INFO_MIN_SIZE:
            raise PayloadError(
                f"device info needs {DEVICE_INFO_MIN_SIZE} bytes, got {len(payload)}"
            )
        return cls(payload[0], int.from_bytes(payload[1:5], "little"), bytes(payload[5:]))

    def encode(self) -> bytes:
        """Payload bytes (for the emulator)."""
        return bytes((self.module_type,)) + self.uid.to_bytes(4, "little") + self.extra


@dataclass(frozen=True, slots=True)
class FirmwareInfo:
    """Answer to get firmware info, read as IMST's sibling WiMOD firmwares lay it out.

    Minor and major version, build count (uint16 LE), build date (10 characters), then the
    image name; IMST's own tool shows "WMBusGateway, version 1.0, build 14.11.2024" for an
    iU891A-XL (wmbusmeters issue #1920), which this layout yields. Not confirmed from a capture
    of this stick: ``raw`` keeps the bytes, and a short answer still parses.
    """

    major: int | None
    minor: int | None
    build_count: int | None = None
    build_date: str | None = None
    name: str | None = None
    raw: bytes = field(default=b"", repr=False)

    @property
    def version(self) -> str:
        """``major.minor`` with the build date if known, e.g. ``1.0 (14.11.2024)``."""
        if self.major is None or self.minor is None:
            return "unknown"
        version = f"{self.major}.{self.minor}"
        return f"{version} ({self.build_date})" if self.build_date else version

    @classmethod
    def parse(cls, payload: bytes) -> FirmwareInfo:
        """Parse a get-firmware-info response payload; never raises on odd lengths."""
        if len(payload) < 2:
            return cls(None, None, raw=bytes(payload))
        build_count = int.from_bytes(payload[2:4], "little") if len(payload) >= 4 else None
        return cls(
            major=payload[1],
            minor=payload[0],
            build_count=build_count,
            build_date=_text(payload[4:14]),
            name=_text(payload[14:]),
            raw=bytes(payload),
        )

    def encode(self) -> bytes:
        """Payload bytes (for the emulator)."""
        if self.raw:
            return self.raw
        out = bytes((self.minor or 0, self.major or 0))
        out += (self.build_count or 0).to_bytes(2, "little")
        out += (self.build_date or "").encode("ascii")[:10].ljust(10, b"\0")
        return out + (self.name or "").encode("ascii") + b"\0"


def _text(data: bytes) -> str | None:
    """Printable ASCII up to the first NUL; None if empty or not text."""
    text = bytes(data).split(b"\0", 1)[0]
    if not text or not all(0x20 <= byte < 0x7F for byte in text):
        return None
    return text.decode("ascii")
