"""CUL / nanoCUL (a CC1101 with culfw): ASCII lines at 38400 baud, the host strips block CRCs.

A nanoCUL is an Arduino Nano with a CC1101 module behind an FTDI FT232 (0403:6001, the
wmbusmeters-wiki ``nanoCUL.md`` lsusb); that id is every FT232's, the Amber sticks' too, so a
nanoCUL is found by probing (``V``), not by its USB id. busware's CUL is an AVR with USB of
its own (03eb:204b, manufacturer "busware.de" in a-culfw ``clib/Descriptors.c``), a ttyACM
port (wmbusmeters issue #319). wmbusmeters' maintainer calls the culfw route "problematic"
(issue #514): the stock firmware cuts long telegrams and some builds lack C mode.
``types`` holds the numbers, ``frames`` the line codec, ``commands`` the commands, ``radio``
the driver.
"""

from __future__ import annotations

from ...blocks import FrameFormat
from ..base import RadioKind, UsbMatch, driver_factory
from ..link_modes import LinkMode
from .commands import (
    FLUSH_LINE,
    Command,
    VersionInfo,
    answer_kind_of,
    parse_report_flags,
    report_flags,
    set_link_mode,
    start_reporting,
    version,
)
from .frames import (
    CulAnswer,
    CulLine,
    CulTelegram,
    DroppedLine,
    DropReason,
    LineDecoder,
    classify_answer,
    encode_telegram_line,
)
from .types import (
    BAUD_RATE,
    LINK_MODE_ANSWERS,
    LINK_MODE_COMMANDS,
    LINK_MODES,
    REP_KNOWN,
    REP_RSSI,
    STOCK_LINE_MAX_CHARS,
    STOCK_MAX_FRAME_BYTES,
    STOCK_TTY_BUFSIZE,
    AnswerKind,
    CommandRejected,
    LinkModeRejected,
    ReportingNotStarted,
    dbm_to_rssi,
    rssi_to_dbm,
)


def describe_stream(stream: bytes) -> list[dict[str, object]]:
    """The lines of culfw in ``stream`` for ``frames --radio cul``; dropped lines say why."""
    decoder = LineDecoder(report_drops=True)
    described: list[dict[str, object]] = []
    for line in decoder.feed(stream):
        if isinstance(line, CulTelegram):
            described.append(
                {
                    "line": "telegram",
                    "frame_format": str(line.frame_format),
                    "telegram_hex": line.telegram.hex(),
                    "rssi_dbm": line.rssi_dbm,
                    "lqi": line.lqi,
                }
            )
        elif isinstance(line, CulAnswer):
            record: dict[str, object] = {
                "line": "answer",
                "kind": str(line.kind),
                "text": line.text,
            }
            if line.command is not None:
                record["command"] = line.command
            described.append(record)
        else:
            described.append(
                {
                    "error": str(line.reason),
                    "line_text": line.line.decode("ascii", "replace"),
                    "length_field": line.length_field,
                }
            )
    if decoder.buffered:
        described.append(
            {"error": "truncated", "message": f"{decoder.buffered} bytes of a line without its end"}
        )
    return described


KIND = RadioKind(
    name="cul",
    maker="busware / culfw",
    title="CUL / nanoCUL (culfw)",
    link_modes=LINK_MODES,
    default_link_mode=LinkMode.C1T1,
    usb=(
        # 03eb:204b is Atmel's LUFA CDC id, shared by other LUFA serial devices: busware's
        # manufacturer string makes it a CUL. A nanoCUL's bare FT232 is left to probing.
        UsbMatch(0x03EB, 0x204B, manufacturer="busware"),
    ),
    # Loaded when a radio of this kind is built: the driver needs asyncio and serialx.
    factory=driver_factory(f"{__name__}.radio", "CulRadio"),
    describe_stream=describe_stream,
    # After the Amber (9600 baud), the iM871A and the iU891A: "V" CR LF at 38400 baud is text
    # the binary sticks ignore, and culfw's line buffer is flushed before its first command.
    probe_order=40,
)

__all__ = [
    "BAUD_RATE",
    "FLUSH_LINE",
    "KIND",
    "LINK_MODES",
    "LINK_MODE_ANSWERS",
    "LINK_MODE_COMMANDS",
    "REP_KNOWN",
    "REP_RSSI",
    "STOCK_LINE_MAX_CHARS",
    "STOCK_MAX_FRAME_BYTES",
    "STOCK_TTY_BUFSIZE",
    "AnswerKind",
    "Command",
    "CommandRejected",
    "CulAnswer",
    "CulLine",
    "CulTelegram",
    "DropReason",
    "DroppedLine",
    "FrameFormat",
    "LineDecoder",
    "LinkModeRejected",
    "ReportingNotStarted",
    "VersionInfo",
    "answer_kind_of",
    "classify_answer",
    "dbm_to_rssi",
    "describe_stream",
    "encode_telegram_line",
    "parse_report_flags",
    "report_flags",
    "rssi_to_dbm",
    "set_link_mode",
    "start_reporting",
    "version",
]
