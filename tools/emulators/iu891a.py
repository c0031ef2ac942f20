"""An emulated IMST iU891A-XL: SLIP frames with a CRC-16/X-25 over USB CDC-ACM (115200 baud).

It answers ping, get device info (module type 0x6E, a UID), get firmware info, get/set active
configuration, get default configuration, get wM-Bus address and restart, each response with
its status byte; an id it does not know gets status 2, "command not supported" (the status
codes of wmbusmeters' ``src/wmbus_iu891a.h``). Telegrams go out as WMBUSGW 0x20 RX indications:
the stick's clock (from 2000-01-01 at power-up, as in wmbusmeters issue #1630's capture),
decStatus, encMode, info, the RSSI as a signed byte in dBm, then L + frame without DLL CRCs;
every byte after the opening ``c0`` is SLIP-escaped, CRC included.

Power-up behaviour, as the real stick (issue #1630): the active configuration comes from the
NVM, whose RX indications are on (``streaming_at_power_up=True``, the default), so telegrams
flow before any host request; ``streaming_at_power_up=False`` models a stick that is quiet
until configured. A restart answers, then the module reboots for about 0.5 s (answering and
sending nothing) and comes back in its NVM configuration. The link mode is honoured: C hears
C-mode telegrams, T hears T, C/T both, off nothing (S hears only a replay in "any" mode).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Final, NamedTuple

from custom_components.wmbus.protocol.crypto import crc16_x25
from custom_components.wmbus.protocol.radios import iu891a
from custom_components.wmbus.protocol.radios.iu891a.types import (
    MIN_REQUEST_SIZE,
    OPTION_RECALIBRATION,
    OPTION_RX_INDICATION,
)
from custom_components.wmbus.protocol.radios.link_modes import LinkMode

from .base import PtyRadioEmulator, RadioMode

RESTART_REBOOT_S: Final = 0.5
STICK_CLOCK_START_S: Final = 946_684_800  # 2000-01-01 00:00:00 UTC in Unix seconds
DEFAULT_DEVICE_INFO: Final = iu891a.DeviceInfo(
    module_type=iu891a.ModuleType.IU891A_XL, uid=0x00202034, extra=b"\x01\x00\x00\x00"
)
DEFAULT_FIRMWARE_INFO: Final = iu891a.FirmwareInfo(
    major=1, minor=0, build_count=14, build_date="14.11.2024", name="WMBusGateway"
)
# The stick's own wM-Bus address: manufacturer IMS, id, version, device type (unconfirmed order).
DEFAULT_WMBUS_ADDRESS: Final = bytes.fromhex("a625342020000131")

# Which link-mode codes hear which meters' mode; no simulated meter sends S, but a replayed
# file heard in "any" mode is heard in S too. Off hears nothing.
_HEARS: Final[dict[int, frozenset[str]]] = {
    iu891a.LinkModeCode.S: frozenset({"s"}),
    iu891a.LinkModeCode.T: frozenset({"t"}),
    iu891a.LinkModeCode.C_T: frozenset({"c", "t"}),
    iu891a.LinkModeCode.C: frozenset({"c"}),
    iu891a.LinkModeCode.ENHANCED_T: frozenset({"t"}),
    iu891a.LinkModeCode.CUSTOM_C_T: frozenset({"c", "t"}),
}
_VALID_LINK_MODE_CODES: Final = frozenset(int(code) for code in iu891a.LinkModeCode)


class Request(NamedTuple):
    """One host request as the emulator read it."""

    sap: int
    msg_id: int
    payload: bytes


class Iu891aEmulator(PtyRadioEmulator):
    """An emulated iU891A-XL behind a pty."""

    NAME: ClassVar[str] = "iu891a"
    BYTES_PER_S: ClassVar[float] = 11520.0  # CDC-ACM at a nominal 115200 baud
    FLIP_SKIP_BYTES: ClassVar[int] = 1  # keep the opening c0, so the damage hits the frame

    def __init__(
        self,
        link: Any,
        *,
        streaming_at_power_up: bool = True,
        power_up_link_mode: LinkMode | None = LinkMode.C1T1,
        device_info: iu891a.DeviceInfo = DEFAULT_DEVICE_INFO,
        firmware_info: iu891a.FirmwareInfo = DEFAULT_FIRMWARE_INFO,
        **options: Any,
    ) -> None:
        """See :class:`PtyRadioEmulator`.

        streaming_at_power_up: the NVM configuration has RX indications on (the real default).
        power_up_link_mode: the NVM link mode (None: off).
        """
        super().__init__(link, **options)
        self.device_info = device_info
        self.firmware_info = firmware_info
        nvm_options = OPTION_RECALIBRATION | (OPTION_RX_INDICATION if streaming_at_power_up else 0)
        self.nvm_configuration = iu891a.ActiveConfiguration(
            link_mode=(
                iu891a.LinkModeCode.OFF
                if power_up_link_mode is None
                else iu891a.link_mode_code(power_up_link_mode)
            ),
            options=nvm_options,
            ui_options=0x0005,
            led_time_ms=50,
            recalibration_ms=600_000,
        )
        self.configuration = self.nvm_configuration
        self.nvm_writes = 0  # a host must never write the default configuration
        self.restarts = 0
        self._decoder = iu891a.FrameDecoder(min_size=MIN_REQUEST_SIZE)
        self._rebooting_until = 0.0
        self._powered_up_at = 0.0

    # --- state seen by tests ----------------------------------------------------------------

    @property
    def link_mode(self) -> LinkMode | None:
        """The link mode it receives in, as offered by the driver (None: off or another code)."""
        return iu891a.link_mode_of_code(self.configuration.link_mode)

    @property
    def streaming(self) -> bool:
        """Whether received telegrams go to the host now."""
        return self.configuration.rx_indications and not self._rebooting

    @property
    def _rebooting(self) -> bool:
        return self._loop is not None and self.now < self._rebooting_until

    # --- hooks ------------------------------------------------------------------------------

    def _power_up(self) -> None:
        self.configuration = self.nvm_configuration
        self._decoder.reset()
        self._rebooting_until = 0.0
        self._powered_up_at = self.now if self._loop is not None else 0.0

    def _on_host_bytes(self, data: bytes) -> None:
        for raw in self._decoder.feed(data):
            request = Request(raw[0], raw[1], raw[2:-2])
            self.requests.append(request)
            if self.answering and not self._rebooting:
                self._answer(request)

    def _encode_telegram(self, telegram: bytes, rssi_dbm: float, mode: RadioMode) -> bytes | None:
        if not self.streaming:
            return None
        heard = _HEARS.get(self.configuration.link_mode, frozenset())
        if not heard or (mode != "any" and mode not in heard):
            return None
        clock_s = STICK_CLOCK_START_S + int(self.now - self._powered_up_at)
        # "info": low nibble the mode it was heard in (an inference from four captures).
        info = iu891a.LinkModeCode.T if mode == "t" else iu891a.LinkModeCode.C
        rssi = max(-128, min(127, round(rssi_dbm)))
        return iu891a.encode_rx_indication(telegram, rssi, timestamp_s=clock_s, info=info)

    # --- requests ---------------------------------------------------------------------------

    def _reply(self, request: Request, status: int = 0, payload: bytes = b"") -> None:
        self._write(iu891a.encode_frame(request.sap, request.msg_id + 1, payload, status=status))

    def _answer(self, request: Request) -> None:
        sap, msg = request.sap, request.msg_id
        devmgmt, gateway = iu891a.DevMgmtMessage, iu891a.WmbusGwMessage
        if sap == iu891a.Sap.DEVMGMT:
            if msg == devmgmt.PING_REQ:
                self._reply(request)
            elif msg == devmgmt.GET_DEVICE_INFO_REQ:
                self._reply(request, payload=self.device_info.encode())
            elif msg == devmgmt.GET_FW_INFO_REQ:
                self._reply(request, payload=self.firmware_info.encode())
            elif msg == devmgmt.RESTART_REQ:
                self._reply(request)
                self.restarts += 1
                self.configuration = self.nvm_configuration
                self._decoder.reset()
                self._rebooting_until = self.now + RESTART_REBOOT_S
                self._powered_up_at = self._rebooting_until
            else:
                self._reply(request, status=2)
        elif sap == iu891a.Sap.WMBUSGW:
            if msg == gateway.GET_ACTIVE_CONFIG_REQ:
                self._reply(request, payload=self.configuration.encode())
            elif msg == gateway.SET_ACTIVE_CONFIG_REQ:
                status, config = _parse_configuration(request.payload)
                if config is not None:
                    self.configuration = config
                self._reply(request, status=status)
            elif msg == gateway.GET_DEFAULT_CONFIG_REQ:
                self._reply(request, payload=self.nvm_configuration.encode())
            elif msg == gateway.SET_DEFAULT_CONFIG_REQ:
                status, config = _parse_configuration(request.payload)
                if config is not None:
                    self.nvm_configuration = config
                    self.nvm_writes += 1
                self._reply(request, status=status)
            elif msg == gateway.GET_WMBUS_ADDRESS_REQ:
                self._reply(request, payload=DEFAULT_WMBUS_ADDRESS)
            else:
                self._reply(request, status=2)
        else:
            self._reply(request, status=2)


def _parse_configuration(payload: bytes) -> tuple[int, iu891a.ActiveConfiguration | None]:
    """Status and configuration of a set request: 7 wrong length, 3 an unknown link mode."""
    if len(payload) != 11:
        return 7, None
    config = iu891a.ActiveConfiguration.parse(payload)
    if config.link_mode not in _VALID_LINK_MODE_CODES:
        return 3, None
    return 0, config


def minimal_reader() -> Callable[[bytes], int]:
    """The in-run baseline of ``tools.soak``: what any reader of this framing must do.

    Find the ``c0`` boundaries, unescape, check the CRC (by its residue), cut the telegram out
    of RX indications; nothing else.
    """
    pending = b""

    def read(data: bytes) -> int:
        nonlocal pending
        if pending:
            data = pending + data
        telegrams = 0
        start = 0
        while (end := data.find(0xC0, start)) >= 0:
            if end - start > 12:
                frame = data[start:end]
                if 0xDB in frame:
                    frame = frame.replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb")
                if crc16_x25(frame) == 0x0F47 and frame[1] == 0x20 and frame[0] == 0x09:
                    telegrams += len(frame[10:-2]) > 0
            start = end + 1
        pending = data[start:]
        return telegrams

    return read
