"""The asyncio stick against the emulator on a real pty."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from importlib.metadata import version
import json
import os
from pathlib import Path

import pytest

from custom_components.wmbus.protocol.radios import (
    NotThisRadio,
    RadioDisconnected,
    RadioFrame,
    RadioState,
    RadioTimeout,
    identify,
    im871a as hci,
    serial_radio,
)
from custom_components.wmbus.protocol.radios.im871a.radio import Im871aRadio
from custom_components.wmbus.protocol.radios.serial_port import SerialPortError
from tests.data import OMNIPOWER_PATH
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator
from tools.emulators.telegrams import load_telegrams

TELEGRAMS = load_telegrams(OMNIPOWER_PATH)
OMNIPOWER = bytes.fromhex(
    next(
        v["telegram_hex"]
        for v in json.loads(OMNIPOWER_PATH.read_text())["vectors"]
        if "expected_hci" in v
    )
)
# Sent after the bytes under test: once it arrives, everything before it was read.
MARKER = next(telegram for telegram in TELEGRAMS if telegram != OMNIPOWER)
TIMEOUT_S = 0.3


@pytest.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[Im871aEmulator]:
    async with Im871aEmulator(tmp_path / "im871a", rssi_dbm=-52.5) as running:
        yield running


def make_stick(emulator: Im871aEmulator, **kwargs: object) -> Im871aRadio:
    options: dict[str, object] = {
        "response_timeout_s": TIMEOUT_S,
        "reconnect_initial_delay_s": 0.05,
        "reconnect_max_delay_s": 0.2,
    }
    options.update(kwargs)
    return Im871aRadio(str(emulator.link), **options)


async def test_handshake_sets_link_mode_and_rssi(emulator: Im871aEmulator) -> None:
    states: list[RadioState] = []
    stick = make_stick(emulator, link_mode=hci.LinkMode.C1b, on_state=states.append)
    await stick.open()
    try:
        assert stick.state is RadioState.CONNECTED
        assert stick.device_info is not None
        assert stick.device_info.model == "iM871A"
        assert stick.device_info.firmware == "0x15"
        assert emulator.link_mode is hci.LinkMode.C1b
        assert emulator.rssi_attachment
        assert not emulator.timestamp_attachment
        assert [(r.endpoint, r.msg_id) for r in emulator.requests] == [
            (1, 0x01),
            (1, 0x0F),
            (1, 0x03),
            (1, 0x05),
        ]
        assert emulator.requests[2].raw == hci.set_configuration(hci.LinkMode.C1b).encode()
    finally:
        await stick.close()
    assert states == [RadioState.CONNECTING, RadioState.CONNECTED, RadioState.CLOSED]


async def test_frames_arrive_with_rssi_by_callback_and_iterator(
    emulator: Im871aEmulator,
) -> None:
    received: list[RadioFrame] = []
    stick = make_stick(emulator, on_frame=received.append)
    await stick.open()
    iterator = stick.frames()
    first = asyncio.ensure_future(anext(iterator))
    await asyncio.sleep(0)
    for telegram in TELEGRAMS[:5]:
        assert emulator.send_telegram(telegram)
    await wait_until(lambda: len(received) == 5)
    from_iterator = await first
    await stick.close()
    await iterator.aclose()
    assert [frame.telegram for frame in received] == TELEGRAMS[:5]
    assert from_iterator == received[0]
    assert all(frame.rssi_dbm == pytest.approx(-52.5) for frame in received)
    assert received[0].received_at.tzinfo is not None
    assert stick.counters["frames_received"] == 5


async def test_garbage_and_bit_flips_are_dropped_and_good_frames_still_arrive(
    emulator: Im871aEmulator,
) -> None:
    received: list[RadioFrame] = []
    stick = make_stick(emulator, on_frame=received.append)
    await stick.open()
    try:
        emulator.inject_garbage(b"\x00\x11garbage\xa5\x92\x03")
        emulator.send_telegram(OMNIPOWER)
        emulator.flip_bits(3)
        emulator.send_telegram(OMNIPOWER)
        emulator.inject_garbage(bytes(range(256)))
        for _ in range(3):
            emulator.send_telegram(OMNIPOWER)
        emulator.send_telegram(MARKER)
        await wait_until(lambda: received and received[-1].telegram == MARKER)
        # Nothing of the garbage or the damaged frame came through as a frame of its own.
        assert [frame.telegram for frame in received] == [OMNIPOWER] * 4 + [MARKER]
        counters = stick.counters
        assert counters["dropped_crc_mismatch"] >= 1
        assert counters["dropped_garbage_bytes"] > 0
        assert counters["dropped_bad_header"] >= 1
    finally:
        await stick.close()


async def test_unplug_is_survived_and_frames_resume(emulator: Im871aEmulator) -> None:
    states: list[RadioState] = []
    received: list[RadioFrame] = []
    stick = make_stick(emulator, on_frame=received.append, on_state=states.append)
    await stick.open()
    try:
        emulator.send_telegram(OMNIPOWER)
        await wait_until(lambda: len(received) == 1)
        unplug = asyncio.ensure_future(emulator.unplug(3.0))
        await wait_until(lambda: stick.state is RadioState.DISCONNECTED)
        await unplug
        # The replugged stick forgot its RAM configuration; the handshake must set it again.
        await wait_until(lambda: stick.state is RadioState.CONNECTED)
        assert emulator.rssi_attachment
        emulator.send_telegram(OMNIPOWER)
        await wait_until(lambda: len(received) == 2)
        assert received[1].rssi_dbm == pytest.approx(-52.5)
        assert stick.counters["reconnects"] == 1
        assert states[-3:] == [RadioState.CONNECTED, RadioState.DISCONNECTED, RadioState.CONNECTED]
    finally:
        await stick.close()


async def test_silent_stick_times_out_naming_the_request(emulator: Im871aEmulator) -> None:
    emulator.stop_answering()
    stick = make_stick(emulator)
    with pytest.raises(RadioTimeout, match=r"no response to ping within 0\.3 s"):
        await stick.open()
    assert stick.state is RadioState.CLOSED

    emulator.stop_answering(False)
    await stick.open()
    emulator.stop_answering()
    try:
        with pytest.raises(RadioTimeout, match="no response to get_device_info"):
            await stick.request(hci.get_device_info())
    finally:
        await stick.close()
    with pytest.raises(RadioDisconnected):
        await stick.request(hci.ping())


def _pings(emulator: Im871aEmulator) -> int:
    return sum(request.msg_id == hci.DevMgmtMessage.PING_REQ for request in emulator.requests)


async def test_hung_stick_is_noticed_when_idle_and_reconnected(emulator: Im871aEmulator) -> None:
    states: list[RadioState] = []
    received: list[RadioFrame] = []
    stick = make_stick(
        emulator, on_state=states.append, on_frame=received.append, health_check_idle_s=0.2
    )
    await stick.open()
    try:
        # Idle but answering: pings keep it connected. A ping goes out only after the previous
        # one was answered and the line was idle again, so two more pings prove the answers
        # were handled.
        pings_at_start = _pings(emulator)
        await wait_until(lambda: _pings(emulator) >= pings_at_start + 2)
        assert stick.state is RadioState.CONNECTED
        assert stick.counters.get("health_check_failures", 0) == 0
        emulator.stop_answering()
        await wait_until(lambda: stick.state is RadioState.DISCONNECTED)
        assert stick.counters["health_check_failures"] == 1
        emulator.stop_answering(False)
        await wait_until(lambda: stick.state is RadioState.CONNECTED)
        emulator.send_telegram(OMNIPOWER)
        await wait_until(lambda: len(received) == 1)
        assert states[-3:] == [RadioState.CONNECTED, RadioState.DISCONNECTED, RadioState.CONNECTED]
    finally:
        await stick.close()


async def test_other_module_is_refused(tmp_path: Path) -> None:
    other = hci.DeviceInfo(module_type=0x99, device_mode=0, firmware_version=1)
    async with Im871aEmulator(tmp_path / "other", device_info=other) as emulator:
        with pytest.raises(NotThisRadio, match="unknown module 0x99"):
            await make_stick(emulator).open()
        with pytest.raises(NotThisRadio):
            await identify("im871a", str(emulator.link), timeout_s=TIMEOUT_S)


async def test_probe_reads_device_info_and_leaves_nothing_open(emulator: Im871aEmulator) -> None:
    before = set(os.listdir("/proc/self/fd"))
    info = await identify("im871a", str(emulator.link))
    assert info.model == "iM871A"
    assert info.serial_number == "00c0ffee"
    assert emulator.link_mode is hci.LinkMode.C1a  # probing does not reconfigure
    assert set(os.listdir("/proc/self/fd")) == before


async def test_probe_of_missing_port_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing"):
        await identify("im871a", str(tmp_path / "nothing"))


async def test_probe_of_unknown_url_scheme_raises_an_os_error_naming_the_port() -> None:
    # serialx 1.x raises its own error, wrapped as SerialPortError; 0.6.2 (which the manifest
    # accepts for Home Assistant 2026.2 with ZHA) raises the OS's FileNotFoundError.
    serialx_1 = int(version("serialx").split(".")[0]) >= 1
    with pytest.raises(SerialPortError if serialx_1 else OSError, match=r"nosuch://stick"):
        await identify("im871a", "nosuch://stick")


async def test_close_leaves_no_task_and_no_fd(tmp_path: Path) -> None:
    async with Im871aEmulator(
        tmp_path / "im871a", telegrams=TELEGRAMS, interval_s=0.01
    ) as emulator:
        tasks_before = asyncio.all_tasks()
        fds_before = set(os.listdir("/proc/self/fd"))
        received: list[RadioFrame] = []
        stick = make_stick(emulator, on_frame=received.append)
        await stick.open()
        await wait_until(lambda: len(received) >= 3)
        # Close in the middle of an outage too: the reconnect loop must stop as well.
        await emulator.unplug(0.1)
        await stick.close()
        await stick.close()
        assert stick.state is RadioState.CLOSED
        assert asyncio.all_tasks() == tasks_before
        assert set(os.listdir("/proc/self/fd")) == fds_before


async def test_timestamp_attachment_is_honoured_and_skipped(emulator: Im871aEmulator) -> None:
    received: list[RadioFrame] = []
    stick = make_stick(emulator, on_frame=received.append)
    await stick.open()
    try:
        await stick.request(hci.set_configuration(hci.LinkMode.C1a, timestamp_attachment=True))
        assert emulator.timestamp_attachment
        emulator.send_telegram(OMNIPOWER)
        await wait_until(lambda: len(received) == 1)
        assert received[0].telegram == OMNIPOWER
        assert received[0].rssi_dbm == pytest.approx(-52.5)
    finally:
        await stick.close()


async def test_link_mode_that_misses_c_frames_hears_nothing(emulator: Im871aEmulator) -> None:
    received: list[RadioFrame] = []
    stick = make_stick(emulator, link_mode=hci.LinkMode.T1, on_frame=received.append)
    await stick.open()
    try:
        assert not emulator.send_telegram(OMNIPOWER)
        # A T1 telegram sent afterwards is heard: the C1 one before it was not.
        assert emulator.send_telegram(MARKER, "t")
        await wait_until(lambda: len(received) == 1)
        assert [frame.telegram for frame in received] == [MARKER]
    finally:
        await stick.close()


async def test_a_failing_frame_callback_is_logged_and_the_next_frame_still_delivered(
    emulator: Im871aEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    delivered: list[RadioFrame] = []

    def on_frame(frame: RadioFrame) -> None:
        if not delivered and frame.telegram == OMNIPOWER:
            delivered.append(frame)
            raise RuntimeError("subscriber bug")
        delivered.append(frame)

    stick = make_stick(emulator, on_frame=on_frame)
    await stick.open()
    try:
        emulator.send_telegram(OMNIPOWER)
        emulator.send_telegram(MARKER)
        await wait_until(lambda: len(delivered) == 2)
        assert [frame.telegram for frame in delivered] == [OMNIPOWER, MARKER]
        assert "frame callback failed" in caplog.text
        assert stick.state is RadioState.CONNECTED
    finally:
        await stick.close()


async def test_a_failing_state_callback_is_logged_and_the_stick_still_connects(
    emulator: Im871aEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    def on_state(_state: RadioState) -> None:
        raise RuntimeError("subscriber bug")

    stick = make_stick(emulator, on_state=on_state)
    await stick.open()
    try:
        assert stick.state is RadioState.CONNECTED
        assert "state callback failed" in caplog.text
    finally:
        await stick.close()


async def test_a_slow_iterator_loses_the_oldest_frames_and_they_are_counted(
    emulator: Im871aEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serial_radio, "FRAME_QUEUE_SIZE", 2)
    received: list[RadioFrame] = []
    stick = make_stick(emulator, on_frame=received.append)
    await stick.open()
    iterator = stick.frames()
    first = asyncio.ensure_future(anext(iterator))
    try:
        await wait_until(lambda: bool(stick._queues))  # the iterator is listening
        for telegram in TELEGRAMS[:5]:
            emulator.send_telegram(telegram)
        await wait_until(lambda: len(received) == 5)
        # A queue of two: the oldest frames made way for newer ones, each loss counted, the
        # order of the rest kept and the newest never lost.
        dropped = stick.counters["frames_dropped_slow_consumer"]
        assert dropped >= 2
        got = [(await first).telegram]
        while len(got) + dropped < 5:
            got.append((await anext(iterator)).telegram)
        assert got == [telegram for telegram in TELEGRAMS[:5] if telegram in got]
        assert got[-1] == TELEGRAMS[4]
    finally:
        await stick.close()
        await iterator.aclose()


async def test_an_answer_nobody_waits_for_is_counted(emulator: Im871aEmulator) -> None:
    stick = make_stick(emulator)
    await stick.open()
    try:
        emulator.inject_garbage(
            hci.encode_frame(hci.Endpoint.DEVMGMT, hci.DevMgmtMessage.PING_RSP, with_crc=True)
        )
        await wait_until(lambda: stick.counters.get("unexpected_frames", 0) == 1)
        await stick.request(hci.ping())  # and a real request is still answered
    finally:
        await stick.close()
