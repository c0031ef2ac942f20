"""An emulated IMST iM871A: IMST's HCI at 57600 baud, as wmbusmeters and the HCI guide show it.

It answers ping, get device info, get/set configuration and reset, and sends what its radio
hears as RADIOLINK data indications, honouring the link mode and the RSSI/timestamp attachments
the host configured (the CRC is always attached, as the real stick does).

Power-up behaviour: the real stick receives in its stored (NVM) link mode from power-up, before
any host has talked to it, so the emulator does too (``power_up_link_mode``, default C1a; None
models a stick that hears nothing until configured). A reset answers, then the module reboots
for about 500 ms and comes back in its NVM configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Final

from custom_components.wmbus.protocol.radios import im871a as hci
from custom_components.wmbus.protocol.radios.link_modes import LinkMode

from .base import PtyRadioEmulator, RadioMode, hears

RESET_REBOOT_S: Final = 0.5  # the module restarts about 500 ms after answering a reset
DEFAULT_DEVICE_INFO: Final = hci.DeviceInfo(
    module_type=hci.ModuleType.IM871A,
    device_mode=0,
    firmware_version=0x15,
    hci_version=0x0A,
    uid=0x00C0FFEE,
)


class Im871aEmulator(PtyRadioEmulator):
    """An emulated iM871A behind a pty."""

    NAME: ClassVar[str] = "im871a"
    BYTES_PER_S: ClassVar[float] = 5760.0  # 57600 baud, 8N1 = 10 bits per byte
    FLIP_SKIP_BYTES: ClassVar[int] = hci.HEADER_SIZE

    def __init__(
        self,
        link: Any,
        *,
        power_up_link_mode: LinkMode | None = LinkMode.C1a,
        device_info: hci.DeviceInfo = DEFAULT_DEVICE_INFO,
        **options: Any,
    ) -> None:
        """See :class:`PtyRadioEmulator`; ``power_up_link_mode`` is the NVM link mode."""
        super().__init__(link, **options)
        self.device_info = device_info
        nvm_code = None if power_up_link_mode is None else hci.link_mode_code(power_up_link_mode)
        self._nvm = hci.StickConfiguration(
            device_mode=0,
            link_mode=nvm_code,
            rssi_attachment=False,
            timestamp_attachment=False,
        )
        self.configuration = self._nvm
        self._decoder = hci.FrameDecoder()
        self._rebooting_until = 0.0

    @property
    def link_mode(self) -> LinkMode | None:
        """Link mode the radio currently receives in."""
        return self.configuration.link_mode_name

    @property
    def rssi_attachment(self) -> bool:
        """RSSI byte attached to data indications."""
        return bool(self.configuration.rssi_attachment)

    @property
    def timestamp_attachment(self) -> bool:
        """Timestamp attached to data indications."""
        return bool(self.configuration.timestamp_attachment)

    def _power_up(self) -> None:
        self.configuration = self._nvm
        self._decoder.reset()

    def _reply(self, msg_id: int, payload: bytes = b"") -> None:
        self._write(hci.encode_frame(hci.Endpoint.DEVMGMT, msg_id, payload, with_crc=True))

    def _on_host_bytes(self, data: bytes) -> None:
        for request in self._decoder.feed(data):
            self.requests.append(request)
            self._answer(request)

    def _answer(self, request: hci.HciFrame) -> None:
        if not self.answering or self.now < self._rebooting_until:
            return
        if request.endpoint != hci.Endpoint.DEVMGMT:
            return
        msg = request.msg_id
        if msg == hci.DevMgmtMessage.PING_REQ:
            self._reply(hci.DevMgmtMessage.PING_RSP)
        elif msg == hci.DevMgmtMessage.GET_DEVICE_INFO_REQ:
            self._reply(hci.DevMgmtMessage.GET_DEVICE_INFO_RSP, self.device_info.encode())
        elif msg == hci.DevMgmtMessage.GET_CONFIG_REQ:
            payload = hci.encode_configuration(self.configuration)
            self._reply(hci.DevMgmtMessage.GET_CONFIG_RSP, payload)
        elif msg == hci.DevMgmtMessage.SET_CONFIG_REQ:
            try:
                store, update = hci.parse_set_configuration(request.payload)
            except hci.HciPayloadError:
                self._reply(hci.DevMgmtMessage.SET_CONFIG_RSP, b"\x01")
                return
            self.configuration = _merge(self.configuration, update)
            if store:
                self._nvm = _merge(self._nvm, update)
            self._reply(hci.DevMgmtMessage.SET_CONFIG_RSP, b"\x00")
        elif msg == hci.DevMgmtMessage.RESET_REQ:
            self._reply(hci.DevMgmtMessage.RESET_RSP, b"\x00")
            self.configuration = self._nvm
            self._rebooting_until = self.now + RESET_REBOOT_S

    def _encode_telegram(self, telegram: bytes, rssi_dbm: float, mode: RadioMode) -> bytes | None:
        if not hears(self.link_mode, mode):
            return None
        # The HCI length byte takes the place of the L-field; the rest goes as it is, so a
        # malformed telegram reaches the host malformed.
        timestamp = None
        if self.timestamp_attachment:
            ticks_ms = int((self.now - self._started_at) * 1000) & 0xFFFFFFFF
            timestamp = ticks_ms.to_bytes(4, "little")
        return hci.encode_frame(
            hci.Endpoint.RADIOLINK,
            hci.RadioLinkMessage.WMBUS_MSG_IND,
            telegram[1:256],
            timestamp=timestamp,
            rssi_raw=hci.dbm_to_rssi(rssi_dbm) if self.rssi_attachment else None,
            with_crc=True,
        )


def _merge(base: hci.StickConfiguration, update: hci.StickConfiguration) -> hci.StickConfiguration:
    """Apply the fields present in ``update`` to ``base``."""
    values = {name: getattr(base, name) for name in base.__dataclass_fields__}
    values.update(
        {
            name: getattr(update, name)
            for name in base.__dataclass_fields__
            if getattr(update, name) is not None
        }
    )
    return hci.StickConfiguration(**values)


def minimal_reader() -> Callable[[bytes], int]:
    """The in-run baseline of ``tools.soak``: the HCI frame decoder and nothing else."""
    decoder = hci.FrameDecoder()

    def read(data: bytes) -> int:
        return sum(1 for frame in decoder.feed(data) if frame.telegram is not None)

    return read
