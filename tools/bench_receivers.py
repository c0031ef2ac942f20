"""Several receivers in one building: the cost of dropping duplicates against one receiver.

Run on demand: ``.venv/bin/python -m tools.bench_receivers [--meters 1000 --receivers 4]``.

A building of 1,000 meters (half Kamstrup OmniPower, ELL AES-CTR with long and compact frames;
half OMS water meters, security mode 5 AES-CBC; each with its own id and key, all configured),
each sending every 16 s: 62.5 telegrams a second. Four receivers hear every one of them, the
copies arriving up to 0.1 s apart in any order (``--spread``; a stick hands a telegram
over within milliseconds, a LAN gateway within tens): 250 frames
a second. Both sides are fed in-process as RadioFrames, prepared beforehand, so what is measured
is what a home pays per frame once it has arrived:

- one receiver: record its RSSI for the meter, decode the telegram;
- four receivers: record each copy's RSSI per receiver, let the first copy through the
  :class:`DuplicateFilter` and decode only that one.

The two alternate in rounds (CPU time per telegram moves by a third between runs on a shared
machine), the ratio is that of the medians, printed beside the budget (1.2x). Memory: what the
duplicate filter and the RSSI table hold at the end of a run, and the filter's size at its
fullest, both bounded by the window and the number of meters, not by the run's length.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
import gc
import random
import statistics
import time
import tracemalloc
from typing import Final

from custom_components.wmbus.protocol.decoder import Decoder
from custom_components.wmbus.protocol.duplicates import DUPLICATE_WINDOW_S, DuplicateFilter
from custom_components.wmbus.protocol.errors import WmbusError
from custom_components.wmbus.protocol.radios import RadioFrame
from tools.simulated_meters import OmniPower, SimulatedMeter, WaterMeter

BUDGET_RATIO: Final = 1.2
INTERVAL_S: Final = 16.0
# How far apart the copies of one telegram arrive: a stick hands a telegram over within
# milliseconds of its end on the air, a gateway on the LAN forwards it within tens of ms.
SPREAD_S: Final = 0.1

type Arrival = tuple[float, RadioFrame]
type RssiTable = dict[bytes, dict[str, float | None]]


def _meters(count: int, seed: int) -> tuple[list[SimulatedMeter], dict[str, bytes]]:
    draw = random.Random(seed)
    meters: list[SimulatedMeter] = []
    keys: dict[str, bytes] = {}
    for index in range(count):
        meter_id = f"{50_000_000 + index:08d}"
        key = draw.randbytes(16)
        keys[meter_id] = key
        if index % 2:
            meters.append(WaterMeter(meter_id, key, interval_s=INTERVAL_S, seed=index))
        else:
            meters.append(OmniPower(meter_id, key, interval_s=INTERVAL_S))
    return meters, keys


def _traffic(
    meters: list[SimulatedMeter], receivers: int, seconds: float, spread_s: float, seed: int
) -> tuple[list[Arrival], list[Arrival]]:
    """Frames of one receiver and of ``receivers`` receivers, in arrival order."""
    draw = random.Random(seed)
    now = datetime.now(UTC)
    single: list[Arrival] = []
    several: list[Arrival] = []
    offsets = [draw.uniform(0, INTERVAL_S) for _ in meters]
    rounds = int(seconds / INTERVAL_S)
    for round_number in range(rounds):
        for meter, offset in zip(meters, offsets, strict=True):
            sent_at = round_number * INTERVAL_S + offset
            telegram = meter.telegram(INTERVAL_S)
            single.append((sent_at, RadioFrame(telegram, -70.0, now, "stick")))
            for receiver in range(receivers):
                # Each copy is its own bytes object, as each receiver's codec makes one.
                copy = bytes(bytearray(telegram))
                frame = RadioFrame(copy, -60.0 - 7 * receiver, now, f"receiver-{receiver}")
                several.append((sent_at + draw.uniform(0, spread_s), frame))
    single.sort(key=lambda arrival: arrival[0])
    several.sort(key=lambda arrival: arrival[0])
    return single, several


def _decoder(keys: dict[str, bytes]) -> Decoder:
    decoder = Decoder()
    for meter_id, key in keys.items():
        decoder.set_key(meter_id, key)
    return decoder


def one_receiver(arrivals: list[Arrival], decoder: Decoder, rssi: RssiTable) -> int:
    """The pipeline of one receiver: RSSI per meter and receiver, decode."""
    decoded = 0
    for _at, frame in arrivals:
        telegram = frame.telegram
        address = telegram[2:10]
        heard = rssi.get(address)
        if heard is None:
            heard = rssi[address] = {}
        heard[frame.receiver] = frame.rssi_dbm
        try:
            decoder.decode(telegram)
        except WmbusError:
            continue
        decoded += 1
    return decoded


def several_receivers(
    arrivals: list[Arrival],
    decoder: Decoder,
    rssi: RssiTable,
    duplicates: DuplicateFilter[dict[str, float | None]],
) -> int:
    """The pipeline of several: RSSI of every copy, the first copy decoded, the rest dropped.

    The first copy finds the meter's RSSI table by its address and leaves it in the filter;
    the copies get it back from there (one lookup each, no address worked out again).
    """
    decoded = 0
    copy_of = duplicates.copy_of
    keep = duplicates.keep
    for at, frame in arrivals:
        telegram = frame.telegram
        heard = copy_of(telegram, at)
        if heard is not None:
            heard[frame.receiver] = frame.rssi_dbm
            continue
        heard = rssi.get(address := telegram[2:10])
        if heard is None:
            heard = rssi[address] = {}
        heard[frame.receiver] = frame.rssi_dbm
        keep(telegram, at, heard)
        try:
            decoder.decode(telegram)
        except WmbusError:
            continue
        decoded += 1
    return decoded


def _cpu_s(run: Callable[[], int]) -> tuple[float, int]:
    gc.collect()
    started = time.process_time()
    result = run()
    return time.process_time() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--receivers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=128.0, help="simulated traffic")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--spread", type=float, default=SPREAD_S, help="seconds between a telegram's copies"
    )
    args = parser.parse_args()

    meters, keys = _meters(args.meters, seed=1)
    single, several = _traffic(meters, args.receivers, args.seconds, args.spread, seed=2)
    telegrams = len(single)
    print(
        f"meters: {args.meters}, every {INTERVAL_S:g} s, heard by {args.receivers} receivers: "
        f"{len(several) / args.seconds:.0f} frames/s before duplicates are dropped "
        f"({telegrams} telegrams, {len(several)} frames, {args.seconds:g} s of traffic, "
        f"copies up to {args.spread:g} s apart)"
    )

    one_s: list[float] = []
    many_s: list[float] = []
    for _ in range(args.rounds):
        decoder = _decoder(keys)
        cpu, decoded_one = _cpu_s(lambda d=decoder: one_receiver(single, d, {}))  # type: ignore[misc]
        one_s.append(cpu)
        decoder = _decoder(keys)
        duplicates: DuplicateFilter[dict[str, float | None]] = DuplicateFilter(DUPLICATE_WINDOW_S)
        cpu, decoded_many = _cpu_s(
            lambda d=decoder, f=duplicates: several_receivers(several, d, {}, f)  # type: ignore[misc]
        )
        many_s.append(cpu)
        if decoded_one != decoded_many or decoded_many != telegrams:
            raise SystemExit(
                f"decoded {decoded_one} with one receiver, {decoded_many} with several, "
                f"of {telegrams} telegrams: the pipelines disagree"
            )
    one = statistics.median(one_s) / telegrams * 1e6
    many = statistics.median(many_s) / telegrams * 1e6
    ratio = many / one
    verdict = "within" if ratio <= BUDGET_RATIO else "OVER"
    print(f"one receiver: {one:.2f} µs CPU per telegram (median of {args.rounds} rounds)")
    print(f"{args.receivers} receivers: {many:.2f} µs CPU per telegram, duplicates dropped")
    print(f"ratio: {ratio:.2f}x (budget {BUDGET_RATIO}x: {verdict})")

    # Memory: the filter and the RSSI table after a run, traced apart from the prepared frames.
    decoder = _decoder(keys)
    duplicates = DuplicateFilter(DUPLICATE_WINDOW_S)
    rssi: RssiTable = {}
    fullest = 0
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    half = len(several) // 2
    several_receivers(several[:half], decoder, rssi, duplicates)
    at_half = tracemalloc.get_traced_memory()[0] - before
    for arrival in several[half:]:
        several_receivers([arrival], decoder, rssi, duplicates)
        fullest = max(fullest, len(duplicates))
    at_end = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(
        f"duplicate filter: at most {fullest} telegrams held "
        f"(window {DUPLICATE_WINDOW_S:g} s, bounded at 8192); "
        f"{duplicates.duplicates} copies dropped, {duplicates.evicted} forgotten early"
    )
    print(
        f"memory held by filter, RSSI table and decoder state: {at_half / 1e6:.2f} MB after half "
        f"the run, {at_end / 1e6:.2f} MB at its end ({len(rssi)} meters x "
        f"{args.receivers} receivers)"
    )


if __name__ == "__main__":
    main()
