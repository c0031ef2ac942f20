"""Amber / Würth AMB8465 family: FTDI 0403:6001, 9600 baud, ``ff cmd len .. xor`` framing.

The AMB8465 and AMB8665 USB sticks and the AMB8465-M module, sold by Würth Elektronik as the
Metis-II since it bought Amber Wireless, speak the same host interface (Amber AMB8426-M/8626-M
manual; wmbusmeters ``src/wmbus_amb8465.cc``). Their USB id is the FTDI FT232R's generic one,
shared with the nanoCUL, so only the USB strings ("AMBER", "AMB8465 Wireless USB Stick",
wmbusmeters #388) or a probe tell them apart. ``types`` holds the numbers, ``frames`` the
codec, ``commands`` the typed requests, ``radio`` the driver.
"""

from __future__ import annotations

from ..base import RadioKind, UsbMatch, driver_factory
from ..link_modes import LinkMode
from .commands import (
    ParameterDump,
    Request,
    check_status,
    firmware_version,
    get_all_parameters,
    get_parameters,
    parse_firmware_version,
    parse_serial_number,
    reset,
    serial_number,
    set_mode,
)
from .frames import (
    STALE_PARTIAL_S,
    TRANSPARENT,
    AmberFrame,
    DropReason,
    FrameDecoder,
    checksum,
    encode_data_ind,
    encode_frame,
    encode_transparent,
)
from .types import (
    LINK_MODE_CODES,
    LINK_MODES,
    AmberPayloadError,
    Command,
    CommandRefused,
    Parameter,
    dbm_to_rssi,
    link_mode_code,
    link_mode_of_code,
    rssi_to_dbm,
)


def describe_stream(stream: bytes) -> list[dict[str, object]]:
    """Frames in ``stream`` for ``frames --radio amb8465``.

    Both framings are looked for, and a DATA_IND is read as carrying the RSSI byte (as
    wmbusmeters reads it): a recording does not say how the stick's parameters were set.
    """
    decoder = FrameDecoder(transparent=True, data_ind_rssi=True)
    described: list[dict[str, object]] = []
    for frame in decoder.feed(stream):
        record: dict[str, object] = {
            "command": "transparent" if frame.command == TRANSPARENT else frame.command
        }
        if frame.telegram is not None:
            record["telegram_hex"] = frame.telegram.hex()
            record["rssi_dbm"] = frame.rssi_dbm
        else:
            record["payload_hex"] = frame.payload.hex()
        described.append(record)
    for reason, count in decoder.dropped.items():
        described.append({"error": str(reason), "bytes": count})
    if decoder.buffered:
        described.append(
            {"error": "truncated", "message": f"{decoder.buffered} bytes of an incomplete frame"}
        )
    return described


KIND = RadioKind(
    name="amb8465",
    maker="Amber Wireless / Würth Elektronik",
    title="Amber AMB8465 / Metis-II",
    link_modes=LINK_MODES,
    default_link_mode=LinkMode.C1T1,
    usb=(
        # 0403:6001 is every FT232R (the nanoCUL's too): only the strings tell. A bare FTDI
        # is left to detect_radio's probe.
        UsbMatch(0x0403, 0x6001, product="AMB8465"),
        UsbMatch(0x0403, 0x6001, manufacturer="AMBER"),
    ),
    # Loaded when a radio of this kind is built: the driver needs asyncio and serialx.
    factory=driver_factory(f"{__name__}.radio", "Amb8465Radio"),
    describe_stream=describe_stream,
    # First: at 9600 baud, and after a probe at 57600 it needs about a second to answer
    # (wmbusmeters ``src/wmbus.cc``, near ``detectAMB8465AMB3665``).
    probe_order=10,
)

__all__ = [
    "KIND",
    "LINK_MODES",
    "LINK_MODE_CODES",
    "STALE_PARTIAL_S",
    "TRANSPARENT",
    "AmberFrame",
    "AmberPayloadError",
    "Command",
    "CommandRefused",
    "DropReason",
    "FrameDecoder",
    "Parameter",
    "ParameterDump",
    "Request",
    "check_status",
    "checksum",
    "dbm_to_rssi",
    "encode_data_ind",
    "encode_frame",
    "encode_transparent",
    "firmware_version",
    "get_all_parameters",
    "get_parameters",
    "link_mode_code",
    "link_mode_of_code",
    "parse_firmware_version",
    "parse_serial_number",
    "reset",
    "rssi_to_dbm",
    "serial_number",
    "set_mode",
]
