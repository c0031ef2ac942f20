"""The suite really runs under Home Assistant's blocking-call detection (scripts/test sets it)."""

from __future__ import annotations

import os
import time

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("WMBUS_DETECT_BLOCKING") != "1",
    reason="blocking-call detection is switched on by scripts/test (WMBUS_DETECT_BLOCKING=1)",
)


async def test_a_blocking_call_in_the_event_loop_is_caught() -> None:
    with pytest.raises(RuntimeError, match="blocking call"):
        time.sleep(0.001)  # noqa: ASYNC251 - the blocking call under test


def test_synchronous_tests_are_not_the_event_loop() -> None:
    time.sleep(0.001)
