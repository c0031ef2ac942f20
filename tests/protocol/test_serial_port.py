"""The serial link over ser2net's ``socket://host:port``, against a real TCP server."""

from __future__ import annotations

import asyncio
import os

import pytest

from custom_components.wmbus.protocol.serial_port import READ_SIZE_BYTES, open_serial_link


@pytest.mark.usefixtures("socket_enabled")
async def test_socket_url_carries_bytes_both_ways_and_reports_the_close() -> None:
    received_by_server: asyncio.Queue[bytes] = asyncio.Queue()
    server_writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server_writers.append(writer)
        writer.write(b"\xa5\x01\x02")
        await writer.drain()
        while chunk := await reader.read(64):
            await received_by_server.put(chunk)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    from_link: asyncio.Queue[bytes] = asyncio.Queue()
    lost: list[Exception | None] = []
    async with server:
        link = await open_serial_link(
            f"socket://127.0.0.1:{port}", from_link.put_nowait, lost.append
        )
        assert await asyncio.wait_for(from_link.get(), 5) == b"\xa5\x01\x02"
        link.write(b"\xa5\x01\x03\x00")
        assert await asyncio.wait_for(received_by_server.get(), 5) == b"\xa5\x01\x03\x00"
        await link.close()
        assert lost == [None]


async def test_a_local_port_reads_at_most_the_read_size_per_wake_up() -> None:
    # serialx's descriptor transport asks os.read for 256 KiB, which CPython allocates on every
    # read; a pty never returns more than 4 KiB, so the setting itself is what can be checked.
    master, slave = os.openpty()
    try:
        link = await open_serial_link(os.ttyname(slave), lambda _: None, lambda _: None)
        try:
            assert link._transport.max_size == READ_SIZE_BYTES  # type: ignore[attr-defined]
        finally:
            await link.close()
    finally:
        os.close(master)
        os.close(slave)
