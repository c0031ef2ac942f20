"""Serial bytes in to Home Assistant state written, per telegram, through the emulated stick.

Run on demand: ``.venv/bin/python -m tools.bench_latency [--telegrams 1000]``.

It runs inside Home Assistant's test harness (a real core, state machine and entity platform,
this integration loaded from the repo) with the project's iM871A emulator on a real pty. For each
telegram it takes the time just before the emulator writes the HCI frame to the pty and the time
the meter's power sensor state is written (state_changed or state_reported), and prints the
median and the 95th percentile beside the 5 ms budget. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import statistics
import sys
import time

import pytest

BUDGET_MS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--telegrams", type=int, default=1000)
    args = parser.parse_args()
    os.environ["WMBUS_BENCH_TELEGRAMS"] = str(args.telegrams)
    root = Path(__file__).resolve().parents[1]
    sys.exit(
        pytest.main(
            [
                str(Path(__file__).resolve()),
                "-q",
                "-s",
                "-p",
                "no:cacheprovider",
                "-o",
                "python_files=bench_latency.py",
                "--rootdir",
                str(root),
                "-W",
                "ignore",
            ]
        )
    )


# --- the measurement, collected by pytest only when main() points it at this file ---------

if __name__ != "__main__":
    import asyncio
    from collections.abc import AsyncIterator
    import logging
    from typing import Any

    from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
    from homeassistant.core import Event, HomeAssistant, callback
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.wmbus.const import CONF_PORT, DOMAIN
    from tests.components.conftest import meter_subentry
    from tests.conftest import omnipower_captures
    from tools.emulators.im871a import Im871aEmulator

    POWER = "sensor.house_meter_power_imported"

    @pytest.fixture(autouse=True)
    def _custom(enable_custom_integrations: None) -> None:
        """Load custom_components/wmbus."""

    @pytest.fixture
    async def emulator(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[Im871aEmulator]:
        async with Im871aEmulator(tmp_path / "tty") as running:
            yield running

    async def test_bytes_to_state(hass: HomeAssistant, emulator: Im871aEmulator) -> None:
        logging.getLogger("custom_components.wmbus").setLevel(logging.ERROR)
        captures = omnipower_captures()
        entry = MockConfigEntry(
            domain=DOMAIN,
            data={CONF_PORT: str(emulator.link)},
            unique_id="bench",
            subentries_data=[meter_subentry()],
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

        written: asyncio.Event = asyncio.Event()
        stamp: list[float] = [0.0]

        @callback
        def on_state(event: Event[Any]) -> None:
            stamp[0] = time.perf_counter()
            written.set()

        @callback
        def is_power(event_data: Any) -> bool:
            return bool(event_data.get("entity_id") == POWER)

        hass.bus.async_listen(EVENT_STATE_CHANGED, on_state, event_filter=is_power)
        hass.bus.async_listen(EVENT_STATE_REPORTED, on_state, event_filter=is_power)

        telegrams = [bytes.fromhex(c["telegram_hex"]) for c in captures]
        count = int(os.environ.get("WMBUS_BENCH_TELEGRAMS", "1000"))
        latencies_ms: list[float] = []
        cpu_start = time.process_time()
        for i in range(count):
            written.clear()
            started = time.perf_counter()
            emulator.send_telegram(telegrams[i % len(telegrams)])
            await asyncio.wait_for(written.wait(), 2.0)
            latencies_ms.append((stamp[0] - started) * 1000)
        cpu_s = time.process_time() - cpu_start
        latencies_ms.sort()
        median = statistics.median(latencies_ms)
        p95 = latencies_ms[int(len(latencies_ms) * 0.95) - 1]
        print()
        print(f"telegrams: {count}")
        print(f"bytes_to_state_median: {median:.2f} ms (budget {BUDGET_MS:.1f} ms)")
        print(f"bytes_to_state_p95: {p95:.2f} ms")
        print(f"cpu_per_telegram: {cpu_s / count * 1000:.2f} ms (emulator and HA in one process)")
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


if __name__ == "__main__":
    main()
