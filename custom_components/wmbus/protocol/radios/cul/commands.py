"""culfw commands the host sends, and the version line they are answered with.

Every command is a line ended by CR LF (wmbusmeters ``src/wmbus_cul.cc``): ``V`` asks for the
version, ``brc``/``brt``/``brs`` switch the wM-Bus receiver to C (with T), T or S mode and are
answered with ``CMODE``/``TMODE``/``SMODE`` (``OFF`` from a build without that mode),
``X21`` starts reporting with LQI and RSSI appended (``X01`` without them) and gives no
answer, so ``X`` alone reads the flags back (``21  250``: flags, then the send credit; culfw
``set_txreport``).
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Final

from ..link_modes import LinkMode
from .types import LINE_END, LINK_MODE_ANSWERS, LINK_MODE_COMMANDS, AnswerKind

# A line break alone: culfw runs (or rejects) whatever junk sits in its line buffer, such as
# bytes a probe at another baud rate left there, so the next command starts on a clean line
# (wmbusmeters issues #224 and #1495).
FLUSH_LINE: Final = LINE_END

MAKER: Final = "busware / culfw"
A_CULFW_MAKER: Final = "a-culfw"


@dataclass(frozen=True, slots=True)
class Command:
    """One command line and the kind of answer it gets (None: culfw does not answer)."""

    name: str
    text: str
    answer: AnswerKind | None

    def encode(self) -> bytes:
        """The bytes to write: the command and CR LF."""
        return self.text.encode("ascii") + LINE_END


def version() -> Command:
    """``V``: the version line, e.g. ``V 1.67 nanoCUL868_r568`` (wmbusmeters issue #1208)."""
    return Command("version", "V", AnswerKind.VERSION)


def set_link_mode(link_mode: LinkMode) -> Command:
    """``brc``, ``brt`` or ``brs``: receive wM-Bus in that mode (RAM only; lost on reset)."""
    return Command("set_link_mode", LINK_MODE_COMMANDS[link_mode], AnswerKind.MODE)


def start_reporting(*, lqi_rssi: bool = True) -> Command:
    """``X21`` (report telegrams with LQI and RSSI) or ``X01`` (without); no answer."""
    return Command("start_reporting", "X21" if lqi_rssi else "X01", None)


def report_flags() -> Command:
    """``X``: the report flags in hex and the send credit, e.g. ``21  250``."""
    return Command("report_flags", "X", AnswerKind.REPORTING)


def parse_report_flags(answer: str) -> int:
    """The flags of an ``X`` answer."""
    return int(answer[:2], 16)


def expected_mode_answer(link_mode: LinkMode) -> str:
    """What culfw answers when it switched to ``link_mode``."""
    return LINK_MODE_ANSWERS[link_mode]


def answer_kind_of(command_text: str) -> AnswerKind | None:
    """The kind of answer the request line ``command_text`` waits for.

    It tells which request culfw's unknown-command line (which echoes the request) rejects;
    None for lines the host does not send as a request.
    """
    if command_text == "V":
        return AnswerKind.VERSION
    if command_text in LINK_MODE_COMMANDS.values():
        return AnswerKind.MODE
    if command_text == "X":
        return AnswerKind.REPORTING
    return None


_VERSION_RE: Final = re.compile(r"^V\s+(?P<firmware>\S+)\s*(?P<rest>.*)$")
_BOARD_RE: Final = re.compile(r"\b(?P<board>[A-Za-z]*CUL[A-Za-z0-9]*)(?:_(?P<build>\w+))?")


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """What culfw's version line says.

    culfw prints ``V <version> <board>`` (``V 1.67 nanoCUL868_r568``: culfw 1.67, a nanoCUL
    for 868 MHz, built from culfw r568 as in wmbusmeters-wiki ``nanoCUL.md``); a-culfw adds
    its name and build (``V 1.26.08 a-culfw Build: ... nanoCUL868 ...``). culfw reports no
    serial number, and a CUL's USB serial number is the same in every unit
    (``000000000001`` in a-culfw ``clib/Descriptors.c``).
    """

    text: str
    firmware: str
    model: str | None  # the board, e.g. "nanoCUL868"; None if the line names no CUL
    build: str | None  # e.g. "r568"
    maker: str

    @property
    def is_cul(self) -> bool:
        """A CUL of some kind: wmbusmeters' ``detectCUL`` looks for "CUL" in the answer."""
        return self.model is not None

    @classmethod
    def parse(cls, text: str) -> VersionInfo:
        """Parse a version line (it starts with ``V ``)."""
        match = _VERSION_RE.match(text.strip())
        firmware = match.group("firmware") if match else ""
        rest = match.group("rest") if match else text
        board = _BOARD_RE.search(rest)
        return cls(
            text=text,
            firmware=firmware,
            model=board.group("board") if board else None,
            build=board.group("build") if board else None,
            maker=A_CULFW_MAKER if "a-culfw" in rest else MAKER,
        )

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly view (command line, diagnostics)."""
        return {
            "version_line": self.text,
            "firmware": self.firmware,
            "model": self.model,
            "build": self.build,
        }
