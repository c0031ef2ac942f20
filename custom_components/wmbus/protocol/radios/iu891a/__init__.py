"""IMST iU891A-XL family: USB id 04b4:0003 (CDC-ACM), 115200 baud, SLIP framing with a CRC.

The iM871A's successor, sold in 2025-26 (wmbusmeters issues #1350, #1354, #1600); the
iU893A-XL and the iM891A-XL / iM881A-XL modules run the same wM-Bus gateway firmware
(PR #1739). ``types`` holds the numbers, ``frames`` the codec, ``commands`` the typed
requests, ``radio`` the driver.
"""

from __future__ import annotations

from ..base import RadioKind, UsbMatch, driver_factory
from ..link_modes import LinkMode
from .commands import (
    ActiveConfiguration,
    Command,
    DeviceInfo,
    FirmwareInfo,
    get_active_configuration,
    get_device_info,
    get_firmware_info,
    get_wmbus_address,
    ping,
    restart,
    set_active_configuration,
)
from .frames import (
    CRC_RESIDUE,
    DropReason,
    Frame,
    FrameDecoder,
    RxIndication,
    encode_frame,
    encode_rx_indication,
    slip_escape,
    slip_unescape,
    split_stream,
)
from .types import (
    LINK_MODE_CODES,
    LINK_MODES,
    AccessDenied,
    Busy,
    CommandFailed,
    ConfigurationNotApplied,
    DevMgmtMessage,
    EncryptionError,
    Iu891aError,
    LinkModeCode,
    ModuleType,
    NoMoreData,
    NotSupported,
    NvmReadError,
    NvmWriteError,
    PayloadError,
    Rejected,
    Sap,
    StatusError,
    UnexpectedFormat,
    WmbusGwMessage,
    WrongLength,
    WrongMode,
    WrongParameter,
    link_mode_code,
    link_mode_of_code,
    status_error,
)


def describe_stream(stream: bytes) -> list[dict[str, object]]:
    """SLIP frames in ``stream`` for ``frames --radio iu891a``; failures reported, not hidden."""
    described: list[dict[str, object]] = []
    for escaped, raw, reason in split_stream(stream):
        if raw is None:
            described.append({"error": str(reason), "hex": escaped.hex()})
            continue
        frame = Frame.parse(raw)
        record: dict[str, object] = {
            "sap": frame.sap,
            "msg_id": frame.msg_id,
            "crc_ok": True,
        }
        if frame.status is not None:
            record["status"] = frame.status
        indication = RxIndication.parse(raw)
        if indication is not None:
            record["telegram_hex"] = indication.telegram.hex()
            record["rssi_dbm"] = indication.rssi_dbm
            record["stick_timestamp_s"] = indication.stick_timestamp_s
        else:
            record["payload_hex"] = frame.payload.hex()
        described.append(record)
    tail = stream.rsplit(b"\xc0", 1)[-1] if b"\xc0" in stream else stream
    if tail:
        described.append(
            {"error": "truncated", "message": f"{len(tail)} bytes of an unfinished frame"}
        )
    return described


KIND = RadioKind(
    name="iu891a",
    maker="IMST",
    title="IMST iU891A-XL / iU893A-XL",
    link_modes=LINK_MODES,
    default_link_mode=LinkMode.C1T1,
    # 04b4 is Cypress's vendor id and 0003 a generic product id: only the strings tell
    # (manufacturer "IMST", product "iU891A", wmbusmeters issue #1354).
    usb=(UsbMatch(0x04B4, 0x0003, manufacturer="IMST"),),
    # Loaded when a radio of this kind is built: the driver needs asyncio and serialx.
    factory=driver_factory(f"{__name__}.radio", "Iu891aRadio"),
    describe_stream=describe_stream,
    probe_order=30,
)

__all__ = [
    "CRC_RESIDUE",
    "KIND",
    "LINK_MODES",
    "LINK_MODE_CODES",
    "AccessDenied",
    "ActiveConfiguration",
    "Busy",
    "Command",
    "CommandFailed",
    "ConfigurationNotApplied",
    "DevMgmtMessage",
    "DeviceInfo",
    "DropReason",
    "EncryptionError",
    "FirmwareInfo",
    "Frame",
    "FrameDecoder",
    "Iu891aError",
    "LinkModeCode",
    "ModuleType",
    "NoMoreData",
    "NotSupported",
    "NvmReadError",
    "NvmWriteError",
    "PayloadError",
    "Rejected",
    "RxIndication",
    "Sap",
    "StatusError",
    "UnexpectedFormat",
    "WmbusGwMessage",
    "WrongLength",
    "WrongMode",
    "WrongParameter",
    "encode_frame",
    "encode_rx_indication",
    "get_active_configuration",
    "get_device_info",
    "get_firmware_info",
    "get_wmbus_address",
    "link_mode_code",
    "link_mode_of_code",
    "ping",
    "restart",
    "set_active_configuration",
    "slip_escape",
    "slip_unescape",
    "split_stream",
    "status_error",
]
