"""A radio that used to hear meters and goes quiet is re-initialised once, then reported."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest

from custom_components.wmbus.protocol.radios import RadioFrame, RadioState, im871a as hci
from custom_components.wmbus.protocol.radios.im871a.radio import Im871aRadio
from tests.conftest import omnipower_captures
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator

TELEGRAM = bytes.fromhex(omnipower_captures()[0]["telegram_hex"])
QUIET_S = 0.3
# The radio's watch pings a radio silent this long and checks the quiet deadline before each
# ping, so its pings count how often, and how late, it has looked.
PING_S = 0.1


def _pings(emulator: Im871aEmulator) -> int:
    return sum(request.msg_id == hci.DevMgmtMessage.PING_REQ for request in emulator.requests)


async def _watched_for(emulator: Im871aEmulator, seconds: float) -> None:
    """Return once the watch has looked at the radio ``seconds`` from now or later.

    Every ping waits for the previous answer and then ``PING_S`` of silence, so the n-th
    ping from now comes at least n * PING_S later, after the watch checked the quiet deadline.
    """
    start = _pings(emulator)
    rounds = math.ceil(seconds / PING_S) + 1
    await wait_until(lambda: _pings(emulator) >= start + rounds, timeout_s=10 * seconds + 5)


async def test_quiet_radio_is_restarted_then_reported_then_cleared(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    quiet_reports: list[bool] = []
    states: list[RadioState] = []
    frames: list[RadioFrame] = []
    async with Im871aEmulator(tmp_path / "stick") as emulator:
        radio = Im871aRadio(
            str(emulator.link),
            on_frame=frames.append,
            on_state=states.append,
            on_quiet=quiet_reports.append,
            quiet_after_s=QUIET_S,
            restart_settle_s=0.6,  # the emulated module reboots for 0.5 s after a reset
            response_timeout_s=0.3,
            health_check_idle_s=PING_S,
        )
        await radio.open()
        try:
            # A radio that never heard anything is left alone: it may simply have no meter.
            await _watched_for(emulator, 2 * QUIET_S)
            assert radio.counters.get("quiet_restarts", 0) == 0
            emulator.send_telegram(TELEGRAM)
            await wait_until(lambda: len(frames) == 1)
            assert frames[0].receiver == str(emulator.link)
            with caplog.at_level(logging.WARNING):
                await wait_until(lambda: radio.counters.get("restarts", 0) == 1)
                # The restart was the radio's own reset command, then a fresh configuration.
                await wait_until(
                    lambda: (
                        [r.msg_id for r in emulator.requests].count(hci.DevMgmtMessage.RESET_REQ)
                        == 1
                    )
                )
                await wait_until(lambda: quiet_reports == [True])
            warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert len(warnings) == 1
            assert "heard no telegram" in warnings[0].getMessage()
            # Restarting is not an outage: no DISCONNECTED was reported.
            assert RadioState.DISCONNECTED not in states
            assert radio.quiet
            # Staying quiet is reported once, not again and again.
            await _watched_for(emulator, 3 * QUIET_S)
            assert quiet_reports == [True]
            assert radio.counters["restarts"] == 1
            emulator.send_telegram(TELEGRAM)
            await wait_until(lambda: quiet_reports == [True, False])
            assert not radio.quiet
        finally:
            await radio.close()


async def test_quiet_watch_can_be_turned_off(tmp_path: Path) -> None:
    frames: list[RadioFrame] = []
    async with Im871aEmulator(tmp_path / "stick") as emulator:
        radio = Im871aRadio(
            str(emulator.link),
            on_frame=frames.append,
            quiet_after_s=None,
            health_check_idle_s=PING_S,
        )
        await radio.open()
        try:
            emulator.send_telegram(TELEGRAM)
            await wait_until(lambda: len(frames) == 1)
            await _watched_for(emulator, 0.5)
            assert radio.counters.get("quiet_restarts", 0) == 0
            assert not radio.quiet
        finally:
            await radio.close()
