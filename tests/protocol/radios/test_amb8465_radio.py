"""The AMB8465 driver on a real pty against the emulator, in both output modes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from pathlib import Path

import pytest

from custom_components.wmbus.protocol.radios import (
    LinkMode,
    NotThisRadio,
    RadioFrame,
    RadioState,
    detect_radio,
    identify,
)
from custom_components.wmbus.protocol.radios.amb8465 import (
    STALE_PARTIAL_S,
    Command,
    rssi_to_dbm,
)
from custom_components.wmbus.protocol.radios.amb8465.radio import Amb8465Radio
from tests.helpers import wait_until
from tests.protocol.conftest import VECTORS
from tools.emulators.amb8465 import Amb8465Emulator, HostRequest, minimal_reader

TELEGRAM = bytes.fromhex(next(v["telegram_hex"] for v in VECTORS if "telegram_hex" in v))
TIMEOUT_S = 0.5
RSSI_DBM = -52.5  # raw 43: a value the stick's half-dB steps can carry exactly


@pytest.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[Amb8465Emulator]:
    # In T1 from power-up (0x08), so that every test sees the driver set C1T1 (0x09).
    running = Amb8465Emulator(tmp_path / "amb8465", rssi_dbm=RSSI_DBM, nvm_mode=0x08)
    async with running:
        yield running


def make_radio(emulator: Amb8465Emulator, **kwargs: object) -> Amb8465Radio:
    options: dict[str, object] = {
        "response_timeout_s": TIMEOUT_S,
        "reconnect_initial_delay_s": 0.05,
        "reconnect_max_delay_s": 0.2,
        "restart_settle_s": 0.2,
        "drain_s": 0.05,
    }
    options.update(kwargs)
    return Amb8465Radio(str(emulator.link), **options)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def opened(radio: Amb8465Radio) -> AsyncIterator[Amb8465Radio]:
    await radio.open()
    try:
        yield radio
    finally:
        await radio.close()


def commands_sent(emulator: Amb8465Emulator) -> list[int]:
    return [request.command for request in emulator.requests]


async def test_transparent_stick_identity_mode_and_telegrams(emulator: Amb8465Emulator) -> None:
    received: list[RadioFrame] = []
    states: list[RadioState] = []
    radio = make_radio(emulator, on_frame=received.append, on_state=states.append)
    async with opened(radio):
        identity = radio.identity
        assert identity is not None
        assert identity.radio == "amb8465"
        assert identity.model == "AMB8465"
        assert identity.firmware == "1.0.5"
        assert identity.serial_number == "2a01c30c"
        assert identity.details == {"command_output": False, "rssi_enabled": False}
        assert radio.link_mode is LinkMode.C1T1
        assert radio.mode_set is LinkMode.C1T1
        assert emulator.mode == 0x09
        assert commands_sent(emulator) == [
            Command.GET,
            Command.SERIALNO,
            Command.FWV,
            Command.SET_MODE,
        ]
        assert emulator.requests[0] == HostRequest(Command.GET, bytes((0x00, 0x80)))
        assert emulator.requests[3] == HostRequest(Command.SET_MODE, b"\x09")
        assert emulator.nvm_writes == []

        assert emulator.send_telegram(TELEGRAM, "c")
        assert emulator.send_telegram(TELEGRAM, "t")
        await wait_until(lambda: len(received) == 2)
    assert [frame.telegram for frame in received] == [TELEGRAM, TELEGRAM]
    # Transparent telegrams carry the RSSI byte although parameter 0x45 is 0 (#336, #1049).
    assert [frame.rssi_dbm for frame in received] == [RSSI_DBM, RSSI_DBM]
    assert received[0].receiver == str(emulator.link)
    assert states == [RadioState.CONNECTING, RadioState.CONNECTED, RadioState.CLOSED]


@pytest.mark.parametrize("rssi_enable", [True, False])
async def test_command_mode_stick_sends_data_ind(tmp_path: Path, rssi_enable: bool) -> None:
    emulator = Amb8465Emulator(
        tmp_path / "amb8465", rssi_dbm=-80.0, command_mode=True, rssi_enable=rssi_enable
    )
    async with emulator:
        radio = make_radio(emulator)
        frames = radio.frames()
        async with opened(radio):
            assert radio.identity is not None
            assert radio.identity.details == {
                "command_output": True,
                "rssi_enabled": rssi_enable,
            }
            assert emulator.send_telegram(TELEGRAM, "c")
            frame = await asyncio.wait_for(anext(frames), 2.0)
        assert frame.telegram == TELEGRAM
        assert frame.rssi_dbm == (-80.0 if rssi_enable else None)
        assert emulator.nvm_writes == []  # the output mode is read, never changed


async def test_link_mode_chosen_is_set_and_filters(emulator: Amb8465Emulator) -> None:
    received: list[RadioFrame] = []
    async with opened(make_radio(emulator, link_mode=LinkMode.T1, on_frame=received.append)):
        assert emulator.requests[-1] == HostRequest(Command.SET_MODE, b"\x08")
        assert not emulator.send_telegram(TELEGRAM, "c")
        assert emulator.send_telegram(TELEGRAM, "t")
        await wait_until(lambda: len(received) == 1)


async def test_stray_byte_before_every_answer(tmp_path: Path) -> None:
    emulator = Amb8465Emulator(tmp_path / "amb8465", stray_byte_every=1)
    async with emulator:
        radio = make_radio(emulator)
        async with opened(radio):
            assert radio.identity is not None
            assert radio.identity.serial_number == "2a01c30c"
            assert radio.mode_set is LinkMode.C1T1
            assert radio.counters["dropped_garbage_bytes"] >= 4


async def test_answers_in_chunks(tmp_path: Path) -> None:
    emulator = Amb8465Emulator(tmp_path / "amb8465", chunk_bytes=7)
    async with emulator:
        radio = make_radio(emulator)
        async with opened(radio):
            assert radio.identity is not None
            assert radio.identity.firmware == "1.0.5"
            assert radio.mode_set is LinkMode.C1T1
            assert not any(
                key.startswith("dropped_") and value for key, value in radio.counters.items()
            )


async def test_telegrams_streaming_during_the_handshake(emulator: Amb8465Emulator) -> None:
    # The stick sends what it hears whether or not anyone listens (wmbusmeters drains first).
    emulator.nvm_mode = emulator.mode = 0x09

    async def stream() -> None:
        while True:
            emulator.send_telegram(TELEGRAM, "c")
            await asyncio.sleep(0.015)

    streaming = asyncio.get_running_loop().create_task(stream())
    received: list[RadioFrame] = []
    try:
        async with opened(make_radio(emulator, on_frame=received.append)) as radio:
            await wait_until(lambda: len(received) >= 3)
            assert radio.mode_set is LinkMode.C1T1
    finally:
        streaming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await streaming
    assert all(frame.telegram == TELEGRAM for frame in received)


async def test_stale_input_is_drained_before_identifying(emulator: Amb8465Emulator) -> None:
    # A telegram's tail and a false start left in the port when it is opened.
    radio = make_radio(emulator, drain_s=0.2)
    emulator.nvm_mode = emulator.mode = 0x09

    async def junk_soon() -> None:
        await asyncio.sleep(0.05)
        emulator.inject_garbage(bytes.fromhex("fe 44 00 01 02"))

    task = asyncio.get_running_loop().create_task(junk_soon())
    async with opened(radio):
        await task
        assert radio.counters["drained_bytes"] == 5
        assert radio.identity is not None


async def test_garbage_between_telegrams_is_resynced(emulator: Amb8465Emulator) -> None:
    received: list[RadioFrame] = []
    radio = make_radio(emulator, on_frame=received.append)
    async with opened(radio):
        emulator.inject_garbage(bytes.fromhex("00 01 09 44 0a 00 ff 12 34"))
        emulator.send_telegram(TELEGRAM, "c")
        await wait_until(lambda: len(received) == 1)
        assert radio.counters["dropped_garbage_bytes"] == 9
    assert received[0].telegram == TELEGRAM


async def test_telegram_behind_a_false_start_comes_out_when_it_goes_stale(
    emulator: Amb8465Emulator,
) -> None:
    # "fe 44" reads as the start of a 254-byte telegram: the real one inside it is found
    # once that start is 2 s old, without waiting for another telegram to push it out.
    received: list[RadioFrame] = []
    radio = make_radio(emulator, on_frame=received.append)
    async with opened(radio):
        loop = asyncio.get_running_loop()
        sent_at = loop.time()
        emulator.inject_garbage(bytes.fromhex("fe 44"))
        emulator.send_telegram(TELEGRAM, "c")
        await wait_until(lambda: len(received) == 1, timeout_s=STALE_PARTIAL_S + 1.5)
        # Held back while the false start was fresh, delivered when it went stale.
        assert loop.time() - sent_at >= STALE_PARTIAL_S - 0.5
        assert radio.counters["dropped_stale_partial_transparent"] == 1
    assert received[0].telegram == TELEGRAM


async def test_unplug_replug_sets_the_mode_again(emulator: Amb8465Emulator) -> None:
    states: list[RadioState] = []
    received: list[RadioFrame] = []
    radio = make_radio(emulator, on_state=states.append, on_frame=received.append)
    async with opened(radio):
        assert emulator.mode == 0x09
        await emulator.unplug(0.3)
        assert emulator.mode == 0x08  # RAM lost: the mode of the parameter memory
        await wait_until(lambda: radio.counters.get("reconnects") == 1)
        assert radio.state is RadioState.CONNECTED
        assert emulator.mode == 0x09
        assert radio.mode_set is LinkMode.C1T1
        emulator.send_telegram(TELEGRAM, "c")
        await wait_until(lambda: len(received) == 1)
    assert states[:4] == [
        RadioState.CONNECTING,
        RadioState.CONNECTED,
        RadioState.DISCONNECTED,
        RadioState.CONNECTED,
    ]
    assert emulator.nvm_writes == []


async def test_quiet_restart_resets_and_sets_the_mode_again(emulator: Amb8465Emulator) -> None:
    received: list[RadioFrame] = []
    # The base's watch sleeps until the next health check before it notices the first
    # telegram; a short idle time keeps it awake.
    radio = make_radio(
        emulator, quiet_after_s=0.4, health_check_idle_s=0.1, on_frame=received.append
    )
    async with opened(radio):
        emulator.send_telegram(TELEGRAM, "c")
        await wait_until(lambda: len(received) == 1)
        await wait_until(lambda: radio.counters.get("restarts") == 1)
        assert emulator.resets == 1
        sent = [command for command in commands_sent(emulator) if command != Command.FWV]
        assert sent[sent.index(Command.RESET) :] == [
            Command.RESET,
            Command.GET,
            Command.SERIALNO,
            Command.SET_MODE,
        ]
        assert emulator.mode == 0x09
        assert radio.mode_set is LinkMode.C1T1
        assert radio.state is RadioState.CONNECTED


async def test_health_ping_asks_for_the_firmware(emulator: Amb8465Emulator) -> None:
    radio = make_radio(emulator, health_check_idle_s=0.2)
    async with opened(radio):
        await wait_until(lambda: commands_sent(emulator).count(Command.FWV) >= 3)
        assert radio.counters.get("health_check_failures", 0) == 0
        emulator.stop_answering()
        await wait_until(lambda: radio.counters.get("health_check_failures", 0) >= 1)
        await wait_until(lambda: radio.state is RadioState.DISCONNECTED)
        emulator.stop_answering(silent=False)
        await wait_until(lambda: radio.state is RadioState.CONNECTED)


async def test_amb3665_is_not_this_radio(tmp_path: Path) -> None:
    emulator = Amb8465Emulator(tmp_path / "amb3665", parameter_bytes=128)
    async with emulator:
        with pytest.raises(NotThisRadio, match="AMB3665"):
            await make_radio(emulator).open()
        assert Command.SET_MODE not in commands_sent(emulator)


async def test_probe_identifies_without_setting_a_mode(emulator: Amb8465Emulator) -> None:
    identity = await identify("amb8465", str(emulator.link), drain_s=0.05)
    assert identity.serial_number == "2a01c30c"
    assert Command.SET_MODE not in commands_sent(emulator)
    kind, _ = await detect_radio(str(emulator.link), only=("im871a", "amb8465"), drain_s=0.05)
    assert kind.name == "amb8465"


async def test_no_answer_is_a_timeout(emulator: Amb8465Emulator) -> None:
    emulator.stop_answering()
    radio = make_radio(emulator)
    with pytest.raises(Exception, match="no response to get_parameters"):
        await radio.open()
    assert radio.state is RadioState.CLOSED


def test_minimal_reader_counts_telegrams_in_both_framings() -> None:
    from custom_components.wmbus.protocol.radios.amb8465 import (
        encode_data_ind,
        encode_frame,
        encode_transparent,
    )

    read = minimal_reader()
    stream = encode_transparent(TELEGRAM, 3) + encode_frame(0x84, b"\x00")
    stream += encode_data_ind(TELEGRAM, 3) + b"\x00"
    assert read(stream[:10]) == 0
    assert read(stream[10:]) == 2
    assert rssi_to_dbm(3) == -72.5
