"""`listen` with several sources at once: each telegram printed once, with every receiver.

A stick emulated on a pty, a UDP feed and an MQTT topic on a real mosquitto hear the same
telegrams; the command line prints each one once, naming every receiver and its RSSI.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import sys
from typing import Any

import pytest

from tests.conftest import omnipower_captures
from tools.emulators.im871a import Im871aEmulator
from tools.feed_sender import MqttSender, TcpSender, UdpSender, encode

REPO_ROOT = Path(__file__).resolve().parents[2]
CAPTURES = omnipower_captures()
TELEGRAMS = [bytes.fromhex(vector["telegram_hex"]) for vector in CAPTURES[:4]]
KEY = f"32666857:{CAPTURES[0]['key_hex']}"
HOST = "127.0.0.1"
WINDOW_S = "0.5"


def _free_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class _Listen:
    """The command line in a subprocess, read a JSON line at a time."""

    def __init__(self, *arguments: str, stderr: bool = False) -> None:
        self.arguments = arguments
        self.stderr = stderr
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> _Listen:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "custom_components.wmbus.protocol",
            "listen",
            *self.arguments,
            cwd=REPO_ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE if self.stderr else None,
        )
        return self

    async def line(self) -> dict[str, Any]:
        assert self.process is not None
        assert self.process.stdout is not None
        async with asyncio.timeout(20):
            raw = await self.process.stdout.readline()
        assert raw, "listen ended early"
        record: dict[str, Any] = json.loads(raw)
        return record

    async def stop(self) -> dict[str, Any]:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        counts = await self.line()
        async with asyncio.timeout(10):
            assert await self.process.wait() == 0
        return counts

    async def __aexit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@pytest.mark.usefixtures("socket_enabled")
async def test_a_stick_and_a_udp_feed_print_each_telegram_once_with_both(tmp_path: Path) -> None:
    udp_port = _free_port(socket.SOCK_DGRAM)
    async with (
        Im871aEmulator(tmp_path / "stick", rssi_dbm=-71.0) as emulator,
        _Listen(
            *("--port", str(emulator.link), "--radio", "im871a"),
            *("--udp", f"{HOST}:{udp_port}", "--window", WINDOW_S, "--key", KEY),
        ) as listen,
    ):
        radios = [await listen.line(), await listen.line()]
        assert [r["radio"]["radio"] for r in radios] == ["im871a", "udp"]
        sender = UdpSender(HOST, udp_port)
        for telegram in TELEGRAMS:
            assert emulator.send_telegram(telegram)
            await sender.send(encode(telegram, "esphome", rssi_dbm=-84.0))
        # Heard by the feed only.
        only_udp = TELEGRAMS[0][:-1] + bytes((TELEGRAMS[0][-1] ^ 0xFF,))
        await sender.send(encode(only_udp, "esphome", rssi_dbm=-90.0))
        await sender.close()
        heard = [await listen.line() for _ in range(len(TELEGRAMS) + 1)]
        counts = await listen.stop()

    stick = str(emulator.link)
    udp = f"udp:{udp_port}/{HOST}"
    for record, telegram in zip(heard, TELEGRAMS, strict=False):
        assert record["id"] == "32666857"
        receivers = {r["receiver"]: r["rssi_dbm"] for r in record["receivers"]}
        assert receivers == {stick: -71.0, udp: -84.0}, telegram.hex()
        assert len(record["receivers"]) == 2
        assert record["rssi_dbm"] == -71.0  # the best of them
        assert "values" in record
    assert heard[-1]["receivers"] == [{"receiver": udp, "rssi_dbm": -90.0}]
    assert counts["duplicates_dropped"] == len(TELEGRAMS)
    assert counts["counts"]["decoded"] == len(TELEGRAMS)
    assert counts["radios"][stick]["frames_received"] == len(TELEGRAMS)
    assert counts["radios"][f"udp:{udp_port}"]["frames_received"] == len(TELEGRAMS) + 1


@pytest.mark.usefixtures("socket_enabled")
async def test_a_bad_source_is_reported_and_nothing_is_left_open() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind((HOST, 0))
        port = taken.getsockname()[1]
        async with _Listen("--tcp", f"{HOST}:0", "--udp", f"{HOST}:{port}") as listen:
            first = await listen.line()
            error = await listen.line()
            assert listen.process is not None
            async with asyncio.timeout(10):
                assert await listen.process.wait() == 1
    assert first["radio"]["radio"] == "tcp"
    assert error["error"] == "radio"
    assert "cannot listen on udp" in error["message"]


def _mosquitto() -> str:
    found = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).is_file()),
        None,
    )
    if found is None:
        message = "mosquitto is not installed (apt-get install mosquitto)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@contextlib.asynccontextmanager
async def _broker(directory: Path, port: int | None = None) -> AsyncIterator[int]:
    port = port or _free_port(socket.SOCK_STREAM)
    config = directory / "mosquitto.conf"
    config.write_text(f"listener {port} {HOST}\nallow_anonymous true\nlog_dest none\n")
    process = await asyncio.create_subprocess_exec(
        _mosquitto(), "-c", str(config), stdin=asyncio.subprocess.DEVNULL
    )
    try:
        for _ in range(250):
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.1):
                break
            await asyncio.sleep(0.02)
        yield port
    finally:
        process.terminate()
        await process.wait()


@pytest.mark.usefixtures("socket_enabled")
async def test_mqtt_tcp_and_udp_sources_on_a_real_broker(tmp_path: Path) -> None:
    udp_port = _free_port(socket.SOCK_DGRAM)
    tcp_port = _free_port(socket.SOCK_STREAM)
    async with (
        _broker(tmp_path) as broker_port,
        _Listen(
            *("--mqtt", f"{HOST}:{broker_port}", "--topic", "rtl_433/+/events"),
            *("--udp", f"{HOST}:{udp_port}", "--tcp", f"{HOST}:{tcp_port}"),
            *("--window", WINDOW_S, "--key", KEY),
        ) as listen,
    ):
        radios = [(await listen.line())["radio"] for _ in range(3)]
        assert sorted(r["radio"] for r in radios) == ["mqtt", "tcp", "udp"]
        mqtt = await asyncio.to_thread(MqttSender, HOST, broker_port, "rtl_433/cellar-pi/events")
        udp = UdpSender(HOST, udp_port)
        tcp = TcpSender(HOST, tcp_port, per_frame=True)
        try:
            for telegram in TELEGRAMS:
                await mqtt.send(encode(telegram, "rtl_433"))
                await udp.send(encode(telegram, "rtl_wmbus"))
                await tcp.send(encode(telegram, "esphome", rssi_dbm=-66.0), newline=False)
            await mqtt.send('{"model": "Acurite-Tower", "id": 1, "temperature_C": 2.5}')
        finally:
            await mqtt.close()
            await udp.close()
            await tcp.close()
        heard = [await listen.line() for _ in range(len(TELEGRAMS))]
        counts = await listen.stop()

    expected = {
        "mqtt:rtl_433/cellar-pi/events": None,  # rtl_433's level is not dBm
        f"udp:{udp_port}/{HOST}": None,  # rtl_wmbus' level is not dBm
        f"tcp:{tcp_port}/{HOST}": -66.0,
    }
    for record in heard:
        assert {r["receiver"]: r["rssi_dbm"] for r in record["receivers"]} == expected
        assert len(record["receivers"]) == 3
        assert record["rssi_dbm"] == -66.0
        assert record["id"] == "32666857"
    assert counts["duplicates_dropped"] == 2 * len(TELEGRAMS)
    mqtt_counts = counts["radios"]["mqtt:rtl_433/+/events"]
    assert mqtt_counts["frames_received"] == len(TELEGRAMS)
    assert mqtt_counts["dropped_other_device"] == 1


@pytest.mark.usefixtures("socket_enabled")
async def test_mqtt_source_subscribes_again_after_the_broker_restarts(tmp_path: Path) -> None:
    port = _free_port(socket.SOCK_STREAM)
    async with _Listen(
        *("--mqtt", f"{HOST}:{port}", "--topic", "wmbus_bridge/telegram", "--key", KEY),
        stderr=True,
    ) as listen:
        async with _broker(tmp_path, port):
            assert (await listen.line())["radio"]["radio"] == "mqtt"
            sender = await asyncio.to_thread(MqttSender, HOST, port, "wmbus_bridge/telegram")
            await sender.send(TELEGRAMS[0].hex())
            await sender.close()
            assert (await listen.line())["receivers"] == [
                {"receiver": "mqtt:wmbus_bridge/telegram", "rssi_dbm": None}
            ]
        async with _broker(tmp_path, port):
            # paho reconnects (1 s back-off at first) and subscribes again.
            for _ in range(100):
                sender = await asyncio.to_thread(MqttSender, HOST, port, "wmbus_bridge/telegram")
                await sender.send(TELEGRAMS[1].hex())
                await sender.close()
                assert listen.process is not None
                assert listen.process.stdout is not None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.2):
                        raw = await listen.process.stdout.readline()
                        break
            else:
                pytest.fail("no telegram after the broker came back")
            assert json.loads(raw)["id"] == "32666857"
            await listen.stop()
        assert listen.process is not None
        assert listen.process.stderr is not None
        errors = (await listen.process.stderr.read()).decode()
    assert "Traceback" not in errors
    assert "Exception" not in errors
