"""The Amber / Würth AMB8465 family (AMB8465, AMB8465-M / Metis-II, AMB8665) at 9600 baud.

Handshake: drain what the stick streamed before the port was opened (it sends every telegram
it hears, whether anyone listens or not; wmbusmeters drains up to 10 reads for the same reason),
read the whole parameter memory (its size tells an AMB8465 from the 169 MHz AMB3665, whose
mode codes mean other things), then the serial number and firmware version. Parameter 0x05 says
how telegrams will arrive (transparent or DATA_IND) and 0x45 whether a DATA_IND carries the RSSI
byte; transparent telegrams always do (wmbusmeters #336, #1049, #1559). A DATA_IND is taken in
either mode (its XOR vouches for it), the unchecked transparent form only when 0x05 says so
(see ``frames``). Then SET_MODE, volatile: the mode cannot be read back, so the driver keeps
the last one it set, and sets it again after every reset, reconnect or replug. Nothing is ever
written to the parameter memory (SET 0x09 would wear its flash and needs a reset).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import logging
import time
from typing import Any, ClassVar, Final

from ..base import NotThisRadio, RadioIdentity
from ..link_modes import LinkMode
from ..serial_radio import SerialRadio
from . import KIND, commands
from .commands import ParameterDump, Request
from .frames import AmberFrame, FrameDecoder
from .types import AMB8465_PARAMETER_BYTES, AmberPayloadError, link_mode_code

_LOGGER = logging.getLogger(__name__)

BAUD_RATE: Final = 9600  # factory setting; wmbusmeters requires it (README, "Non-standard baud")
# Input read in this long after opening the port is stale (a telegram cut off by the open, junk
# from another kind's probe at another baud rate) and discarded before the first request.
DRAIN_S: Final = 0.1
MAKER: Final = "Amber Wireless / Würth Elektronik"
STALE_CHECK_SLACK_S: Final = 0.01


class Amb8465Radio(SerialRadio):
    """An AMB8465, AMB8465-M (Metis-II) or AMB8665 on a serial port."""

    BAUD_RATE: ClassVar[int] = BAUD_RATE
    kind = KIND

    def __init__(self, *args: Any, drain_s: float = DRAIN_S, **kwargs: Any) -> None:
        """See :class:`SerialRadio`; ``drain_s`` is how long stale input is discarded."""
        super().__init__(*args, **kwargs)
        self._decoder = FrameDecoder()
        self._drain_s = drain_s
        self._draining = False
        self._stale_check: asyncio.TimerHandle | None = None
        self._parameters: ParameterDump | None = None
        self._mode_set: LinkMode | None = None

    @property
    def parameters(self) -> ParameterDump | None:
        """The parameter memory read during the last handshake."""
        return self._parameters

    @property
    def mode_set(self) -> LinkMode | None:
        """The link mode last set since the stick (re)started; None before (not readable)."""
        return self._mode_set

    async def close(self) -> None:
        """See :meth:`SerialRadio.close`; a pending look at a partial frame is called off."""
        await super().close()
        self._cancel_stale_check()

    async def request(self, request: Request) -> AmberFrame:
        """Send ``request`` and wait for its confirm; one request at a time."""
        frame: AmberFrame = await self._transact(request.encode(), request.confirm_id, request.name)
        return frame

    # --- hooks ------------------------------------------------------------------------------

    def _reset_codec(self) -> None:
        self._decoder.reset()
        self._cancel_stale_check()

    def _cancel_stale_check(self) -> None:
        if self._stale_check is not None:
            self._stale_check.cancel()
            self._stale_check = None

    def _codec_counters(self) -> Mapping[str, int]:
        return self._decoder.dropped

    async def _identify(self) -> RadioIdentity:
        self._mode_set = None  # a fresh port may be a replugged stick: its mode is the NVM one
        await self._drain()
        dump = await self._read_parameters()
        command_output = bool(dump.command_output)
        rssi_enabled = bool(dump.rssi_enabled)
        self._decoder.transparent = not command_output
        self._decoder.data_ind_rssi = rssi_enabled
        self._parameters = dump
        try:
            serial = commands.parse_serial_number(
                (await self.request(commands.serial_number())).payload
            )
            firmware = commands.parse_firmware_version(
                (await self.request(commands.firmware_version())).payload
            )
        except AmberPayloadError as err:
            raise NotThisRadio(self.kind.title, str(err)) from None
        return RadioIdentity(
            radio=self.kind.name,
            maker=MAKER,
            model=dump.model,
            firmware=firmware,
            serial_number=serial,
            details={"command_output": command_output, "rssi_enabled": rssi_enabled},
        )

    async def _configure(self) -> None:
        request = commands.set_mode(link_mode_code(self.link_mode))
        commands.check_status(await self.request(request), request)
        self._mode_set = self.link_mode

    async def _ping(self) -> None:
        await self.request(commands.firmware_version())

    async def _send_restart(self) -> None:
        request = commands.reset()
        self._mode_set = None  # whatever the confirm says, the mode may be gone
        commands.check_status(await self.request(request), request)

    def _on_data(self, data: bytes) -> None:
        # About once per telegram: kept to the few steps a telegram needs, as the read path's
        # budget is 1.3x a bare reader (tools.soak).
        if self._draining:
            self._counts["drained_bytes"] += len(data)
            return
        now = time.monotonic()
        frames = self._decoder.feed(data, now)
        if self._decoder.buffered and self._stale_check is None:
            self._watch_partial()
        if not frames:
            return
        self._last_frame_at = now
        for frame in frames:
            telegram = frame.telegram
            if telegram is not None:
                self._deliver(telegram, frame.rssi_dbm)
            else:
                self._resolve(frame.command, frame)

    def _watch_partial(self) -> None:
        """Look at a partial frame again once it is stale, even if no byte comes after it.

        Without this, a telegram behind a false start (noise that looks like a length and a
        C-field) would wait for the next telegram, minutes away for some meters.
        """
        stale_at = self._decoder.stale_at
        if stale_at is not None:
            # A little late rather than early: asyncio may run a timer a clock tick early.
            self._stale_check = asyncio.get_running_loop().call_at(
                stale_at + STALE_CHECK_SLACK_S, self._check_partial
            )

    def _check_partial(self) -> None:
        self._stale_check = None
        self._on_data(b"")

    # --- handshake steps --------------------------------------------------------------------

    async def _drain(self) -> None:
        self._draining = True
        try:
            await asyncio.sleep(self._drain_s)
        finally:
            self._draining = False
            self._decoder.reset()

    async def _read_parameters(self) -> ParameterDump:
        response = await self.request(commands.get_all_parameters())
        try:
            dump = ParameterDump.parse(response.payload)
        except AmberPayloadError as err:
            raise NotThisRadio(self.kind.title, str(err)) from None
        if dump.offset != 0 or len(dump.values) != AMB8465_PARAMETER_BYTES:
            # The AMB3665 (128 bytes) answers the same commands, but on 169 MHz with N-mode
            # codes in SET_MODE: 0x08 would be N2d there, not T1.
            raise NotThisRadio(self.kind.title, dump.model)
        return dump
