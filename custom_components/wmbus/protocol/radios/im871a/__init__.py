"""IMST iM871A / iM170A: USB id 10c4:87ed (CP210x), 57600 baud, IMST's HCI framing.

End of life ("EOL and now unavailable from the manufacturer", wmbusmeters issues #1350 and
#1354), still the stick most existing installations have. ``types`` holds the numbers,
``frames`` the codec, ``commands`` the typed requests, ``radio`` the driver.
"""

from __future__ import annotations

from ..base import RadioKind, UsbMatch, driver_factory
from ..link_modes import LinkMode
from .commands import (
    Command,
    DeviceInfo,
    StickConfiguration,
    encode_configuration,
    get_configuration,
    get_device_info,
    parse_configuration,
    parse_set_configuration,
    ping,
    reset,
    set_configuration,
)
from .frames import DropReason, FrameDecoder, HciFrame, encode_frame, frame_size
from .types import (
    CONTROL_CRC,
    CONTROL_RSSI,
    CONTROL_TIMESTAMP,
    HEADER_SIZE,
    LINK_MODE_CODES,
    LINK_MODES,
    MAX_FRAME_SIZE,
    SOF,
    DevMgmtMessage,
    Endpoint,
    HciPayloadError,
    ModuleType,
    RadioLinkMessage,
    dbm_to_rssi,
    link_mode_code,
    link_mode_of_code,
    rssi_to_dbm,
)


def describe_stream(stream: bytes) -> list[dict[str, object]]:
    """HCI frames in ``stream`` for ``frames --radio im871a``; CRC failures reported, not hidden."""
    decoder = FrameDecoder(report_crc_failures=True)
    described: list[dict[str, object]] = []
    for frame in decoder.feed(stream):
        record: dict[str, object] = {
            "endpoint": frame.endpoint,
            "msg_id": frame.msg_id,
            "crc_ok": frame.crc_ok,
        }
        if frame.crc_ok is not False:
            telegram = frame.telegram
            if telegram is not None:
                record["telegram_hex"] = telegram.hex()
            if frame.rssi_raw is not None:
                record["rssi_dbm"] = frame.rssi_dbm
        described.append(record)
    if decoder.buffered:
        described.append(
            {"error": "truncated", "message": f"{decoder.buffered} bytes of an incomplete frame"}
        )
    return described


KIND = RadioKind(
    name="im871a",
    maker="IMST",
    title="IMST iM871A",
    # The modes that receive what meters send (T2/C2 listen for a collector's replies).
    link_modes=(
        LinkMode.C1a,
        LinkMode.C1b,
        LinkMode.T1,
        LinkMode.C1T1,
        LinkMode.S1,
        LinkMode.S1m,
    ),
    default_link_mode=LinkMode.C1a,
    usb=(
        UsbMatch(0x10C4, 0x87ED),
        # The WiMOD kit's CP2102 keeps Silicon Labs' generic id: only its name tells.
        UsbMatch(0x10C4, 0xEA60, product="im871a"),
    ),
    # Loaded when a radio of this kind is built: the driver needs asyncio and serialx.
    factory=driver_factory(f"{__name__}.radio", "Im871aRadio"),
    describe_stream=describe_stream,
    probe_order=20,
)

__all__ = [
    "CONTROL_CRC",
    "CONTROL_RSSI",
    "CONTROL_TIMESTAMP",
    "HEADER_SIZE",
    "KIND",
    "LINK_MODES",
    "LINK_MODE_CODES",
    "MAX_FRAME_SIZE",
    "SOF",
    "Command",
    "DevMgmtMessage",
    "DeviceInfo",
    "DropReason",
    "Endpoint",
    "FrameDecoder",
    "HciFrame",
    "HciPayloadError",
    "LinkMode",
    "ModuleType",
    "RadioLinkMessage",
    "StickConfiguration",
    "dbm_to_rssi",
    "encode_configuration",
    "encode_frame",
    "frame_size",
    "get_configuration",
    "get_device_info",
    "link_mode_code",
    "link_mode_of_code",
    "parse_configuration",
    "parse_set_configuration",
    "ping",
    "reset",
    "rssi_to_dbm",
    "set_configuration",
]
