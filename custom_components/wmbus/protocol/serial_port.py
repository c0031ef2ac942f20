"""The one place that knows which serial library is used.

Everything else talks to a :class:`SerialLink`: write bytes, get bytes and the loss of the port
through callbacks, close. The library is serialx, the one Home Assistant's own serial
integrations and its ``usb`` component use since 2026.10: it opens, configures and closes the
port in the executor (nothing blocks the loop), and its URL handlers give ``socket://host:port``
(ser2net) and the ports that other integrations register, such as ESPHome serial proxies
(``esphome-hass://...``), with no code here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final, Protocol

import serialx

BAUD_RATE: Final = 57600  # iM871A manual 3.2.1: 57600 8N1, no flow control
CLOSE_TIMEOUT_S: Final = 2.0
READ_SIZE_BYTES: Final = 4096
"""Most a local port's transport reads per wake-up. serialx's descriptor transport asks
``os.read`` for 256 KiB, and CPython allocates that much for every read before shrinking it to
the few dozen bytes of one HCI frame (its socket transport reads 1 KiB and needs nothing). At
125 frames/s that allocation made the stick's read path cost 1.6x to 1.7x a minimal reader in
``tools.soak``; with 4 KiB it measured 1.17x to 1.5x. 57600 baud brings 5.8 kB/s, so 4 KiB
still empties the port in one read."""

DataCallback = Callable[[bytes], None]
LostCallback = Callable[[Exception | None], None]


class SerialPortError(OSError):
    """The port could not be opened: unknown URL scheme, bad settings, or the OS said no.

    An OSError, like the errors of opening a file, so that callers treat every way a port can
    be missing alike.
    """


class SerialLink(Protocol):
    """An open serial port."""

    def write(self, data: bytes) -> None:
        """Queue bytes for sending (never blocks)."""

    async def close(self) -> None:
        """Close the port and wait until its file descriptor is released."""


class _LinkProtocol(asyncio.Protocol):
    """Adapts asyncio's protocol callbacks to two plain callbacks."""

    def __init__(self, on_data: DataCallback, on_lost: LostCallback) -> None:
        self._on_data = on_data
        self._on_lost = on_lost
        self.transport: asyncio.Transport | None = None
        self.lost = asyncio.Event()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._on_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.set()
        self._on_lost(exc)


class _AsyncioSerialLink:
    def __init__(self, transport: asyncio.Transport, protocol: _LinkProtocol) -> None:
        self._transport = transport
        self._protocol = protocol

    def write(self, data: bytes) -> None:
        self._transport.write(data)

    async def close(self) -> None:
        self._transport.close()
        # The transport closes the descriptor in an executor and reports connection_lost last.
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await self._protocol.lost.wait()


async def open_serial_link(port: str, on_data: DataCallback, on_lost: LostCallback) -> SerialLink:
    """Open ``port`` (a device path or a URL such as ``socket://host:port``).

    ``on_lost`` is called once when the port goes away (with the error) or after ``close()``
    (with None). Opening errors are raised as OSError: the OS's own, or :class:`SerialPortError`
    for serialx's.
    """
    loop = asyncio.get_running_loop()
    protocol = _LinkProtocol(on_data, on_lost)
    try:
        transport, _ = await serialx.create_serial_connection(
            loop, lambda: protocol, port, baudrate=BAUD_RATE
        )
    except serialx.SerialException as err:
        raise SerialPortError(f"cannot open {port}: {err}") from err
    if hasattr(transport, "max_size"):
        transport.max_size = READ_SIZE_BYTES
    return _AsyncioSerialLink(transport, protocol)
