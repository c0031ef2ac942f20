"""The iU891A-XL driver against its emulator on a real pty."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from custom_components.wmbus.protocol.radios import (
    LinkMode,
    NotThisRadio,
    RadioFrame,
    RadioState,
    RadioTimeout,
    build_radio,
)
from custom_components.wmbus.protocol.radios.iu891a import (
    ActiveConfiguration,
    Command,
    ConfigurationNotApplied,
    DeviceInfo,
    DevMgmtMessage,
    ModuleType,
    NotSupported,
    Sap,
    WmbusGwMessage,
    encode_frame,
    encode_rx_indication,
    ping,
)
from custom_components.wmbus.protocol.radios.iu891a.radio import Iu891aRadio
from tests.helpers import wait_until
from tools.emulators.iu891a import Iu891aEmulator, Request, minimal_reader

# wmbusmeters src/wmbus_iu891a.cc, extractFrame comment: a T1 telegram, DLL CRCs removed.
TELEGRAM = bytes.fromhex("1844ae4c4455223368077a55000000041389e20100023b0000")
# A telegram whose bytes need escaping: c0 and db inside, CRCs removed, L counting the rest.
ESCAPED_TELEGRAM = bytes.fromhex("1344c0dbdbc0dcdd112233c0db4455660102c0db")
TIMEOUT_S = 0.3


@pytest.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[Iu891aEmulator]:
    async with Iu891aEmulator(tmp_path / "iu891a", rssi_dbm=-72.0) as running:
        yield running


def make_radio(emulator: Iu891aEmulator, **kwargs: Any) -> Iu891aRadio:
    options: dict[str, Any] = {
        "response_timeout_s": TIMEOUT_S,
        "reconnect_initial_delay_s": 0.05,
        "reconnect_max_delay_s": 0.2,
    }
    options.update(kwargs)
    radio = build_radio("iu891a", str(emulator.link), **options)
    assert isinstance(radio, Iu891aRadio)
    return radio


async def test_handshake_identifies_and_sets_the_active_configuration(
    emulator: Iu891aEmulator,
) -> None:
    radio = make_radio(emulator, link_mode=LinkMode.T1)
    await radio.open()
    try:
        identity = radio.identity
        assert identity is not None
        assert identity.radio == "iu891a"
        assert identity.maker == "IMST"
        assert identity.model == "iU891A-XL"
        assert identity.serial_number == "00202034"
        assert identity.firmware == "1.0 (14.11.2024)"
        assert identity.details["module_type"] == ModuleType.IU891A_XL
        assert identity.details["firmware_name"] == "WMBusGateway"
        assert emulator.link_mode is LinkMode.T1
        assert emulator.configuration == ActiveConfiguration.for_host(LinkMode.T1)
        assert radio.configuration == emulator.configuration
        assert emulator.configuration.encode().hex() == "020e0005003200a0bb0d00"
        # Volatile only: the default (NVM) configuration is never written.
        assert emulator.nvm_writes == 0
        assert [(r.sap, r.msg_id) for r in emulator.requests] == [
            (1, 0x01),  # ping
            (1, 0x03),  # device info
            (1, 0x05),  # firmware info
            (9, 0x03),  # set active configuration
            (9, 0x01),  # read it back
        ]
        assert radio.diagnostics()["active_configuration"]["led_time_ms"] == 50
    finally:
        await radio.close()


async def test_telegrams_arrive_with_rssi_and_host_time(emulator: Iu891aEmulator) -> None:
    received: list[RadioFrame] = []
    radio = make_radio(emulator, on_frame=received.append)
    await radio.open()
    try:
        frames = radio.frames()
        before = datetime.now(UTC)
        assert emulator.send_telegram(TELEGRAM, "t")
        frame = await asyncio.wait_for(anext(frames), 2.0)
        assert frame.telegram == TELEGRAM
        assert frame.rssi_dbm == -72
        assert frame.receiver == str(emulator.link)
        # The stick's clock says 2000-01-01; the reception time is the host's.
        assert before - timedelta(seconds=1) <= frame.received_at <= datetime.now(UTC)
        assert received == [frame]
        assert radio.diagnostics()["last_telegram"]["stick_time"].startswith("2000-01-01")
        await frames.aclose()
    finally:
        await radio.close()


async def test_link_mode_is_honoured(emulator: Iu891aEmulator) -> None:
    received: list[RadioFrame] = []
    radio = make_radio(emulator, link_mode=LinkMode.C1, on_frame=received.append)
    await radio.open()
    try:
        assert emulator.link_mode is LinkMode.C1
        assert not emulator.send_telegram(TELEGRAM, "t")
        assert emulator.send_telegram(TELEGRAM, "c")
        await wait_until(lambda: len(received) == 1)
    finally:
        await radio.close()


async def test_s_mode_hears_neither_c_nor_t(emulator: Iu891aEmulator) -> None:
    radio = make_radio(emulator, link_mode=LinkMode.S1)
    await radio.open()
    try:
        assert emulator.link_mode is LinkMode.S1
        assert not emulator.send_telegram(TELEGRAM, "c")
        assert not emulator.send_telegram(TELEGRAM, "t")
        assert emulator.send_telegram(TELEGRAM, "any")
    finally:
        await radio.close()


async def test_escaped_bytes_inside_a_telegram_survive(emulator: Iu891aEmulator) -> None:
    received: list[RadioFrame] = []
    radio = make_radio(emulator, on_frame=received.append)
    await radio.open()
    try:
        emulator.rssi_dbm = -100.0
        assert emulator.send_telegram(ESCAPED_TELEGRAM, "c")
        await wait_until(lambda: len(received) == 1)
        assert received[0].telegram == ESCAPED_TELEGRAM
        assert received[0].rssi_dbm == -100
    finally:
        await radio.close()


async def test_garbage_between_frames_is_dropped_and_counted(emulator: Iu891aEmulator) -> None:
    received: list[RadioFrame] = []
    radio = make_radio(emulator, on_frame=received.append)
    await radio.open()
    try:
        emulator.inject_garbage(b"\x00\x11garbage\xdb\x92\xc0\x55")
        emulator.send_telegram(TELEGRAM, "c")
        emulator.flip_bits(3)
        emulator.send_telegram(TELEGRAM, "c")
        emulator.inject_garbage(bytes(range(256)))
        emulator.send_telegram(TELEGRAM, "c")
        # A last, different telegram: once it is in, everything sent before it was read.
        emulator.send_telegram(ESCAPED_TELEGRAM, "c")
        await wait_until(lambda: received and received[-1].telegram == ESCAPED_TELEGRAM)
        assert [frame.telegram for frame in received] == [TELEGRAM, TELEGRAM, ESCAPED_TELEGRAM]
        counters = radio.counters
        dropped = sum(count for name, count in counters.items() if name.startswith("dropped_"))
        assert dropped >= 3
        assert counters["frames_received"] == 3
    finally:
        await radio.close()


class ChattyEmulator(Iu891aEmulator):
    """Hears a telegram just before it answers each request: answers arrive amid telegrams."""

    def _answer(self, request: Request) -> None:
        self.send_telegram(TELEGRAM, "c")
        super()._answer(request)


async def test_answers_amid_telegrams_and_telegrams_while_opening_are_delivered(
    tmp_path: Path,
) -> None:
    async with ChattyEmulator(tmp_path / "iu891a") as emulator:
        received: list[RadioFrame] = []
        radio = make_radio(emulator, link_mode=LinkMode.C1, on_frame=received.append)
        await radio.open()
        try:
            assert emulator.link_mode is LinkMode.C1
            # One telegram before each of the five answers, all while opening: every one is
            # delivered (nothing heard is lost), and every answer was still found among them.
            await wait_until(lambda: len(received) == 5)
            assert "telegrams_while_probing" not in radio.counters
            await radio.request(ping())
            await wait_until(lambda: len(received) == 6)
        finally:
            await radio.close()


async def test_a_stick_streaming_at_the_line_rate_before_the_port_opens(tmp_path: Path) -> None:
    # Its NVM has RX indications on: telegrams flow back to back before any request.
    async with Iu891aEmulator(
        tmp_path / "iu891a",
        telegrams=[TELEGRAM, ESCAPED_TELEGRAM],
        interval_s=0.0,
        replay_radio="any",
    ) as emulator:
        await asyncio.sleep(0.1)
        received: list[RadioFrame] = []
        radio = make_radio(emulator, link_mode=LinkMode.C1, on_frame=received.append)
        await radio.open()
        try:
            assert emulator.link_mode is LinkMode.C1
            await wait_until(lambda: len(received) >= 10)
            assert {frame.telegram for frame in received} <= {TELEGRAM, ESCAPED_TELEGRAM}
            assert radio.counters.get("telegrams_bad_l_field", 0) == 0
        finally:
            await radio.close()


async def test_probe_changes_nothing(emulator: Iu891aEmulator) -> None:
    radio = make_radio(emulator)
    identity = await radio.identify_only()
    assert identity.model == "iU891A-XL"
    assert emulator.configuration == emulator.nvm_configuration
    assert all(r.sap == Sap.DEVMGMT for r in emulator.requests)


async def test_another_imst_module_is_not_this_radio(tmp_path: Path) -> None:
    lora = DeviceInfo(module_type=0x68, uid=1)
    async with Iu891aEmulator(tmp_path / "iu880b", device_info=lora) as emulator:
        with pytest.raises(NotThisRadio, match="unknown module 0x68"):
            await make_radio(emulator).identify_only()


@pytest.mark.parametrize("module_type", list(ModuleType))
async def test_every_module_of_the_family_is_accepted(
    tmp_path: Path, module_type: ModuleType
) -> None:
    info = DeviceInfo(module_type=module_type, uid=0xABCDEF01)
    async with Iu891aEmulator(tmp_path / "module", device_info=info) as emulator:
        identity = await make_radio(emulator).identify_only()
        assert identity.serial_number == "abcdef01"


async def test_unknown_command_is_a_typed_not_supported(emulator: Iu891aEmulator) -> None:
    radio = make_radio(emulator)
    await radio.open()
    try:
        with pytest.raises(NotSupported, match="status 2"):
            await radio.request(Command("get_system_options", Sap.DEVMGMT, 0xF9))
        with pytest.raises(NotSupported):
            await radio.request(Command("scan", Sap.WMBUSGW, WmbusGwMessage.SCAN_MODE_PACKET_IND))
    finally:
        await radio.close()


async def test_a_silent_port_fails_after_one_ping(tmp_path: Path) -> None:
    async with Iu891aEmulator(tmp_path / "iu891a", streaming_at_power_up=False) as emulator:
        emulator.stop_answering()
        radio = make_radio(emulator)
        with pytest.raises(RadioTimeout, match="no response to ping"):
            await radio.open()
        assert radio.state is RadioState.CLOSED
        # Nothing came back at all: no point in asking again.
        assert len(emulator.requests) == 1


async def test_a_streaming_stick_that_does_not_answer_is_asked_again(tmp_path: Path) -> None:
    async with Iu891aEmulator(
        tmp_path / "iu891a", telegrams=[TELEGRAM], interval_s=0.01, replay_radio="any"
    ) as emulator:
        emulator.stop_answering()
        radio = make_radio(emulator)
        with pytest.raises(RadioTimeout):
            await radio.open()
        assert len(emulator.requests) == 3


async def test_unplug_and_replug_reconfigures(emulator: Iu891aEmulator) -> None:
    states: list[RadioState] = []
    received: list[RadioFrame] = []
    radio = make_radio(
        emulator, link_mode=LinkMode.T1, on_frame=received.append, on_state=states.append
    )
    await radio.open()
    try:
        emulator.send_telegram(TELEGRAM, "t")
        await wait_until(lambda: len(received) == 1)
        unplug = asyncio.ensure_future(emulator.unplug(0.5))
        await wait_until(lambda: radio.state is RadioState.DISCONNECTED)
        await unplug
        # Plugged in again, it came back in its NVM configuration; the handshake sets it again.
        await wait_until(lambda: radio.state is RadioState.CONNECTED)
        assert emulator.link_mode is LinkMode.T1
        assert emulator.nvm_writes == 0
        emulator.send_telegram(TELEGRAM, "t")
        await wait_until(lambda: len(received) == 2)
        assert radio.counters["reconnects"] == 1
        assert states[-3:] == [RadioState.CONNECTED, RadioState.DISCONNECTED, RadioState.CONNECTED]
    finally:
        await radio.close()


async def test_quiet_stick_is_restarted_and_configured_again(emulator: Iu891aEmulator) -> None:
    states: list[RadioState] = []
    received: list[RadioFrame] = []
    radio = make_radio(
        emulator,
        link_mode=LinkMode.C1,
        on_frame=received.append,
        on_state=states.append,
        quiet_after_s=0.3,
        restart_settle_s=0.6,
        # The base's watch re-reads its deadlines only when it wakes: let it wake often.
        health_check_idle_s=0.1,
    )
    await radio.open()
    try:
        emulator.send_telegram(TELEGRAM, "c")
        await wait_until(lambda: len(received) == 1)
        await wait_until(lambda: radio.counters.get("restarts", 0) == 1)
        assert emulator.restarts == 1
        # The restart brought back the NVM (C/T) configuration; the driver set C again.
        assert emulator.link_mode is LinkMode.C1
        assert emulator.nvm_writes == 0
        assert RadioState.DISCONNECTED not in states
        emulator.send_telegram(TELEGRAM, "c")
        await wait_until(lambda: len(received) == 2)
    finally:
        await radio.close()


class ForgetfulEmulator(Iu891aEmulator):
    """Answers a set active configuration with OK but keeps its own."""

    def _answer(self, request: Request) -> None:
        if (request.sap, request.msg_id) == (Sap.WMBUSGW, WmbusGwMessage.SET_ACTIVE_CONFIG_REQ):
            self._write(encode_frame(request.sap, request.msg_id + 1, status=0))
            return
        super()._answer(request)


async def test_a_configuration_that_does_not_stick_fails_the_open(tmp_path: Path) -> None:
    async with ForgetfulEmulator(tmp_path / "iu891a") as emulator:
        radio = make_radio(emulator, link_mode=LinkMode.T1)
        with pytest.raises(ConfigurationNotApplied, match="stick kept"):
            await radio.open()
        assert radio.state is RadioState.CLOSED


class RestartsOnFirstSetEmulator(Iu891aEmulator):
    """The contested report of wmbusmeters #1945: the first set after power-up is not answered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.swallowed = 0

    def _answer(self, request: Request) -> None:
        set_request = (Sap.WMBUSGW, WmbusGwMessage.SET_ACTIVE_CONFIG_REQ)
        if (request.sap, request.msg_id) == set_request and not self.swallowed:
            self.swallowed += 1
            return
        super()._answer(request)


async def test_an_unanswered_first_set_is_sent_again(tmp_path: Path) -> None:
    async with RestartsOnFirstSetEmulator(tmp_path / "iu891a") as emulator:
        radio = make_radio(emulator, link_mode=LinkMode.S1)
        await radio.open()
        try:
            assert emulator.swallowed == 1
            assert emulator.link_mode is LinkMode.S1
        finally:
            await radio.close()


def _pings(emulator: Iu891aEmulator) -> int:
    return sum(
        (request.sap, request.msg_id) == (Sap.DEVMGMT, DevMgmtMessage.PING_REQ)
        for request in emulator.requests
    )


async def test_a_hung_stick_is_noticed_by_the_health_ping(emulator: Iu891aEmulator) -> None:
    states: list[RadioState] = []
    radio = make_radio(emulator, on_state=states.append, health_check_idle_s=0.2)
    await radio.open()
    try:
        # Two answered pings (each waits for the previous answer and 0.2 s of silence).
        start = _pings(emulator)
        await wait_until(lambda: _pings(emulator) >= start + 2)
        assert radio.state is RadioState.CONNECTED
        assert radio.counters.get("health_check_failures", 0) == 0
        emulator.stop_answering()
        await wait_until(lambda: radio.state is RadioState.DISCONNECTED)
        assert radio.counters["health_check_failures"] == 1
        emulator.stop_answering(False)
        await wait_until(lambda: radio.state is RadioState.CONNECTED)
        assert states[-3:] == [RadioState.CONNECTED, RadioState.DISCONNECTED, RadioState.CONNECTED]
    finally:
        await radio.close()


def test_minimal_reader_counts_what_the_driver_delivers() -> None:
    stream = b"\x13\x37" + b"".join(
        encode_rx_indication(telegram, -60) for telegram in (TELEGRAM, ESCAPED_TELEGRAM) * 3
    )
    read = minimal_reader()
    assert sum(read(stream[i : i + 7]) for i in range(0, len(stream), 7)) == 6
