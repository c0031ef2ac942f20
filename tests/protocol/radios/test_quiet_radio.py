"""A radio that used to hear meters and goes quiet is re-initialised once, then reported."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from pathlib import Path

import pytest

from custom_components.wmbus.protocol.radios import RadioFrame, RadioState, im871a as hci
from custom_components.wmbus.protocol.radios.im871a.radio import Im871aRadio
from tests.conftest import omnipower_captures
from tools.emulators.im871a import Im871aEmulator

TELEGRAM = bytes.fromhex(omnipower_captures()[0]["telegram_hex"])
QUIET_S = 0.3


async def _until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"condition not met within {timeout_s} s")


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
        )
        await radio.open()
        try:
            # A radio that never heard anything is left alone: it may simply have no meter.
            await asyncio.sleep(2 * QUIET_S)
            assert radio.counters.get("quiet_restarts", 0) == 0
            emulator.send_telegram(TELEGRAM)
            await _until(lambda: len(frames) == 1)
            assert frames[0].receiver == str(emulator.link)
            with caplog.at_level(logging.WARNING):
                await _until(lambda: radio.counters.get("restarts", 0) == 1)
                # The restart was the radio's own reset command, then a fresh configuration.
                await _until(
                    lambda: (
                        [r.msg_id for r in emulator.requests].count(hci.DevMgmtMessage.RESET_REQ)
                        == 1
                    )
                )
                await _until(lambda: quiet_reports == [True])
            warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert len(warnings) == 1
            assert "heard no telegram" in warnings[0].getMessage()
            # Restarting is not an outage: no DISCONNECTED was reported.
            assert RadioState.DISCONNECTED not in states
            assert radio.quiet
            # Staying quiet is reported once, not again and again.
            await asyncio.sleep(3 * QUIET_S)
            assert quiet_reports == [True]
            assert radio.counters["restarts"] == 1
            emulator.send_telegram(TELEGRAM)
            await _until(lambda: quiet_reports == [True, False])
            assert not radio.quiet
        finally:
            await radio.close()


async def test_quiet_watch_can_be_turned_off(tmp_path: Path) -> None:
    frames: list[RadioFrame] = []
    async with Im871aEmulator(tmp_path / "stick") as emulator:
        radio = Im871aRadio(str(emulator.link), on_frame=frames.append, quiet_after_s=None)
        await radio.open()
        try:
            emulator.send_telegram(TELEGRAM)
            await _until(lambda: len(frames) == 1)
            await asyncio.sleep(0.5)
            assert radio.counters.get("quiet_restarts", 0) == 0
            assert not radio.quiet
        finally:
            await radio.close()
