"""A CUL or nanoCUL running culfw, on a serial port at 38400 baud.

Handshake: a line break first (junk a probe at another baud rate left in culfw's line buffer
would spoil the next command: wmbusmeters issues #224 and #1495), then ``V``: the answer must
name a CUL, as wmbusmeters' ``detectCUL`` requires. Configuring sends ``brc``/``brt``/``brs``
and checks the answer (``CMODE``/``TMODE``/``SMODE``), then ``X21`` so telegram lines carry
LQI and RSSI, and ``X`` to read that back. culfw keeps none of this over a reset or a
replug, so every connect sends it.

culfw has no restart command that keeps the port: a quiet re-initialisation is the base's
reopen and reconfigure. The health ping is ``V``.
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
import time
from typing import Any, ClassVar

from ..base import NotThisRadio, RadioIdentity, RadioTimeout
from ..serial_radio import SerialRadio
from . import KIND, commands
from .commands import Command, VersionInfo
from .frames import CulAnswer, CulTelegram, DroppedLine, DropReason, LineDecoder
from .types import (
    BAUD_RATE,
    REP_RSSI,
    STOCK_MAX_FRAME_BYTES,
    AnswerKind,
    CommandRejected,
    LinkModeRejected,
    ReportingNotStarted,
)

_LOGGER = logging.getLogger(__name__)

# wmbusmeters' detectCUL asks up to three times ("it seems slow sometimes"); the first answer
# may also be culfw rejecting the junk the line break flushed.
IDENTIFY_ATTEMPTS = 2


class CulRadio(SerialRadio):
    """CUL / nanoCUL with culfw on a serial port."""

    BAUD_RATE: ClassVar[int] = BAUD_RATE
    kind = KIND

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """See :class:`SerialRadio`."""
        super().__init__(*args, **kwargs)
        self._decoder = LineDecoder()
        self._version: VersionInfo | None = None
        self._cut_warned = False

    @property
    def version(self) -> VersionInfo | None:
        """The version line read during the last handshake."""
        return self._version

    async def request(self, command: Command) -> CulAnswer:
        """Send ``command`` and wait for its answer; CommandRejected if culfw does not know it."""
        if command.answer is None:
            raise ValueError(f"culfw does not answer {command.text!r}; write it instead")
        answer: CulAnswer = await self._transact(command.encode(), command.answer, command.name)
        if answer.kind is AnswerKind.UNKNOWN_COMMAND:
            raise CommandRejected(command.text, answer.text)
        return answer

    def diagnostics(self) -> dict[str, Any]:
        """The version line as culfw printed it."""
        return {} if self._version is None else {"culfw": self._version.as_dict()}

    # --- hooks ------------------------------------------------------------------------------

    def _reset_codec(self) -> None:
        self._decoder.reset()
        self._cut_warned = False  # one warning per connection

    def _codec_counters(self) -> Mapping[str, int]:
        return self._decoder.dropped

    async def _identify(self) -> RadioIdentity:
        answer: CulAnswer | None = None
        for attempt in range(IDENTIFY_ATTEMPTS):
            self._write(commands.FLUSH_LINE)
            try:
                answer = await self.request(commands.version())
            except CommandRejected as err:
                raise NotThisRadio(self.kind.title, err.answer) from None
            except RadioTimeout:
                if attempt + 1 == IDENTIFY_ATTEMPTS:
                    raise
                continue
            break
        assert answer is not None
        version = VersionInfo.parse(answer.text)
        if not version.is_cul:
            raise NotThisRadio(self.kind.title, answer.text)
        self._version = version
        return RadioIdentity(
            radio=self.kind.name,
            maker=version.maker,
            model=version.model or "CUL",
            firmware=version.firmware,
            serial_number=None,  # culfw reports none (and the CUL's USB one is constant)
            details={"version_line": version.text, "build": version.build},
        )

    async def _configure(self) -> None:
        command = commands.set_link_mode(self.link_mode)
        try:
            answer = await self.request(command)
        except CommandRejected as err:
            raise LinkModeRejected(self.link_mode, command.text, err.answer) from None
        if answer.text != commands.expected_mode_answer(self.link_mode):
            raise LinkModeRejected(self.link_mode, command.text, answer.text)
        self._write(commands.start_reporting().encode())
        # X21 is not answered: read the flags back, which also tells that it arrived.
        flags = await self.request(commands.report_flags())
        if not commands.parse_report_flags(flags.text) & REP_RSSI:
            raise ReportingNotStarted(flags.text)

    async def _ping(self) -> None:
        await self.request(commands.version())

    async def _send_restart(self) -> None:
        """Nothing: culfw has no restart that keeps the port; the base reopens and configures."""

    def _on_data(self, data: bytes) -> None:
        # About once per telegram: kept to the few steps a telegram needs, as the read path's
        # budget is 1.3x a bare reader (tools.soak).
        lines = self._decoder.feed(data)
        if not lines:
            return
        self._last_frame_at = time.monotonic()
        for line in lines:
            if isinstance(line, CulTelegram):
                self._deliver(line.telegram, line.rssi_dbm)
            elif isinstance(line, CulAnswer):
                self._on_answer(line)
            else:
                self._on_cut(line)

    # --- the rare lines ---------------------------------------------------------------------

    def _on_answer(self, answer: CulAnswer) -> None:
        if answer.kind is AnswerKind.UNKNOWN_COMMAND:
            # It rejects the request it echoes; a rejected line nobody sent (the junk the
            # flush ran) is only counted.
            key = commands.answer_kind_of(answer.command or "")
            if key is not None:
                self._resolve(key, answer)
            return
        self._resolve(answer.kind, answer)

    def _on_cut(self, line: DroppedLine) -> None:
        if self._cut_warned or line.reason is not DropReason.CUT_BY_FIRMWARE:
            return
        self._cut_warned = True
        _LOGGER.warning(
            "%s on %s cut a telegram (L-field 0x%02x, %d characters arrived): the stock culfw "
            "cuts telegrams longer than about %d bytes in its 128-byte output buffer, so "
            "longer ones are lost (counted as dropped_cut_by_firmware; wmbusmeters issue "
            "#390). The nanoCUL firmware rebuilt from culfw r568 with a 300-byte buffer "
            "(wmbusmeters-wiki nanoCUL.md) fixes it. This is logged once per connection",
            self.kind.title,
            self.port,
            line.length_field or 0,
            len(line.line),
            STOCK_MAX_FRAME_BYTES,
        )
