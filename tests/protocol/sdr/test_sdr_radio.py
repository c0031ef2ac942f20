"""The SDR radio against the rtl_tcp emulator on loopback: frames, threads, outages, drops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import importlib.util
import time

import pytest

from custom_components.wmbus.protocol.radios import (
    LinkMode,
    NotThisRadio,
    Radio,
    RadioError,
    RadioFrame,
    RadioState,
    build_radio,
)
from custom_components.wmbus.protocol.radios.sdr import rtl_tcp
from custom_components.wmbus.protocol.radios.sdr.demod import DemodulatedFrame, Demodulator
from custom_components.wmbus.protocol.radios.sdr.radio import SdrRadio
from tools.rtl_tcp_emulator import RtlTcpEmulator, SynthesisedAir
from tools.simulated_meters import OmniPower, WaterMeter

pytestmark = pytest.mark.usefixtures("socket_enabled")

FAST = {"reconnect_initial_delay_s": 0.05, "reconnect_max_delay_s": 0.2, "stall_timeout_s": 1.0}


@pytest.fixture
async def emulator() -> AsyncIterator[RtlTcpEmulator]:
    air = SynthesisedAir(
        meters=[OmniPower(interval_s=0.4), WaterMeter(interval_s=0.5)], first_after_s=0.05
    )
    async with RtlTcpEmulator(air) as server:
        yield server


async def frames_of(radio: Radio, count: int, timeout_s: float = 10.0) -> list[RadioFrame]:
    got: list[RadioFrame] = []
    async with asyncio.timeout(timeout_s):
        async for frame in radio.frames():
            got.append(frame)
            if len(got) == count:
                break
    return got


async def wait_for(predicate: object, timeout_s: float = 10.0) -> None:
    assert callable(predicate)
    async with asyncio.timeout(timeout_s):
        while not predicate():  # noqa: ASYNC110 - the radio has no event for each of these
            await asyncio.sleep(0.02)


async def test_frames_with_good_crcs_from_rtl_tcp(emulator: RtlTcpEmulator) -> None:
    radio = build_radio("rtl_tcp", emulator.address, **FAST)
    assert isinstance(radio, SdrRadio)
    await radio.open()
    try:
        frames = await frames_of(radio, 4)
    finally:
        await radio.close()
    assert isinstance(emulator.air, SynthesisedAir)
    sent = set(emulator.air.sent)
    assert all(frame.telegram in sent for frame in frames)  # nothing made up
    assert {frame.telegram[7:3:-1].hex() for frame in frames} == {"32666857", "41290001"}
    for frame in frames:
        assert frame.receiver == emulator.address
        assert frame.rssi_dbm is not None
        assert -30 < frame.rssi_dbm < 0  # dBFS: below the dongle's full scale
    assert radio.identity is not None
    assert (radio.identity.maker, radio.identity.details["tuner"]) == ("Realtek", "R820T")
    # The tuning went out as rtl_tcp commands, and the emulator honoured them.
    commands = dict(emulator.commands)
    assert commands[rtl_tcp.Command.SET_SAMPLE_RATE] == 1_600_000
    assert commands[rtl_tcp.Command.SET_FREQUENCY] == 868_950_000
    assert commands[rtl_tcp.Command.SET_GAIN_MODE] == 0  # automatic gain by default
    assert radio.counters["frames_received"] >= 4
    assert radio.state is RadioState.CLOSED


async def test_tuned_to_868_625_with_a_manual_gain(emulator: RtlTcpEmulator) -> None:
    radio = build_radio(
        "rtl_tcp", emulator.address, center_hz=868.625e6, sample_rate=2.4e6, gain_db=40.2, ppm=-3
    )
    await radio.open()
    try:
        (frame,) = await frames_of(radio, 1)
    finally:
        await radio.close()
    assert isinstance(emulator.air, SynthesisedAir)
    assert frame.telegram in set(emulator.air.sent)
    assert (emulator.sample_rate, emulator.center_hz) == (2.4e6, 868.625e6)
    commands = dict(emulator.commands)
    assert commands[rtl_tcp.Command.SET_GAIN_MODE] == 1
    assert commands[rtl_tcp.Command.SET_GAIN] == 402
    assert rtl_tcp.signed(commands[rtl_tcp.Command.SET_FREQ_CORRECTION]) == -3


class SlowDemodulator(Demodulator):
    """Takes ``delay_s`` of wall time per block, as a Raspberry Pi under load might."""

    delay_s = 0.25

    def feed(self, samples: bytes | bytearray | memoryview) -> list[DemodulatedFrame]:  # type: ignore[override]
        time.sleep(self.delay_s)  # blocks the worker thread, never the loop
        return super().feed(samples)


async def test_the_worker_never_blocks_the_loop(emulator: RtlTcpEmulator) -> None:
    """A demodulator taking 250 ms a block: the loop still ticks every 10 ms (lag < 100 ms)."""
    radio = build_radio("rtl_tcp", emulator.address, demodulator_factory=SlowDemodulator, **FAST)
    await radio.open()
    worst = 0.0
    try:
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            worst = max(worst, time.monotonic() - before - 0.01)
    finally:
        await radio.close()
    assert worst < 0.1, f"the event loop stalled {worst * 1000:.0f} ms"


async def test_blocks_are_dropped_whole_when_the_worker_falls_behind(
    emulator: RtlTcpEmulator,
) -> None:
    radio = build_radio(
        "rtl_tcp", emulator.address, demodulator_factory=SlowDemodulator, queue_blocks=2, **FAST
    )
    await radio.open()
    try:
        await wait_for(lambda: radio.counters.get("blocks_dropped", 0) >= 2)
        assert radio.state is RadioState.CONNECTED
    finally:
        await radio.close()
    assert isinstance(radio, SdrRadio)
    counters = radio.counters
    assert counters["samples_dropped"] == counters["blocks_dropped"] * radio.block_bytes // 2


async def test_fast_enough_it_drops_nothing(emulator: RtlTcpEmulator) -> None:
    radio = build_radio("rtl_tcp", emulator.address, **FAST)
    await radio.open()
    try:
        await frames_of(radio, 3)
    finally:
        await radio.close()
    assert radio.counters.get("blocks_dropped", 0) == 0


async def test_server_gone_then_back(emulator: RtlTcpEmulator) -> None:
    states: list[RadioState] = []
    radio = build_radio("rtl_tcp", emulator.address, on_state=states.append, **FAST)
    await radio.open()
    try:
        await frames_of(radio, 1)
        await emulator.stop()
        await wait_for(lambda: radio.state is RadioState.DISCONNECTED)
        await asyncio.sleep(0.3)  # a few refused reconnects: still one DISCONNECTED
        await emulator.start()
        await wait_for(lambda: radio.state is RadioState.CONNECTED)
        (frame,) = await frames_of(radio, 1)
    finally:
        await radio.close()
    assert states == [
        RadioState.CONNECTING,
        RadioState.CONNECTED,
        RadioState.DISCONNECTED,
        RadioState.CONNECTED,
        RadioState.CLOSED,
    ]
    assert radio.counters["reconnects"] == 1
    assert emulator.clients_served == 2
    assert isinstance(emulator.air, SynthesisedAir)
    assert frame.telegram in set(emulator.air.sent)


async def test_a_server_that_sends_no_samples_counts_as_lost() -> None:
    """rtl_tcp hung (connected, silent): after stall_timeout_s the radio reconnects."""
    async with RtlTcpEmulator(SynthesisedAir()) as server:
        states: list[RadioState] = []
        radio = build_radio(
            "rtl_tcp", server.address, on_state=states.append, **{**FAST, "stall_timeout_s": 0.3}
        )
        await radio.open()
        try:
            server.sending = False
            await wait_for(lambda: RadioState.DISCONNECTED in states, timeout_s=3.0)
            server.sending = True
            await wait_for(lambda: radio.state is RadioState.CONNECTED)
        finally:
            await radio.close()


async def test_not_an_rtl_tcp_server_is_a_clear_error() -> None:
    async with RtlTcpEmulator(SynthesisedAir(), header=b"HTTP/1.1 400") as server:
        radio = build_radio("rtl_tcp", server.address, response_timeout_s=1.0)
        with pytest.raises(NotThisRadio, match="no rtl_tcp header"):
            await radio.open()
        assert radio.state is RadioState.CLOSED


async def test_nothing_listening_raises_oserror() -> None:
    async with RtlTcpEmulator(SynthesisedAir()) as server:
        address = server.address
    radio = build_radio("rtl_tcp", address)
    with pytest.raises(ConnectionRefusedError):
        await radio.open()


def test_what_an_sdr_cannot_do_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="cannot listen in link mode c1a"):
        build_radio("rtl_tcp", "rtl_tcp://h:1", link_mode=LinkMode.C1a)
    with pytest.raises(ValueError, match="too low"):
        build_radio("rtl_tcp", "rtl_tcp://h:1", sample_rate=250e3)
    with pytest.raises(ValueError, match="not an rtl_tcp address"):
        build_radio("rtl_tcp", "/dev/ttyUSB0")
    with pytest.raises(ValueError, match="not an RTL-SDR"):
        build_radio("rtlsdr", "/dev/ttyUSB0")


@pytest.mark.skipif(
    importlib.util.find_spec("rtlsdr") is not None, reason="pyrtlsdr is installed here"
)
async def test_a_local_dongle_without_pyrtlsdr_says_what_to_install() -> None:
    radio = build_radio("rtlsdr", "rtlsdr://0")
    with pytest.raises(RadioError, match="pip install pyrtlsdr pyrtlsdrlib"):
        await radio.open()
    assert radio.state is RadioState.CLOSED
