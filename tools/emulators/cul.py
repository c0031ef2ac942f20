"""An emulated CUL / nanoCUL with culfw: ASCII lines at 38400 baud, as wmbusmeters shows it.

Commands (each a line; CR or LF ends it): ``V`` answers the version line (``version``, by
default the real ``V 1.67 nanoCUL868_r568`` of wmbusmeters issue #1208); ``brc``/``brt``/``brs``
switch the receiver and answer ``CMODE``/``TMODE``/``SMODE`` (``OFF`` for ``brc`` when
``c_mode=False``: a culfw build without C mode), ``br`` plus anything else switches it off;
``X21``/``X01`` start reporting (with or without LQI and RSSI) and answer nothing, ``X``
reads the flags back (``21  250``); any other
line gets culfw's unknown-command answer, which echoes the line up to a NUL, then the
build's command list (wmbusmeters-wiki ``nanoCUL.md`` log; wmbusmeters issues #224, #1495).

Power-up: the receiver is off and nothing is reported until the host sends ``br?`` and
``X21``/``X01``; culfw keeps none of it over a replug. The line buffer starts with ``line_junk``
(default: a few bytes as a probe at another baud rate leaves them), so a host that does not
send a line break first gets its first command rejected, as on the real stick (#224, #1495).

Telegrams go out as ``b`` lines (``bY`` for C-mode frame format B, ``c_frame_format``) with
their block CRCs, then LQI and RSSI after ``X21`` (RSSI byte = (dBm + 74) * 2 as int8);
``lqi_rssi=False`` omits them even after ``X21``, as some real lines do (#224, #1245).
``stock_firmware=True`` cuts every line after ``STOCK_LINE_MAX_CHARS`` characters (126, CR LF
kept) as the stock firmware's 128-byte output buffer does (a-culfw ``clib/display.c``,
``Devices/nanoCUL/board.h``); the real one also sends a few characters while it prints, which
this leaves out, so its cut is at the same place every time.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from typing import Any, ClassVar, Final

from custom_components.wmbus.protocol.blocks import FrameFormat, strip_format_a, strip_format_b
from custom_components.wmbus.protocol.radios import cul
from custom_components.wmbus.protocol.radios.link_modes import LinkMode

from .base import PtyRadioEmulator, RadioMode, hears

DEFAULT_VERSION: Final = "V 1.67 nanoCUL868_r568"
# The command list culfw r568 on a nanoCUL prints (wmbusmeters-wiki nanoCUL.md log).
DEFAULT_COMMANDS: Final = "B b C e F G K l M R T t V W X x"
# What a 57600-baud iM871A probe (a5 01 0f 00) looks like to a UART at 38400: junk bytes.
DEFAULT_LINE_JUNK: Final = b"\x1c\xe6\x9f"
SEND_CREDIT_10MS: Final = 250  # culfw's send credit after power-up (MAX_CREDIT / 2)
LQI: Final = 0x82  # CRC OK, LQI 2: the byte of the wiki's real line
_MODES: Final[dict[str, tuple[str, LinkMode]]] = {
    "c": ("CMODE", LinkMode.C1T1),
    "t": ("TMODE", LinkMode.T1),
    "s": ("SMODE", LinkMode.S1),
}


class CulEmulator(PtyRadioEmulator):
    """An emulated CUL / nanoCUL with culfw behind a pty."""

    NAME: ClassVar[str] = "cul"
    BYTES_PER_S: ClassVar[float] = 3840.0  # 38400 baud, 8N1
    FLIP_SKIP_BYTES: ClassVar[int] = 2  # "b" or "bY"

    def __init__(
        self,
        link: Any,
        *,
        version: str = DEFAULT_VERSION,
        commands: str = DEFAULT_COMMANDS,
        c_mode: bool = True,
        c_frame_format: FrameFormat = FrameFormat.A,
        lqi_rssi: bool = True,
        stock_firmware: bool = False,
        line_junk: bytes = DEFAULT_LINE_JUNK,
        **options: Any,
    ) -> None:
        """See :class:`PtyRadioEmulator` and the module docstring for the quirks."""
        super().__init__(link, **options)
        self.version = version
        self.commands = commands
        self.c_mode = c_mode
        self.c_frame_format = c_frame_format
        self.lqi_rssi = lqi_rssi
        self.stock_firmware = stock_firmware
        self.line_junk = line_junk
        self.mbus_mode: str | None = None  # "c", "t", "s"
        self.tx_report: int | None = None  # set by X21 / X01
        self.lines_cut = 0
        self._line = bytearray()

    @property
    def link_mode(self) -> LinkMode | None:
        """The mode the receiver is in, None when off."""
        return None if self.mbus_mode is None else _MODES[self.mbus_mode][1]

    def _power_up(self) -> None:
        self.mbus_mode = None
        self.tx_report = None
        self._line = bytearray(self.line_junk)

    def _on_host_bytes(self, data: bytes) -> None:
        for byte in data:
            if byte in b"\r\n":
                if self._line:
                    line = bytes(self._line)
                    self._line.clear()
                    self.requests.append(line.decode("ascii", "replace"))
                    self._run(line)
            elif len(self._line) < cul.STOCK_TTY_BUFSIZE:
                self._line.append(byte)

    def _answer(self, text: str | bytes) -> None:
        if self.answering:
            self._write((text.encode("ascii") if isinstance(text, str) else text) + b"\r\n")

    def _run(self, line: bytes) -> None:
        if line == b"V":
            self._answer(self.version)
        elif line.startswith(b"br") and len(line) > 2:
            mode = chr(line[2])
            if mode in _MODES and (mode != "c" or self.c_mode):
                self.mbus_mode = mode
                self._answer(_MODES[mode][0])
            else:
                self.mbus_mode = None
                self._answer("OFF")
        elif line == b"X":
            # culfw set_txreport: DH2(tx_report), DU(credit_10ms, 5), DNL().
            self._answer(f"{self.tx_report or 0:02X}{SEND_CREDIT_10MS:5d}")
        elif line[:1] == b"X" and len(line) == 3:
            try:
                self.tx_report = int(line[1:], 16)
            except ValueError:
                self._reject(line)
        else:
            self._reject(line)

    def _reject(self, line: bytes) -> None:
        echoed = line.split(b"\x00", 1)[0]
        self._answer(b"? (" + echoed + b" is unknown) Use one of " + self.commands.encode())

    def _encode_telegram(self, telegram: bytes, rssi_dbm: float, mode: RadioMode) -> bytes | None:
        if self.tx_report is None or not hears(self.link_mode, mode):
            return None
        frame_format = self.c_frame_format if mode == "c" else FrameFormat.A
        with_rssi = self.lqi_rssi and bool(self.tx_report & cul.REP_RSSI)
        line = cul.encode_telegram_line(
            telegram, frame_format, rssi_dbm=rssi_dbm if with_rssi else None, lqi=LQI
        )
        if self.stock_firmware and len(line) - 2 > cul.STOCK_LINE_MAX_CHARS:
            self.lines_cut += 1
            line = line[: cul.STOCK_LINE_MAX_CHARS] + b"\r\n"
        return line


def minimal_reader() -> Callable[[bytes], int]:
    """The in-run baseline of ``tools.soak``: lines, hex, block CRCs, nothing else.

    Takes lines as the emulator sends them after ``X21`` (4 hex digits of LQI and RSSI).
    """
    buffer = bytearray()

    def read(data: bytes) -> int:
        buffer.extend(data)
        count = 0
        pos = 0
        while (end := buffer.find(b"\n", pos)) >= 0:
            line = bytes(buffer[pos : end - 5])  # CR, LQI and RSSI off
            pos = end + 1
            try:
                if line[:2] == b"bY":
                    strip_format_b(binascii.a2b_hex(line[2:]))
                elif line[:1] == b"b":
                    strip_format_a(binascii.a2b_hex(line[1:]))
                else:
                    continue
            except ValueError:
                continue
            count += 1
        del buffer[:pos]
        return count

    return read
