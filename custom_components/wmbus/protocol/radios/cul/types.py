"""CUL / nanoCUL with culfw: the numbers, the link-mode commands and the typed errors.

culfw talks ASCII lines at 38400 baud (wmbusmeters ``src/wmbus_cul.cc``): a command is a line
(``V``, ``brc``, ``X21``) ended by CR LF; a telegram the CC1101 heard is a line ``b`` (``bY``
for a C-mode frame in format B), the frame from its L-field in upper-case hex **with** its
block CRCs, then (after ``X21``) two hex digits of LQI and two of RSSI (culfw
``clib/rf_mbus.c`` prints LQI before RSSI).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from ..base import RadioError
from ..link_modes import LinkMode

BAUD_RATE: Final = 38400  # wmbusmeters src/wmbus_cul.cc; culfw Devices/nanoCUL/board.h
LINE_END: Final = b"\r\n"  # culfw's DNL() writes CR LF; the host sends the same
TELEGRAM_MARK: Final = 0x62  # "b": culfw's wireless M-Bus module
FORMAT_B_MARK: Final = 0x59  # "Y" after "b": a C-mode frame in frame format B
LQI_RSSI_SIZE: Final = 2  # bytes (4 hex digits) after the frame when reporting with X21
# A line without a line feed after this many bytes is junk (a telegram line is at most
# "bY" + 2 * 290 hex digits + 4 for LQI and RSSI: 586 characters).
MAX_LINE_SIZE: Final = 1024

# The stock firmware cuts long telegram lines. culfw's UART output buffer holds TTY_BUFSIZE
# bytes (128 in a-culfw ``culfw/Devices/nanoCUL/board.h``), and ``display_char`` in
# ``culfw/clib/display.c`` drops a character once TTY_BUFSIZE - 2 are queued, keeping the last
# two places for CR LF: a line keeps its line break but loses the middle, so the host sees an
# odd or too small number of hex digits (wmbusmeters issues #390, #1363). The UART empties the
# buffer far slower (3840 characters/s) than the firmware fills it, so a line holds about 126
# characters: "b", the frame's first 125 hex digits. Frames of more than about
# (126 - 1 - 4) / 2 = 60 bytes on the air (L-field and block CRCs included) are cut. The
# nanoCUL firmware rebuilt from culfw r568 with TTY_BUFSIZE 300 (wmbusmeters-wiki
# ``nanoCUL.md``) handles telegrams up to 148 bytes.
STOCK_TTY_BUFSIZE: Final = 128
STOCK_LINE_MAX_CHARS: Final = STOCK_TTY_BUFSIZE - 2
STOCK_MAX_FRAME_BYTES: Final = (STOCK_LINE_MAX_CHARS - 1 - 2 * LQI_RSSI_SIZE) // 2

# CC1101 data sheet (SWRS061), "RSSI": dBm = signed raw value / 2 - RSSI offset (74 dB at
# 868 MHz and 38.4 kBaud); wmbusmeters src/wmbus_cul.cc converts the same way.
RSSI_OFFSET_DB: Final = 74.0


class AnswerKind(StrEnum):
    """What a line that is not a telegram answers."""

    VERSION = "version"  # "V 1.67 nanoCUL868_r568"
    MODE = "mode"  # "CMODE", "TMODE", "SMODE", "OFF"
    REPORTING = "reporting"  # "21  250": report flags in hex, then the send credit (X alone)
    UNKNOWN_COMMAND = "unknown_command"  # "? (xyz is unknown) Use one of B b C ..."


# The wM-Bus receive command per link mode, and culfw's answer (culfw ``rf_mbus_func``;
# wmbusmeters src/wmbus_cul.cc). A C-mode culfw build in "brc" hears C1 (both frame formats)
# and T1 (wmbusmeters README), hence C1T1. culfw listens in one mode at a time.
LINK_MODE_COMMANDS: Final[dict[LinkMode, str]] = {
    LinkMode.C1T1: "brc",
    LinkMode.T1: "brt",
    LinkMode.S1: "brs",
}
LINK_MODE_ANSWERS: Final[dict[LinkMode, str]] = {
    LinkMode.C1T1: "CMODE",
    LinkMode.T1: "TMODE",
    LinkMode.S1: "SMODE",
}
MODE_ANSWERS: Final = frozenset({*LINK_MODE_ANSWERS.values(), "OFF"})
# culfw's report flags (``X`` command, REP_* in ``clib/rf_receive.h``): REP_KNOWN reports
# what was received, REP_RSSI appends LQI and RSSI. "X21" sets both, "X01" the first.
REP_KNOWN: Final = 0x01
REP_RSSI: Final = 0x20
LINK_MODES: Final = tuple(LINK_MODE_COMMANDS)


def rssi_to_dbm(raw: int) -> float:
    """The dBm of culfw's RSSI byte (the CC1101's signed RSSI register)."""
    return (raw - 256 if raw > 127 else raw) / 2 - RSSI_OFFSET_DB


def dbm_to_rssi(dbm: float) -> int:
    """The RSSI byte culfw would print for ``dbm`` (the emulator's inverse), clamped."""
    raw = max(-128, min(127, round((dbm + RSSI_OFFSET_DB) * 2)))
    return raw & 0xFF


class CommandRejected(RadioError):
    """culfw answered a command with its unknown-command line: this build lacks it."""

    def __init__(self, command: str, answer: str) -> None:
        super().__init__(f"culfw does not know the command {command!r}: {answer}")
        self.command = command
        self.answer = answer


class ReportingNotStarted(RadioError):
    """culfw's report flags did not read back as set: telegrams would come without RSSI."""

    def __init__(self, answer: str) -> None:
        super().__init__(f"culfw's report flags read {answer!r} after X21; expected 21")
        self.answer = answer


class LinkModeRejected(RadioError):
    """culfw did not switch to the link mode asked for (a build without wM-Bus or C mode)."""

    def __init__(self, link_mode: LinkMode, command: str, answer: str) -> None:
        super().__init__(
            f"culfw answered {answer!r} to {command!r} (link mode {link_mode}); expected "
            f"{LINK_MODE_ANSWERS[link_mode]!r}: its build lacks that wireless M-Bus mode"
        )
        self.link_mode = link_mode
        self.command = command
        self.answer = answer
