"""The one place that knows which serial library is used.

Everything else talks to a :class:`SerialLink`: write bytes, get bytes and the loss of the port
through callbacks, close. Swapping pyserial-asyncio-fast for another library (Home Assistant is
moving to ``serialx``) means rewriting :func:`open_serial_link` only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final, Protocol

import serial_asyncio_fast

BAUD_RATE: Final = 57600  # iM871A manual 3.2.1: 57600 8N1, no flow control
CLOSE_TIMEOUT_S: Final = 2.0

DataCallback = Callable[[bytes], None]
LostCallback = Callable[[Exception | None], None]


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
    """Open ``port`` (a device path or a pyserial URL such as ``socket://host:port``).

    ``on_lost`` is called once when the port goes away (with the error) or after ``close()``
    (with None). Opening errors are raised as OSError (pyserial's SerialException is one).
    """
    loop = asyncio.get_running_loop()
    protocol = _LinkProtocol(on_data, on_lost)
    transport, _ = await serial_asyncio_fast.create_serial_connection(
        loop, lambda: protocol, port, baudrate=BAUD_RATE
    )
    return _AsyncioSerialLink(transport, protocol)
