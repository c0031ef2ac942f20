"""The TCP and UDP listeners and the MQTT feed, on loopback with the feed sender."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
import logging
from pathlib import Path
import sys

import pytest

from custom_components.wmbus.protocol.radios import (
    NETWORK_RADIOS,
    NoRadioFound,
    RadioError,
    RadioFrame,
    RadioState,
    build_radio,
    detect_radio,
    radio_kind,
    radio_kinds,
)
from custom_components.wmbus.protocol.radios.feeds import parse_line
from custom_components.wmbus.protocol.radios.feeds.radio import (
    FeedRadio,
    TcpFeedRadio,
    UdpFeedRadio,
    parse_listen_address,
)
from tests.conftest import omnipower_captures
from tools.feed_sender import (
    FEED_FORMATS,
    TcpSender,
    UdpSender,
    block_crc_hex,
    encode,
    send_telegrams,
)
from tools.simulated_meters import HeatMeter, OmniPower, WaterMeter

TELEGRAMS = [bytes.fromhex(vector["telegram_hex"]) for vector in omnipower_captures()[:5]]
HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parents[3]


async def _until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"condition not met within {timeout_s} s")


@pytest.mark.parametrize("feed_format", FEED_FORMATS)
@pytest.mark.parametrize(
    "meter", [OmniPower(), WaterMeter(), HeatMeter()], ids=["omnipower", "water", "heat"]
)
def test_every_format_the_sender_makes_parses_back(feed_format: str, meter: OmniPower) -> None:
    telegram = meter.telegram(16.0)
    line = encode(telegram, feed_format, mode=meter.radio_mode, rssi_dbm=-83.0)  # type: ignore[arg-type]
    (result,) = parse_line(line)
    assert getattr(result, "telegram", result) == telegram
    if feed_format == "esphome":
        assert getattr(result, "rssi_dbm", None) == -83.0


def test_a_hex_line_with_block_crcs_from_the_sender_parses_back() -> None:
    (result,) = parse_line(block_crc_hex(TELEGRAMS[0]))
    assert getattr(result, "telegram", result) == TELEGRAMS[0]


def test_network_radios_are_built_by_name_and_never_probed() -> None:
    assert set(NETWORK_RADIOS).isdisjoint(radio_kinds())
    for name in NETWORK_RADIOS:
        assert radio_kind(name).usb == ()
    assert isinstance(build_radio("udp", "9011"), UdpFeedRadio)
    assert isinstance(build_radio("tcp", "tcp://127.0.0.1:9022"), TcpFeedRadio)
    assert isinstance(build_radio("mqtt", "wmbus/+/raw"), FeedRadio)
    with pytest.raises(ValueError, match="not a udp port"):
        build_radio("udp", "nine")
    with pytest.raises(ValueError, match="0 to 65535"):
        parse_listen_address("70000", "tcp")
    assert parse_listen_address("[::1]:9011", "udp") == ("::1", 9011)
    # What the owner passes every radio is taken; a misspelt option is not.
    build_radio("udp", "9011", reconnect_max_delay_s=60.0, open_serial=None)
    with pytest.raises(TypeError, match="quiet_after"):
        build_radio("udp", "9011", quiet_after=5.0)


async def test_detect_radio_never_tries_a_network_receiver() -> None:
    with pytest.raises(NoRadioFound) as info:
        await detect_radio("/nonexistent/tty", only=NETWORK_RADIOS)
    assert info.value.attempts == {}


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize("per_frame", [True, False], ids=["esphome-per-frame", "one-connection"])
async def test_tcp_listener_hears_every_client(per_frame: bool) -> None:
    frames: list[RadioFrame] = []
    radio = TcpFeedRadio(f"{HOST}:0", on_frame=frames.append)
    await radio.open()
    try:
        assert radio.state is RadioState.CONNECTED
        assert radio.identity is not None
        assert radio.identity.as_dict()["listen"] == f"{HOST}:{radio.port}"
        senders = [TcpSender(HOST, radio.port, per_frame=per_frame) for _ in range(3)]
        for index, sender in enumerate(senders):
            await send_telegrams(sender, TELEGRAMS, ("hex", "rtl_wmbus", "esphome")[index])
        await _until(lambda: len(frames) == 3 * len(TELEGRAMS))
        for sender in senders:
            await sender.close()
        assert sorted(f.telegram for f in frames) == sorted(TELEGRAMS * 3)
        assert {f.receiver for f in frames} == {f"tcp:{radio.port}/{HOST}"}
        assert {f.rssi_dbm for f in frames} == {None, -70.0}  # only ESPHome's line has dBm
        assert radio.counters["frames_received"] == 15
    finally:
        await radio.close()
    assert radio.state.value == "closed"
    assert not radio.clients


@pytest.mark.usefixtures("socket_enabled")
async def test_tcp_frame_without_newline_counts_when_the_client_closes() -> None:
    frames: list[RadioFrame] = []
    radio = TcpFeedRadio(f"{HOST}:0", on_frame=frames.append)
    await radio.open()
    try:
        sender = TcpSender(HOST, radio.port, per_frame=True)
        await sender.send(TELEGRAMS[0].hex(), newline=False)
        await sender.send("no telegram here", newline=False)
        await sender.send("A" * 10_000)
        await _until(lambda: radio.counters.get("dropped_too_long") == 1)
        assert [f.telegram for f in frames] == [TELEGRAMS[0]]
        assert radio.counters["dropped_unknown_format"] == 1
    finally:
        await radio.close()


@pytest.mark.usefixtures("socket_enabled")
async def test_tcp_listener_on_a_taken_port_says_so() -> None:
    first = TcpFeedRadio(f"{HOST}:0")
    await first.open()
    try:
        second = TcpFeedRadio(f"{HOST}:{first.port}")
        with pytest.raises(RadioError, match="cannot listen"):
            await second.open()
        assert second.state is RadioState.CLOSED
    finally:
        await first.close()


@pytest.mark.usefixtures("socket_enabled")
async def test_udp_listener_takes_datagrams_of_one_or_more_lines(
    caplog: pytest.LogCaptureFixture,
) -> None:
    radio = UdpFeedRadio(f"{HOST}:0")
    await radio.open()
    frames: list[RadioFrame] = []

    async def collect() -> None:
        async for frame in radio.frames():
            frames.append(frame)

    collector = asyncio.create_task(collect())
    await asyncio.sleep(0)
    try:
        sender = UdpSender(HOST, radio.port)
        with caplog.at_level(logging.DEBUG):
            await send_telegrams(sender, TELEGRAMS, "esphome", rssi_dbm=-77.0)
            lines = "\n".join(encode(t, "rtl_wmbus") for t in TELEGRAMS[:2])
            await sender.send(lines)
            await sender.send("X1;0;0;2019-02-09 07:14:18.000;22;22;00000000;0x1234")
            for _ in range(20):
                await sender.send("\x00\xff garbage")
            await _until(lambda: radio.counters.get("dropped_unknown_format") == 20)
        await sender.close()
        await _until(lambda: len(frames) == 7)
        assert [f.telegram for f in frames] == TELEGRAMS + TELEGRAMS[:2]
        assert [f.rssi_dbm for f in frames] == [-77.0] * 5 + [None, None]
        assert {f.receiver for f in frames} == {f"udp:{radio.port}/{HOST}"}
        assert radio.counters["dropped_crc_failed"] == 1
        # Not a log line per message.
        assert not [r for r in caplog.records if r.name.startswith("custom_components")]
    finally:
        await radio.close()
        await asyncio.wait_for(collector, 2)


async def test_mqtt_feed_names_each_topic_and_counts_what_it_drops() -> None:
    frames: list[RadioFrame] = []
    radio = FeedRadio("gateways/+/raw", on_frame=frames.append)
    radio.feed("gateways/cellar/raw", TELEGRAMS[0].hex())  # before open(): not listening
    await radio.open()
    try:
        radio.feed("gateways/cellar/raw", TELEGRAMS[0].hex().encode())
        radio.feed("gateways/attic/raw", encode(TELEGRAMS[1], "rtl_433"))
        radio.feed("gateways/attic/raw", '{"model": "Acurite-Tower", "id": 5}')
        radio.feed("gateways/attic/raw", b"")
        assert [(f.telegram, f.receiver) for f in frames] == [
            (TELEGRAMS[0], "mqtt:gateways/cellar/raw"),
            (TELEGRAMS[1], "mqtt:gateways/attic/raw"),
        ]
        assert radio.receiver == "mqtt:gateways/+/raw"
        counters = radio.counters
        assert counters["dropped_closed"] == 1
        assert counters["dropped_other_device"] == 1
        assert counters["dropped_empty"] == 1
        assert counters["messages"] == 4
    finally:
        await radio.close()


async def test_a_quiet_feed_is_reported_once_and_cleared_by_the_next_telegram() -> None:
    reports: list[bool] = []
    radio = FeedRadio("t", on_quiet=reports.append, quiet_after_s=0.2)
    await radio.open()
    try:
        await asyncio.sleep(0.4)
        assert reports == []  # never heard anything: maybe no meter near, not quiet
        radio.feed("t", TELEGRAMS[0].hex())
        await _until(lambda: reports == [True])
        assert radio.quiet
        await asyncio.sleep(0.5)
        assert reports == [True]
        radio.feed("t", TELEGRAMS[1].hex())
        assert reports == [True, False]
        assert not radio.quiet
        await _until(lambda: reports == [True, False, True])
        assert radio.counters["quiet_reports"] == 2
    finally:
        await radio.close()


@pytest.mark.usefixtures("socket_enabled")
async def test_a_silent_tcp_client_is_disconnected_after_the_idle_time() -> None:
    radio = TcpFeedRadio(f"{HOST}:0", idle_timeout_s=0.2)
    await radio.open()
    try:
        reader, writer = await asyncio.open_connection(HOST, radio.port)
        await _until(lambda: len(radio.clients) == 1)
        async with asyncio.timeout(5):
            assert await reader.read() == b""  # closed by the listener
        writer.close()
        assert radio.counters["tcp_idle_disconnects"] == 1
        await _until(lambda: not radio.clients)
    finally:
        await radio.close()


@pytest.mark.usefixtures("socket_enabled")
async def test_feed_sender_command_line_sends_the_simulated_meters() -> None:
    frames: list[RadioFrame] = []
    radio = UdpFeedRadio(f"{HOST}:0", on_frame=frames.append)
    await radio.open()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "tools.feed_sender", "--udp", f"{HOST}:{radio.port}"),
            *("--format", "esphome", "--count", "3", "--interval", "0.05", "--rssi", "-88"),
            cwd=REPO_ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        stdout, _ = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0
        assert json.loads(stdout) == {"sent": 3}
        await _until(lambda: len(frames) == 3)
        ids = {frame.telegram[7:3:-1].hex() for frame in frames}
        assert ids == {"32666857", "41290001", "41290002"}
        assert {frame.rssi_dbm for frame in frames} == {-88.0}
    finally:
        await radio.close()
