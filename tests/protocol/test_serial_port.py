"""The serial link over ser2net's ``socket://host:port``, against a real TCP server."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.wmbus.protocol.serial_port import open_serial_link


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
