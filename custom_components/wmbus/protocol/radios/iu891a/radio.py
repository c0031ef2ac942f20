"""The IMST iU891A-XL family on a serial port (USB CDC-ACM), 115200 baud.

Handshake on every connect:

1. A run of ``c0`` ends any partial frame the stick holds from an earlier host, then ping. The
   stick may already be streaming telegrams when the port opens: its default (NVM)
   configuration can have RX indications on (wmbusmeters issue #1630, and its 2026-03 fix
   that sends 30 ``c0`` and skips whole frames until the wanted answer, up to 10 tries). Here
   every frame is checked and answers are matched by SAP and message id, so telegrams
   around an answer cannot hide it; the ping is retried while the port shows life.
2. Device info (the module type tells an iU891A-XL from another IMST module, such as the
   iU880B LoRa stick that speaks the same framing, wmbusmeters issues #1350, #1354), firmware
   info.
3. Set the active (volatile) configuration: the link mode, forward all, RX indications on
   (the values wmbusmeters 3.0.0 writes, issue #2059), and read it back. The default (NVM)
   configuration is never written: it would wear the flash, and the host sets its own on
   every start anyway.

Telegrams that stream in while the radio is being opened are delivered like any other: a
telegram is a meter's whatever link mode the stick heard it in, and nothing heard is lost.
Only while probing (``identify_only``, which must have no effect) are they dropped, counted as
``telegrams_while_probing``.

Received telegrams (WMBUSGW 0x20) carry a header: the stick's clock (unreliable: it starts at
2000-01-01 unless set, and frames in wmbusmeters issue #1350 carry weeks-old times), three
status bytes, the RSSI as a signed byte already in dBm; then L and the frame with the DLL CRCs
removed, L rewritten to the length without them for frame format B (issue #1630). Reception
time is the host's; the stick's time is kept for diagnostics and debug logs only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
import logging
import time
from typing import Any, ClassVar, Final

from ..base import NotThisRadio, RadioIdentity, RadioState, RadioTimeout
from ..serial_radio import SerialRadio
from . import KIND, commands
from .commands import ActiveConfiguration, Command, DeviceInfo, FirmwareInfo
from .frames import FrameDecoder, RxIndication
from .types import (
    CRC_SIZE,
    END,
    RX_RSSI_AT,
    RX_TELEGRAM_AT,
    ConfigurationNotApplied,
    Sap,
    StatusError,
    WmbusGwMessage,
)

_LOGGER = logging.getLogger(__name__)

BAUD_RATE: Final = 115200  # nominal on CDC-ACM (wmbusmeters src/wmbus_iu891a.cc; jktjkt wmbus.js)
# Sent before the first request: ends a frame the stick may be half-way through receiving
# (wmbusmeters sends 30, commit b4783559); empty frames are ignored by SLIP readers.
END_RUN: Final = bytes((END,)) * 30
# Tries of the first ping while the port shows life (frames or noise) but no answer came.
HANDSHAKE_ATTEMPTS: Final = 3
# The stick's clock counts Unix seconds (jktjkt wmbus.js); unset, it starts at 2000-01-01
# (wmbusmeters issue #1630 capture).
STICK_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

_SAP_WMBUSGW: Final = int(Sap.WMBUSGW)
_RX_MESSAGE_IND: Final = int(WmbusGwMessage.RX_MESSAGE_IND)


class Iu891aRadio(SerialRadio):
    """IMST iU891A-XL, iU893A-XL, iM891A-XL or iM881A-XL on a serial port."""

    BAUD_RATE: ClassVar[int] = BAUD_RATE
    kind = KIND

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """See :class:`SerialRadio`."""
        super().__init__(*args, **kwargs)
        self._decoder = FrameDecoder()
        self._log_telegrams = False
        self._device_info: DeviceInfo | None = None
        self._firmware_info: FirmwareInfo | None = None
        self._configuration: ActiveConfiguration | None = None
        self._last_indication: bytes | None = None

    @property
    def device_info(self) -> DeviceInfo | None:
        """Device info read during the last handshake."""
        return self._device_info

    @property
    def firmware_info(self) -> FirmwareInfo | None:
        """Firmware info read during the last handshake (None if the stick had none)."""
        return self._firmware_info

    @property
    def configuration(self) -> ActiveConfiguration | None:
        """Active configuration read back after setting it."""
        return self._configuration

    async def request(self, command: Command) -> bytes:
        """Send ``command``, wait for its response; its payload, or its status as an error."""
        raw: bytes = await self._transact(command.encode(), command.response_key, command.name)
        return command.result(raw)

    def diagnostics(self) -> dict[str, Any]:
        """Configuration, firmware and the stick's clock as of its last telegram."""
        out: dict[str, Any] = {}
        if self._configuration is not None:
            out["active_configuration"] = self._configuration.as_dict()
        if self._firmware_info is not None:
            out["firmware_name"] = self._firmware_info.name
            out["firmware_build_count"] = self._firmware_info.build_count
        if self._last_indication is not None:
            indication = RxIndication.parse(self._last_indication)
            if indication is not None:
                stick_time = STICK_EPOCH + timedelta(seconds=indication.stick_timestamp_s)
                out["last_telegram"] = {
                    "stick_time": stick_time.isoformat(),
                    "dec_status": indication.dec_status,
                    "enc_mode": indication.enc_mode,
                    "info": indication.info,
                }
        return out

    # --- hooks ------------------------------------------------------------------------------

    def _reset_codec(self) -> None:
        self._decoder.reset()

    def _codec_counters(self) -> Mapping[str, int]:
        return self._decoder.dropped

    async def _identify(self) -> RadioIdentity:
        await self._wake()
        info = DeviceInfo.parse(await self.request(commands.get_device_info()))
        if not info.is_supported:
            raise NotThisRadio(self.kind.title, info.model)
        self._device_info = info
        try:
            firmware = FirmwareInfo.parse(await self.request(commands.get_firmware_info()))
        except StatusError as err:  # identity does not hang on it
            _LOGGER.debug("%s: no firmware info: %s", self.port, err)
            firmware = FirmwareInfo(None, None)
        self._firmware_info = firmware
        return RadioIdentity(
            radio=self.kind.name,
            maker="IMST",
            model=info.model,
            firmware=firmware.version,
            serial_number=info.serial_number,
            details={
                "module_type": info.module_type,
                "firmware_name": firmware.name,
                "firmware_build_count": firmware.build_count,
            },
        )

    async def _wake(self) -> None:
        """End a partial frame, then ping until answered (only retried if the port shows life)."""
        self._write(END_RUN)
        for attempt in range(1, HANDSHAKE_ATTEMPTS + 1):
            activity = self._decoder.frames_decoded + sum(self._decoder.dropped.values())
            try:
                await self.request(commands.ping())
            except RadioTimeout:
                alive = self._decoder.frames_decoded + sum(self._decoder.dropped.values())
                if attempt == HANDSHAKE_ATTEMPTS or alive == activity:
                    raise
                _LOGGER.debug("%s: ping %d unanswered amid traffic; again", self.port, attempt)
                self._write(END_RUN)
            else:
                return

    async def _configure(self) -> None:
        wanted = ActiveConfiguration.for_host(self.link_mode)
        try:
            await self.request(commands.set_active_configuration(wanted))
        except RadioTimeout:
            # One report (wmbusmeters issue #1945, contested) has the firmware restart on the
            # first set after power-up, the answer never coming: wake it and set it again.
            _LOGGER.debug("%s: set active configuration unanswered; once more", self.port)
            await self._wake()
            await self.request(commands.set_active_configuration(wanted))
        read = ActiveConfiguration.parse(await self.request(commands.get_active_configuration()))
        if read.link_mode != wanted.link_mode or not read.rx_indications or not read.forwards_all:
            raise ConfigurationNotApplied(
                f"stick kept {read.as_dict()} after being set to {wanted.as_dict()}"
            )
        self._configuration = read
        self._log_telegrams = _LOGGER.isEnabledFor(logging.DEBUG)

    async def _ping(self) -> None:
        await self.request(commands.ping())

    async def _send_restart(self) -> None:
        await self.request(commands.restart())

    def _on_data(self, data: bytes) -> None:
        # About once per telegram: kept to the few steps a telegram needs, as the read path's
        # budget is 1.3x a bare reader (tools.soak).
        frames = self._decoder.feed(data)
        if not frames:
            return
        self._last_frame_at = time.monotonic()
        for frame in frames:
            if frame[1] == _RX_MESSAGE_IND and frame[0] == _SAP_WMBUSGW:
                telegram = frame[RX_TELEGRAM_AT:-CRC_SIZE]
                # L counts the bytes after it (the stick rewrites it for frame B, #1630).
                if telegram and telegram[0] == len(telegram) - 1 and self._delivering:
                    self._last_indication = frame
                    rssi = frame[RX_RSSI_AT]
                    self._deliver(telegram, rssi - 256 if rssi > 127 else rssi)
                    if self._log_telegrams:
                        self._log_telegram(frame)
                else:
                    self._skip_indication(telegram)
            else:
                self._resolve((frame[0], frame[1]), frame)

    @property
    def _delivering(self) -> bool:
        # Opened for use (CONNECTING, CONNECTED, or reconnecting): deliver; a probe never sets
        # a state, so it stays CLOSED and delivers nothing.
        return self._state is not RadioState.CLOSED

    def _skip_indication(self, telegram: bytes) -> None:
        if not self._delivering:
            self._counts["telegrams_while_probing"] += 1
        else:
            self._counts["telegrams_bad_l_field"] += 1
            _LOGGER.debug("%s: L-field does not match telegram %s", self.port, telegram.hex())

    def _log_telegram(self, frame: bytes) -> None:
        indication = RxIndication.parse(frame)
        if indication is not None:
            stick_time = STICK_EPOCH + timedelta(seconds=indication.stick_timestamp_s)
            _LOGGER.debug(
                "%s: telegram, stick time %s, status %02x, enc %02x, info %02x, RSSI %d dBm",
                self.port,
                stick_time.isoformat(),
                indication.dec_status,
                indication.enc_mode,
                indication.info,
                indication.rssi_dbm,
            )
