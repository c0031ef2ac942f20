"""Memory of the heard-meters list when 10,000 distinct meters are heard.

Run on demand: ``.venv/bin/python -m tools.bench_heard [--meters 10000]``. Feeds telegrams from
distinct meter ids (a real capture with its id rewritten) through the gateway's own frame handler
and prints the list's size and the memory it holds beside the 20 MB budget (README.md, Benchmarks).
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import UTC, datetime
import gc
import tracemalloc
from unittest.mock import MagicMock, patch

from custom_components.wmbus import gateway as gateway_module
from custom_components.wmbus.const import HEARD_METERS_LIMIT
from custom_components.wmbus.gateway import Gateway
from custom_components.wmbus.heard import HeardList
from custom_components.wmbus.meter_table import MeterTable
from custom_components.wmbus.protocol.decoder import Decoder
from custom_components.wmbus.protocol.frame import meter_id_to_wire
from custom_components.wmbus.protocol.radios import RadioFrame
from tests.conftest import omnipower_captures

BUDGET_MB = 20.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=10_000)
    args = parser.parse_args()
    template = bytes.fromhex(omnipower_captures()[0]["telegram_hex"])

    # Only the frame path is exercised: no Home Assistant instance is needed for it.
    gateway = Gateway.__new__(Gateway)
    gateway.hass = MagicMock()
    gateway.decoder = Decoder()
    gateway.heard = HeardList(gateway.decoder)
    gateway.meter_table = MeterTable(gateway.decoder)
    gateway.outcomes = Counter()
    gateway.entry = MagicMock(entry_id="bench")
    now = datetime.now(UTC)
    frames = [
        RadioFrame(template[:4] + meter_id_to_wire(f"{n:08d}") + template[8:], -70.0, now)
        for n in range(args.meters)
    ]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    with patch.object(gateway_module, "async_dispatcher_send"):
        for frame in frames:
            gateway._on_frame(frame)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(f"meters_heard: {args.meters} (list bounded at {HEARD_METERS_LIMIT})")
    print(f"heard_list_entries: {len(gateway.heard)}")
    print(f"heard_list_memory: {held / 1e6:.2f} MB (budget {BUDGET_MB:.0f} MB)")


if __name__ == "__main__":
    main()
