"""The IMST iM871A (and its 169 MHz sibling iM170A) on a serial port, 57600 baud.

Handshake: ping, get device info (the module type tells an iM871A from another IMST module),
then set the configuration in RAM only (never the NVM flag: the host sets it on every open)
and read it back. Telegrams arrive as RADIOLINK data indications; the RSSI byte the host asks
for is converted with wmbusmeters' linear approximation (``src/wmbus_im871a.cc``).
"""

from __future__ import annotations

from collections.abc import Mapping
import logging
import time
from typing import Any, ClassVar

from ..base import NotThisRadio, RadioError, RadioIdentity, RadioKind
from ..serial_radio import SerialRadio
from . import KIND, commands
from .commands import Command, DeviceInfo, StickConfiguration
from .frames import FrameDecoder, HciFrame
from .types import link_mode_code

_LOGGER = logging.getLogger(__name__)

BAUD_RATE = 57600  # iM871A user manual, "Serial interface": 57600 8N1, no flow control


class Im871aRadio(SerialRadio):
    """IMST iM871A (or iM170A) on a serial port."""

    BAUD_RATE: ClassVar[int] = BAUD_RATE
    kind: ClassVar[RadioKind] = KIND

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """See :class:`SerialRadio`."""
        super().__init__(*args, **kwargs)
        self._decoder = FrameDecoder()
        self._device_info: DeviceInfo | None = None
        self._configuration: StickConfiguration | None = None

    @property
    def device_info(self) -> DeviceInfo | None:
        """Device info read during the last handshake."""
        return self._device_info

    @property
    def configuration(self) -> StickConfiguration | None:
        """Configuration read back after setting the link mode."""
        return self._configuration

    async def request(self, command: Command) -> HciFrame:
        """Send ``command`` and wait for its response; one request at a time."""
        frame: HciFrame = await self._transact(
            command.encode(), (command.endpoint, command.response_msg_id), command.name
        )
        return frame

    # --- hooks ------------------------------------------------------------------------------

    def _reset_codec(self) -> None:
        self._decoder.reset()

    def _codec_counters(self) -> Mapping[str, int]:
        return self._decoder.dropped

    async def _identify(self) -> RadioIdentity:
        await self.request(commands.ping())
        info = DeviceInfo.parse((await self.request(commands.get_device_info())).payload)
        if not info.is_supported:
            raise NotThisRadio(self.kind.title, info.model)
        self._device_info = info
        return RadioIdentity(
            radio=self.kind.name,
            maker="IMST",
            model=info.model,
            firmware=info.firmware,
            serial_number=info.serial_number,
            details={
                "module_type": info.module_type,
                "device_mode": info.device_mode,
                "hci_version": info.hci_version,
            },
        )

    async def _configure(self) -> None:
        await self.request(commands.set_configuration(self.link_mode))
        response = await self.request(commands.get_configuration())
        config = commands.parse_configuration(response.payload)
        code = link_mode_code(self.link_mode)
        if config.link_mode is not None and config.link_mode != code:
            raise RadioError(
                f"stick kept link mode 0x{config.link_mode:02x} after being set to "
                f"{self.link_mode} (0x{code:02x})"
            )
        self._configuration = config

    async def _ping(self) -> None:
        await self.request(commands.ping())

    async def _send_restart(self) -> None:
        await self.request(commands.reset())

    def _on_data(self, data: bytes) -> None:
        # About once per telegram: kept to the few steps a telegram needs, as the read path's
        # budget is 1.3x a bare reader (tools.soak).
        frames = self._decoder.feed(data)
        if not frames:
            return
        self._last_frame_at = time.monotonic()
        for frame in frames:
            telegram = frame.telegram
            if telegram is not None:
                self._deliver(telegram, frame.rssi_dbm)
            else:
                self._resolve((frame.endpoint, frame.msg_id), frame)
