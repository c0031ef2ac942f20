"""The one place that knows which serial library is used.

Everything else talks to a :class:`SerialLink`: write bytes, get bytes and the loss of the port
through callbacks, close. The library is serialx, the one Home Assistant's own serial
integrations and its ``usb`` component use since 2026.10: it opens, configures and closes the
port in the executor (nothing blocks the loop), and its URL handlers give ``socket://host:port``
(ser2net) and the ports that other integrations register, such as ESPHome serial proxies
(``esphome-hass://...``), with no code here.

One thing is done here rather than by serialx: reading a local port. serialx's descriptor
transport logs twice and goes through its protocol on every read, and at one read per telegram
that made the stick's read path cost 1.3x to 1.4x a bare ``add_reader`` + ``os.read`` reader in
``tools.soak`` (budget 1.3x). So for a local character device the link pauses the transport's
reading (public asyncio API) and reads the descriptor itself, 4 KiB at a time, which measured
1.04x to 1.15x; serialx still opens, configures, writes and closes it. Every other port
(``socket://``, proxies) is read by its transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import errno
import os
import stat
from typing import Final, Protocol

import serialx

CLOSE_TIMEOUT_S: Final = 2.0
READ_SIZE_BYTES: Final = 4096
"""Most one read of a local port takes. At 115200 baud 11.5 kB/s arrive, so this empties the port
in one read; serialx asks for 256 KiB, which CPython allocates on every read."""

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
        self.read_error: OSError | None = None  # set when the link's own reader lost the port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._on_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.set()
        self._on_lost(exc if exc is not None else self.read_error)


class _AsyncioSerialLink:
    def __init__(self, transport: asyncio.Transport, protocol: _LinkProtocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._fileno: int | None = None

    def read_directly(self, fileno: int, on_data: DataCallback) -> None:
        """Take over reading ``fileno`` from the (paused) transport; see the module docstring."""
        loop = asyncio.get_running_loop()

        def read_ready() -> None:
            try:
                data = os.read(fileno, READ_SIZE_BYTES)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:
                self._lose(err)
                return
            if data:
                on_data(data)
            else:  # a hung-up tty reads as end of file; the OS says EIO to writes
                self._lose(OSError(errno.EIO, "device disconnected"))

        self._transport.pause_reading()
        loop.add_reader(fileno, read_ready)
        self._fileno = fileno

    def _stop_reading(self) -> None:
        fileno, self._fileno = self._fileno, None
        # A transport that closed itself (a write error) already removed every reader of the
        # descriptor, which may be closed and its number reused by now: leave it alone then.
        if fileno is not None and not self._transport.is_closing():
            asyncio.get_running_loop().remove_reader(fileno)

    def _lose(self, err: OSError) -> None:
        self._stop_reading()
        self._protocol.read_error = err
        self._transport.abort()  # releases the port; connection_lost reports read_error

    def write(self, data: bytes) -> None:
        self._transport.write(data)

    async def close(self) -> None:
        self._stop_reading()
        self._transport.close()
        # The transport closes the descriptor in an executor and reports connection_lost last.
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await self._protocol.lost.wait()


def _local_descriptor(transport: asyncio.BaseTransport) -> int | None:
    """The descriptor of a local serial device behind ``transport``, else None."""
    if os.name != "posix" or not isinstance(transport, serialx.SerialTransport):
        return None
    fileno = getattr(transport.get_extra_info("serial"), "fileno", None)
    if fileno is None:
        return None
    try:
        descriptor = int(fileno())
        is_device = stat.S_ISCHR(os.fstat(descriptor).st_mode)
    except (OSError, TypeError, ValueError):
        return None
    return descriptor if is_device else None


async def open_serial_link(
    port: str, baud_rate: int, on_data: DataCallback, on_lost: LostCallback
) -> SerialLink:
    """Open ``port`` (a device path or a URL such as ``socket://host:port``) at ``baud_rate``, 8N1.

    Each radio says its rate (iM871A 57600, iU891A 115200, AMB8465 9600, CUL 38400); USB CDC-ACM
    devices such as the iU891A ignore it, and so does a ``socket://`` port.

    ``on_lost`` is called once when the port goes away (with the error) or after ``close()``
    (with None). Opening errors are raised as OSError: the OS's own, or :class:`SerialPortError`
    for serialx's.
    """
    loop = asyncio.get_running_loop()
    protocol = _LinkProtocol(on_data, on_lost)
    try:
        transport, _ = await serialx.create_serial_connection(
            loop, lambda: protocol, port, baudrate=baud_rate
        )
    except serialx.SerialException as err:
        raise SerialPortError(f"cannot open {port}: {err}") from err
    link = _AsyncioSerialLink(transport, protocol)
    descriptor = _local_descriptor(transport)
    if descriptor is not None:
        link.read_directly(descriptor, on_data)
    return link
