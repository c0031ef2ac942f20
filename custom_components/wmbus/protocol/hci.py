"""iM871A host controller interface (HCI): request builders and an incremental frame decoder.

Pure code, no I/O: bytes in, typed frames out. The layout follows PROTOCOL.md section 1:

    a5 | control+endpoint | msg id | N | payload (N) | [timestamp 4] | [RSSI 1] | [CRC-16 2, LE]

There is no end marker and no byte stuffing, so a reader has to compute each frame's size from
its header and check the CRC to tell a real frame from an ``a5`` inside a payload.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Final

from .crypto import crc16_x25

SOF: Final = 0xA5
HEADER_SIZE: Final = 4
TIMESTAMP_SIZE: Final = 4
RSSI_SIZE: Final = 1
CRC_SIZE: Final = 2
MAX_PAYLOAD_SIZE: Final = 255
MAX_FRAME_SIZE: Final = HEADER_SIZE + MAX_PAYLOAD_SIZE + TIMESTAMP_SIZE + RSSI_SIZE + CRC_SIZE

# Control nibble of byte 1 (PROTOCOL.md 1.3).
CONTROL_CRC: Final = 0x80
CONTROL_RSSI: Final = 0x40
CONTROL_TIMESTAMP: Final = 0x20
CONTROL_RESERVED: Final = 0x10
ENDPOINT_MASK: Final = 0x0F

# wmbusmeters' RSSI approximation (PROTOCOL.md 1.8); raw values from here on mean 0 dBm.
RSSI_RAW_SATURATED: Final = 230


class Endpoint(IntEnum):
    """HCI endpoint id (low nibble of byte 1)."""

    DEVMGMT = 0x01
    RADIOLINK = 0x02
    RADIOLINKTEST = 0x03
    HWTEST = 0x04


class DevMgmtMessage(IntEnum):
    """Message ids of the device management endpoint (PROTOCOL.md 1.4)."""

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


class LinkMode(StrEnum):
    """Radio link mode; the string value is what configuration files and the CLI use."""

    S1 = "s1"
    S1m = "s1m"
    S2 = "s2"
    T1 = "t1"
    T2 = "t2"
    R2 = "r2"
    C1a = "c1a"
    C1b = "c1b"
    C2a = "c2a"
    C2b = "c2b"
    C1T1 = "c1t1"  # C1 and T1 at the same time, firmware >= 0x14 (N1a on the iM170A)

    @property
    def code(self) -> int:
        """The link-mode byte of set/get configuration (PROTOCOL.md 1.6)."""
        return _LINK_MODE_CODES[self]

    @classmethod
    def from_code(cls, code: int) -> LinkMode:
        """Return the link mode for a configuration byte; ValueError if it has none here."""
        for mode, mode_code in _LINK_MODE_CODES.items():
            if mode_code == code:
                return mode
        raise ValueError(f"unknown link mode byte 0x{code:02x}")


_LINK_MODE_CODES: Final[dict[LinkMode, int]] = {
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


def rssi_to_dbm(raw: int) -> float:
    """Convert the stick's raw RSSI byte to dBm (wmbusmeters' linear approximation)."""
    if raw >= RSSI_RAW_SATURATED:
        return 0.0
    return -100.0 + (raw - 45) * 0.5


def dbm_to_rssi(dbm: float) -> int:
    """Inverse of :func:`rssi_to_dbm`, clamped to a byte (used by the emulator)."""
    raw = round((dbm + 100.0) * 2 + 45)
    return max(0, min(RSSI_RAW_SATURATED - 1, raw))


def encode_frame(
    endpoint: int,
    msg_id: int,
    payload: bytes = b"",
    *,
    timestamp: bytes | None = None,
    rssi_raw: int | None = None,
    with_crc: bool = False,
) -> bytes:
    """Build one HCI frame; host requests go without CRC, as the seed and wmbusmeters send them."""
    if len(payload) > MAX_PAYLOAD_SIZE:
        raise ValueError(f"HCI payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_SIZE}")
    control = 0
    trailer = bytearray()
    if timestamp is not None:
        if len(timestamp) != TIMESTAMP_SIZE:
            raise ValueError("HCI timestamp must be 4 bytes")
        control |= CONTROL_TIMESTAMP
        trailer += timestamp
    if rssi_raw is not None:
        control |= CONTROL_RSSI
        trailer.append(rssi_raw)
    if with_crc:
        control |= CONTROL_CRC
    body = bytes((control | endpoint, msg_id, len(payload))) + payload + trailer
    if with_crc:
        body += crc16_x25(body).to_bytes(2, "little")
    return bytes((SOF,)) + body


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
    config = StickConfiguration(link_mode=link_mode.code)
    if rssi_attachment is not None:
        config = StickConfiguration(
            link_mode=link_mode.code,
            rssi_attachment=rssi_attachment,
            timestamp_attachment=timestamp_attachment,
        )
    payload = bytes((1 if store_in_nvm else 0,)) + encode_configuration(config)
    return _devmgmt("set_configuration", DevMgmtMessage.SET_CONFIG_REQ, payload)


# --- device info and configuration ------------------------------------------------------------


class ModuleType(IntEnum):
    """Module type byte of the device info (PROTOCOL.md 1.5)."""

    IM871A = 0x33
    IM170A = 0x36


_MODULE_NAMES: Final[dict[int, str]] = {ModuleType.IM871A: "iM871A", ModuleType.IM170A: "iM170A"}


class HciPayloadError(ValueError):
    """A response payload is too short or malformed to parse."""


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
            return LinkMode.from_code(self.link_mode)
        except ValueError:
            return None


# (flag bit, field name, size in bytes), in bit order: PROTOCOL.md 1.5.
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


# --- frames and the incremental decoder -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HciFrame:
    """One decoded HCI frame."""

    control: int
    endpoint: int
    msg_id: int
    payload: bytes
    timestamp: bytes | None = None
    rssi_raw: int | None = None
    crc: int | None = None
    crc_ok: bool | None = None  # None when the frame carries no CRC
    raw: bytes = field(default=b"", repr=False)

    @property
    def is_telegram(self) -> bool:
        """True for a received wM-Bus telegram (RADIOLINK data indication)."""
        return self.endpoint == Endpoint.RADIOLINK and self.msg_id == RadioLinkMessage.WMBUS_MSG_IND

    @property
    def telegram(self) -> bytes | None:
        """The telegram as L + payload (the HCI length byte is the wM-Bus L-field), else None."""
        if self.endpoint != Endpoint.RADIOLINK or self.msg_id != RadioLinkMessage.WMBUS_MSG_IND:
            return None
        if self.raw:  # one slice instead of a join: the stick takes this once per telegram
            return self.raw[HEADER_SIZE - 1 : HEADER_SIZE + len(self.payload)]
        return bytes((len(self.payload),)) + self.payload

    @property
    def rssi_dbm(self) -> float | None:
        """RSSI in dBm if the stick attached it."""
        return None if self.rssi_raw is None else rssi_to_dbm(self.rssi_raw)


class DropReason(StrEnum):
    """Why the decoder discarded bytes."""

    GARBAGE = "garbage_bytes"  # bytes before a start-of-frame
    BAD_HEADER = "bad_header"  # a5 followed by a reserved bit, bad endpoint or msg id
    CRC_MISMATCH = "crc_mismatch"
    NO_CRC = "no_crc"  # only when the decoder requires a CRC


def frame_size(control: int, length: int) -> int:
    """Total size of a frame from its control byte and length byte."""
    size = HEADER_SIZE + length
    if control & CONTROL_TIMESTAMP:
        size += TIMESTAMP_SIZE
    if control & CONTROL_RSSI:
        size += RSSI_SIZE
    if control & CONTROL_CRC:
        size += CRC_SIZE
    return size


def header_is_valid(control_endpoint: int, msg_id: int) -> bool:
    """Check byte 1 and the msg id before trusting a length byte (PROTOCOL.md 1.10 step 2)."""
    if control_endpoint & CONTROL_RESERVED:
        return False
    max_id = MAX_MESSAGE_ID.get(control_endpoint & ENDPOINT_MASK)
    return max_id is not None and 1 <= msg_id <= max_id


def _find_checked_frame(buf: bytearray, start: int, stop: int, end: int) -> int:
    """Return where a complete frame with a good CRC starts in ``buf[start:stop]``, else -1.

    The frame must carry a CRC, lie within ``buf[:end]`` and match its CRC. Such a frame
    is proof (up to a 16-bit CRC collision) of where a real frame lies; the decoder uses
    it to tell a false start from a frame that is still arriving.
    """
    while True:
        start = buf.find(SOF, start, stop)
        if start < 0 or end - start < HEADER_SIZE:
            return -1
        control_endpoint = buf[start + 1]
        if control_endpoint & CONTROL_CRC and header_is_valid(control_endpoint, buf[start + 2]):
            size = frame_size(control_endpoint & 0xF0, buf[start + 3])
            if size <= end - start:
                crc_at = start + size - CRC_SIZE
                crc = buf[crc_at] | (buf[crc_at + 1] << 8)
                if crc16_x25(bytes(buf[start + 1 : crc_at])) == crc:
                    return start
        start += 1


class FrameDecoder:
    """Incremental HCI frame decoder: feed it reads of any size, get whole frames back.

    Resyncs on the next ``a5`` after garbage; on a header that cannot be a frame or a CRC
    mismatch it drops one byte only, so a real frame hidden behind a false start is still found.
    A false start that promises more bytes than have arrived, or a CRC-less one, gives way
    to a complete frame with a good CRC starting inside it (PROTOCOL.md 1.10).
    The buffer never holds more than one maximal frame between calls.
    """

    def __init__(self, *, require_crc: bool = False, report_crc_failures: bool = False) -> None:
        """Create a decoder.

        require_crc: drop frames that carry no CRC (a CRC-less header may be noise).
        report_crc_failures: also return CRC-failed frames (crc_ok False), for debugging tools;
        they are still counted as dropped and resynced past.
        """
        self._buffer = bytearray()
        self._require_crc = require_crc
        self._report_crc_failures = report_crc_failures
        self.dropped: Counter[str] = Counter()
        self.frames_decoded = 0

    @property
    def buffered(self) -> int:
        """Bytes held for an incomplete frame."""
        return len(self._buffer)

    def reset(self) -> None:
        """Forget a partial frame (after reopening the port); counters are kept."""
        self._buffer.clear()

    def feed(self, data: bytes) -> list[HciFrame]:
        """Add bytes read from the port and return the frames they complete."""
        buf = self._buffer
        buf += data
        frames: list[HciFrame] = []
        pos = 0
        end = len(buf)
        while pos < end:
            if buf[pos] != SOF:
                sof = buf.find(SOF, pos)
                skipped = (end if sof < 0 else sof) - pos
                self.dropped[DropReason.GARBAGE] += skipped
                pos += skipped
                continue
            if end - pos < HEADER_SIZE:
                break
            control_endpoint = buf[pos + 1]
            msg_id = buf[pos + 2]
            if not header_is_valid(control_endpoint, msg_id):
                self.dropped[DropReason.BAD_HEADER] += 1
                pos += 1
                continue
            control = control_endpoint & 0xF0
            size = frame_size(control, buf[pos + 3])
            if end - pos < size:
                # Wait for the rest, unless a complete frame with a good CRC already starts
                # inside the promised bytes: then this a5 was a false start (a cut-off frame
                # or an a5 in a payload), and waiting would hold the real frame back.
                if _find_checked_frame(buf, pos + 1, end, end) < 0:
                    break
                self.dropped[DropReason.BAD_HEADER] += 1
                pos += 1
                continue
            frame = self._parse(bytes(buf[pos : pos + size]), control, control_endpoint, msg_id)
            if frame.crc_ok is False:
                self.dropped[DropReason.CRC_MISMATCH] += 1
                # Report it unless a real frame starts inside it (then it was no frame).
                if self._report_crc_failures and (
                    _find_checked_frame(buf, pos + 1, pos + size, end) < 0
                ):
                    frames.append(frame)
                pos += 1
                continue
            if frame.crc_ok is None:
                if self._require_crc:
                    self.dropped[DropReason.NO_CRC] += 1
                    pos += 1
                    continue
                # Nothing vouches for a CRC-less frame: it loses to a checked one inside it.
                if _find_checked_frame(buf, pos + 1, pos + size, end) >= 0:
                    self.dropped[DropReason.BAD_HEADER] += 1
                    pos += 1
                    continue
            self.frames_decoded += 1
            frames.append(frame)
            pos += size
        del buf[:pos]
        return frames

    @staticmethod
    def _parse(raw: bytes, control: int, control_endpoint: int, msg_id: int) -> HciFrame:
        length = raw[3]
        pos = HEADER_SIZE + length
        timestamp = None
        rssi_raw = None
        crc = None
        crc_ok = None
        if control & CONTROL_TIMESTAMP:
            timestamp = raw[pos : pos + TIMESTAMP_SIZE]
            pos += TIMESTAMP_SIZE
        if control & CONTROL_RSSI:
            rssi_raw = raw[pos]
            pos += RSSI_SIZE
        if control & CONTROL_CRC:
            crc = int.from_bytes(raw[pos : pos + CRC_SIZE], "little")
            crc_ok = crc16_x25(raw[1:pos]) == crc
        return HciFrame(
            control=control,
            endpoint=control_endpoint & ENDPOINT_MASK,
            msg_id=msg_id,
            payload=raw[HEADER_SIZE : HEADER_SIZE + length],
            timestamp=timestamp,
            rssi_raw=rssi_raw,
            crc=crc,
            crc_ok=crc_ok,
            raw=raw,
        )
