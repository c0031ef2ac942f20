"""The one polling helper of the test suite.

Bytes from an emulator travel through a pty and the event loop before a radio, the gateway or
an entity shows them, so a test waits for the visible effect instead of sleeping a fixed time.
A negative check ("this telegram changed nothing") waits the same way for a later event that
proves the earlier one was processed, then looks at what did not happen.

It imports nothing from Home Assistant, so the protocol tests use it where Home Assistant is
not installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

POLL_INTERVAL_S = 0.01


async def wait_until(
    condition: Callable[..., object],
    timeout_s: float = 5.0,
    *,
    hass: HomeAssistant | None = None,
) -> None:
    """Return once ``condition()`` is true; raise TimeoutError after ``timeout_s``.

    With ``hass``, Home Assistant finishes its pending work before every look, so a state
    written by a task the last telegram started is seen. The timeout counts polls, not wall
    time, so a test that freezes the clock still ends. ``condition`` is typed
    ``Callable[..., object]`` so that a lambda may bind a loop variable as a default argument.
    """
    for _ in range(max(1, round(timeout_s / POLL_INTERVAL_S))):
        if hass is not None:
            await hass.async_block_till_done()
        if condition():
            return
        await asyncio.sleep(POLL_INTERVAL_S)
    raise TimeoutError(f"condition not met within {timeout_s} s")
