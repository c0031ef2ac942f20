"""iM871A HCI commands: typed requests and the payloads they carry and return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..link_modes import LinkMode
from .frames import HciFrame, encode_frame
from .types import (
    DevMgmtMessage,
    Endpoint,
    HciPayloadError,
    ModuleType,
    link_mode_code,
    link_mode_of_code,
)

_MODULE_NAMES: Final[dict[int, str]] = {ModuleType.IM871A: "iM871A", ModuleType.IM170A: "iM170A"}

# --- typed requests -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    """One host request and the response that answers it."""

    name: str
    endpoint: Endpoint
    msg_id: int
    response_msg_id: int
    payload: bytes = b""

    def encode(self) -> bytes:
        """Return the serial bytes of the request."""
        return encode_frame(self.endpoint, self.msg_id, self.payload)

    def is_answered_by(self, frame: HciFrame) -> bool:
        """Tell whether ``frame`` answers this request (endpoint + msg id, as the seed matched)."""
        return frame.endpoint == self.endpoint and frame.msg_id == self.response_msg_id


def _devmgmt(name: str, request: DevMgmtMessage, payload: bytes = b"") -> Command:
    return Command(name, Endpoint.DEVMGMT, request, request + 1, payload)


def ping() -> Command:
    """Liveness check, ``a5 01 01 00``."""
    return _devmgmt("ping", DevMgmtMessage.PING_REQ)


def get_device_info() -> Command:
    """Identify the module, ``a5 01 0f 00``."""
    return _devmgmt("get_device_info", DevMgmtMessage.GET_DEVICE_INFO_REQ)


def get_configuration() -> Command:
    """Read the running configuration, ``a5 01 05 00``."""
    return _devmgmt("get_configuration", DevMgmtMessage.GET_CONFIG_REQ)


def reset() -> Command:
    """Software reset; configuration kept only in RAM is lost."""
    return _devmgmt("reset", DevMgmtMessage.RESET_REQ)


def set_configuration(
    link_mode: LinkMode,
    *,
    rssi_attachment: bool | None = True,
    timestamp_attachment: bool = False,
    store_in_nvm: bool = False,
) -> Command:
    """Set the link mode and, unless ``rssi_attachment`` is None, the IIFlag2 attachments.

    NVM flag 0 by default: the flash is not worn and the host re-sends this after every open
    or reset. ``rssi_attachment=None`` omits the IIFlag2 group (the seed's layout).
    """
    config = StickConfiguration(link_mode=link_mode_code(link_mode))
    if rssi_attachment is not None:
        config = StickConfiguration(
            link_mode=link_mode_code(link_mode),
            rssi_attachment=rssi_attachment,
            timestamp_attachment=timestamp_attachment,
        )
    payload = bytes((1 if store_in_nvm else 0,)) + encode_configuration(config)
    return _devmgmt("set_configuration", DevMgmtMessage.SET_CONFIG_REQ, payload)


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """Answer to get device info (wmbusmeters' 8-byte layout; shorter answers are accepted)."""

    module_type: int
    device_mode: int
    firmware_version: int
    hci_version: int | None = None
    uid: int | None = None

    @property
    def model(self) -> str:
        """Module name, e.g. ``iM871A``."""
        return _MODULE_NAMES.get(self.module_type, f"unknown module 0x{self.module_type:02x}")

    @property
    def is_supported(self) -> bool:
        """True for the modules speaking this HCI (iM871A and its 169 MHz sibling)."""
        return self.module_type in _MODULE_NAMES

    @property
    def firmware(self) -> str:
        """Firmware version as IMST writes it, e.g. ``0x15``."""
        return f"0x{self.firmware_version:02x}"

    @property
    def serial_number(self) -> str | None:
        """Unique id as wmbusmeters prints it (8 hex digits), the stick's hardware identity."""
        return None if self.uid is None else f"{self.uid:08x}"

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly view (CLI, diagnostics)."""
        return {
            "model": self.model,
            "module_type": self.module_type,
            "device_mode": self.device_mode,
            "firmware": self.firmware,
            "hci_version": self.hci_version,
            "serial_number": self.serial_number,
        }

    @classmethod
    def parse(cls, payload: bytes) -> DeviceInfo:
        """Parse a get-device-info response payload (at least module, mode and firmware)."""
        if len(payload) < 3:
            raise HciPayloadError(f"device info needs at least 3 bytes, got {len(payload)}")
        return cls(
            module_type=payload[0],
            device_mode=payload[1],
            firmware_version=payload[2],
            hci_version=payload[3] if len(payload) > 3 else None,
            uid=int.from_bytes(payload[4:8], "little") if len(payload) >= 8 else None,
        )

    def encode(self) -> bytes:
        """Payload bytes of this device info (for the emulator)."""
        out = bytes((self.module_type, self.device_mode, self.firmware_version))
        if self.hci_version is not None:
            out += bytes((self.hci_version,))
            if self.uid is not None:
                out += self.uid.to_bytes(4, "little")
        return out


@dataclass(frozen=True, slots=True)
class StickConfiguration:
    """Fields of the IIFlag1/IIFlag2 groups; None = not present in the message."""

    device_mode: int | None = None
    link_mode: int | None = None
    c_field: int | None = None
    manufacturer_id: int | None = None
    device_id: int | None = None
    version: int | None = None
    device_type: int | None = None
    radio_channel: int | None = None
    radio_power_level: int | None = None
    radio_data_rate: int | None = None
    radio_rx_window: int | None = None
    auto_power_saving: int | None = None
    rssi_attachment: bool | None = None
    timestamp_attachment: bool | None = None
    led_control: int | None = None
    rtc_control: int | None = None

    @property
    def link_mode_name(self) -> LinkMode | None:
        """Link mode as an enum, None if absent or unknown."""
        if self.link_mode is None:
            return None
        try:
            return link_mode_of_code(self.link_mode)
        except ValueError:
            return None


# (flag bit, field name, size in bytes), in bit order (IMST HCI user guide, "Device Configuration").
_IIFLAG1_FIELDS: Final = (
    (0x01, "device_mode", 1),
    (0x02, "link_mode", 1),
    (0x04, "c_field", 1),
    (0x08, "manufacturer_id", 2),
    (0x10, "device_id", 4),
    (0x20, "version", 1),
    (0x40, "device_type", 1),
    (0x80, "radio_channel", 1),
)
_IIFLAG2_FIELDS: Final = (
    (0x01, "radio_power_level", 1),
    (0x02, "radio_data_rate", 1),
    (0x04, "radio_rx_window", 1),
    (0x08, "auto_power_saving", 1),
    (0x10, "rssi_attachment", 1),
    (0x20, "timestamp_attachment", 1),
    (0x40, "led_control", 1),
    (0x80, "rtc_control", 1),
)
_BOOLEAN_FIELDS: Final = frozenset({"rssi_attachment", "timestamp_attachment"})


def parse_configuration(payload: bytes) -> StickConfiguration:
    """Parse IIFlag1 group then the optional IIFlag2 group (get-config response payload)."""
    values: dict[str, object] = {}
    pos = 0
    for group in (_IIFLAG1_FIELDS, _IIFLAG2_FIELDS):
        if pos >= len(payload):
            if group is _IIFLAG1_FIELDS:
                raise HciPayloadError("configuration payload is empty")
            break
        flags = payload[pos]
        pos += 1
        for bit, name, size in group:
            if not flags & bit:
                continue
            if pos + size > len(payload):
                raise HciPayloadError(f"configuration field {name} is cut off")
            value = int.from_bytes(payload[pos : pos + size], "little")
            values[name] = bool(value) if name in _BOOLEAN_FIELDS else value
            pos += size
    return StickConfiguration(**values)  # type: ignore[arg-type]


def encode_configuration(config: StickConfiguration) -> bytes:
    """Encode the IIFlag1 group and, if any of its fields is set, the IIFlag2 group."""
    out = bytearray()
    for group in (_IIFLAG1_FIELDS, _IIFLAG2_FIELDS):
        flags = 0
        fields = bytearray()
        for bit, name, size in group:
            value = getattr(config, name)
            if value is None:
                continue
            flags |= bit
            fields += int(value).to_bytes(size, "little")
        if group is _IIFLAG2_FIELDS and not flags:
            break
        out.append(flags)
        out += fields
    return bytes(out)


def parse_set_configuration(payload: bytes) -> tuple[bool, StickConfiguration]:
    """Split a set-config request payload into (store in NVM, configuration); for the emulator."""
    if not payload:
        raise HciPayloadError("set configuration payload is empty")
    return payload[0] == 1, parse_configuration(payload[1:])
