"""Soak a radio and the decoder at its serial link's maximum rate.

    python -m tools.soak --seconds 60                  # the iM871A
    python -m tools.soak --radio iu891a --seconds 60   # any radio with an emulator

Starts one emulator of the radio in a separate process (so its CPU is not counted) replaying the
vectors back to back at the radio's line rate, and measures this process's CPU per telegram for:

1. the baseline: the least a reader of that framing can do (``loop.add_reader`` + ``os.read`` +
   the emulator module's ``minimal_reader``: frame boundaries, escapes, the frame's check, the
   telegram cut out), measured in the same run so that the machine's speed cancels out;
2. the radio's read path without decoding (the driver as the gateway opens it, its serial link
   and frame delivery), budget <= 1.3x the baseline;
3. the stick with every frame decoded with the vectors' keys: telegrams/s received and decoded,
   CPU share of one core and peak memory, each beside its budget (README.md, Benchmarks: < 5 %
   of one core at the serial line's limit).

At 125 telegrams/s the process sleeps about 8 ms between telegrams, so every telegram runs with
cold caches, and what one telegram costs moves by a third between runs on a shared machine
(the baseline measured 80 to 245 us). Phases 1 and 2 therefore alternate in rounds (baseline,
stick, stick, baseline, ...) on the same emulator, and the ratio is that of their medians.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
import importlib
import json
import os
from pathlib import Path
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tty
from typing import Any, Final

from custom_components.wmbus.protocol.radios import RadioFrame, build_radio
from tests.data import OMNIPOWER_PATH
from tools.emulators import EMULATORS

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
CPU_BUDGET_PERCENT: Final = 5.0
RADIO_LIMIT_TELEGRAMS_PER_S: Final = 220.0  # what the radio could bring if the line allowed it
MEMORY_BUDGET_MB: Final = 20.0  # README.md, Benchmarks: with 10,000 meters heard; here few
WARM_UP_S: Final = 2.0
SETTLE_S: Final = 0.5
"""After each open: what piled up in the pty while nobody read arrives at once; not counted."""
READ_PATH_BUDGET_RATIO: Final = 1.3  # stick read path without decoding / minimal reader
DEFAULT_ROUNDS: Final = 8

type Reader = Callable[[Path, float], Awaitable[float]]
"""Opens the link, measures for the given seconds, closes: CPU us per telegram."""


def _keys(vectors: dict[str, Any]) -> dict[str, bytes]:
    keys = {}
    for vector in vectors["vectors"]:
        meter_id = vector.get("expected", {}).get("meter_id")
        if vector.get("key_hex") and meter_id:
            keys[meter_id] = bytes.fromhex(vector["key_hex"])
    return keys


def _make_decoder(keys: dict[str, bytes]) -> Any:
    try:
        from custom_components.wmbus.protocol.decoder import Decoder
    except ImportError:
        return None
    decoder = Decoder()
    for meter_id, key in keys.items():
        decoder.set_key(meter_id, key)
    return decoder


@contextlib.asynccontextmanager
async def _emulator(radio: str, vectors_path: Path, seconds: float) -> AsyncIterator[Path]:
    """One emulator process replaying back to back; yields its link once it exists.

    The emulator keeps the pty's slave end open itself, so readers can open and close the
    link round after round while it keeps sending.
    """
    with tempfile.TemporaryDirectory() as scratch:
        link = Path(scratch) / radio
        emulator = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
            [
                sys.executable,
                "-m",
                "tools.emulator",
                "--radio",
                radio,
                "--link",
                str(link),
                "--replay",
                str(vectors_path),
                "--interval",
                "0",
                "--seconds",
                str(seconds),
            ],
            cwd=REPO_ROOT,
        )
        try:
            for _ in range(100):
                if link.exists():
                    break
                await asyncio.sleep(0.05)
            yield link
        finally:
            emulator.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(emulator.wait, 5)
            if emulator.poll() is None:
                emulator.kill()


async def _measure(seconds: float, telegrams: Callable[[], int]) -> float:
    """CPU of this process per telegram (us) over ``seconds``, after the link settled."""
    await asyncio.sleep(SETTLE_S)
    before = telegrams()
    cpu_before = time.process_time()
    await asyncio.sleep(seconds)
    cpu = time.process_time() - cpu_before
    frames = telegrams() - before
    if not frames:
        raise RuntimeError("no telegram arrived while measuring: is the emulator running?")
    return 1e6 * cpu / frames


def _readers(radio: str) -> dict[str, Reader]:
    """The baseline and the radio's read path, for ``radio``."""

    async def minimal_reader(link: Path, seconds: float) -> float:
        return await _minimal_reader(radio, link, seconds)

    async def read_path(link: Path, seconds: float) -> float:
        return await _radio_read_path(radio, link, seconds)

    return {"baseline": minimal_reader, "radio": read_path}


async def _minimal_reader(radio: str, link: Path, seconds: float) -> float:
    """The baseline: no transport, no protocol object, no callbacks beyond the reader."""
    loop = asyncio.get_running_loop()
    module = importlib.import_module(EMULATORS[radio].__module__)
    read: Callable[[bytes], int] = module.minimal_reader()
    telegrams = 0
    fd = os.open(link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    tty.setraw(fd)  # as a serial library leaves the port: raw bytes, no line discipline

    def on_readable() -> None:
        nonlocal telegrams
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return
        telegrams += read(data)

    loop.add_reader(fd, on_readable)
    try:
        return await _measure(seconds, lambda: telegrams)
    finally:
        loop.remove_reader(fd)
        os.close(fd)


async def _radio_read_path(radio: str, link: Path, seconds: float) -> float:
    """The radio as the gateway opens it, with a frame callback that does nothing."""
    stick = build_radio(radio, str(link), on_frame=lambda _frame: None)
    await stick.open()
    try:
        return await _measure(seconds, lambda: stick.counters["frames_received"])
    finally:
        await stick.close()


async def _rounds(
    link: Path, seconds: float, rounds: int, readers: dict[str, Reader]
) -> dict[str, list[float]]:
    """Each reader ``rounds`` times for ``seconds / rounds``, in ABBA order so drift cancels."""
    results: dict[str, list[float]] = {name: [] for name in readers}
    names = list(readers)
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            results[name].append(await readers[name](link, seconds / rounds))
    return results


async def _decoding(
    radio: str, link: Path, seconds: float, vectors: dict[str, Any]
) -> dict[str, Any]:
    """The stick with the decoder, as the gateway runs it."""
    decoder = _make_decoder(_keys(vectors))
    outcomes: Counter[str] = Counter()

    def on_frame(frame: RadioFrame) -> None:
        if decoder is None:
            outcomes["received"] += 1
            return
        try:
            decoder.decode(frame.telegram)
        except Exception as err:  # the decoder's typed errors; kind is the counter name
            outcomes[getattr(err, "kind", type(err).__name__)] += 1
        else:
            outcomes["decoded"] += 1

    stick = build_radio(radio, str(link), on_frame=on_frame)
    await stick.open()
    try:
        await asyncio.sleep(WARM_UP_S)
        frames_before = stick.counters["frames_received"]
        outcomes.clear()
        cpu_before = time.process_time()
        wall_before = time.monotonic()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu_before
        wall = time.monotonic() - wall_before
        frames = stick.counters["frames_received"] - frames_before
        counters = dict(stick.counters)
    finally:
        await stick.close()
    return {
        "seconds": round(wall, 2),
        "telegrams_per_s": round(frames / wall, 1),
        "decoded_per_s": round(outcomes["decoded"] / wall, 1) if decoder is not None else None,
        "outcomes": dict(outcomes),
        "cpu_percent_of_one_core": round(100 * cpu / wall, 2),
        "cpu_us_per_telegram": round(1e6 * cpu / frames, 1) if frames else None,
        "cpu_percent_at_radio_limit": (
            round(100 * cpu / frames * RADIO_LIMIT_TELEGRAMS_PER_S, 2) if frames else None
        ),
        "stick_counters": counters,
        "decoder": "none (decoder.py missing)" if decoder is None else "Decoder",
    }


async def _soak(
    radio: str, seconds: float, rounds: int, vectors_path: Path, vectors: dict[str, Any]
) -> dict[str, Any]:
    rss_at_start_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    emulator_seconds = 2 * seconds + rounds * 2 * (SETTLE_S + 1) + seconds + WARM_UP_S + 60
    async with _emulator(radio, vectors_path, emulator_seconds) as link:
        # Some radios send nothing until configured (a CUL needs its mode and X21): open and
        # close the driver once, as the gateway would have, before the baseline reads.
        configured = build_radio(radio, str(link))
        await configured.open()
        await configured.close()
        per_round = await _rounds(link, seconds, rounds, _readers(radio))
        result = await _decoding(radio, link, seconds, vectors)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    baseline = statistics.median(per_round["baseline"])
    read_path = statistics.median(per_round["radio"])
    result.update(
        rounds=rounds,
        baseline_us_per_telegram=round(baseline, 1),
        baseline_rounds=[round(value, 1) for value in per_round["baseline"]],
        read_path_us_per_telegram=round(read_path, 1),
        read_path_rounds=[round(value, 1) for value in per_round["radio"]],
        read_path_ratio=round(read_path / baseline, 2),
        peak_rss_mb=round(peak_rss_mb, 1),
        rss_growth_mb=round(peak_rss_mb - rss_at_start_mb, 1),
    )
    return result


def _spread(values: list[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.soak", description=__doc__)
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="measured per phase (rounds share it)"
    )
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--radio", choices=sorted(EMULATORS), default="im871a")
    parser.add_argument("--vectors", type=Path, default=OMNIPOWER_PATH)
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    if args.rounds < 1 or args.seconds <= 0:
        parser.error("--rounds must be at least 1 and --seconds positive")
    vectors = json.loads(args.vectors.read_text())
    result = asyncio.run(_soak(args.radio, args.seconds, args.rounds, args.vectors, vectors))
    if args.json:
        print(json.dumps(result))
        return
    cpu = result["cpu_percent_of_one_core"]
    at_limit = result["cpu_percent_at_radio_limit"]
    print(
        f"{args.radio}: pid {os.getpid()}, {result['seconds']} s measured per phase, read path in "
        f"{result['rounds']} interleaved rounds, decoder: {result['decoder']}"
    )
    print(
        f"baseline reader      {result['baseline_us_per_telegram']:>8} us/telegram "
        f"(median; rounds {_spread(result['baseline_rounds'])}; "
        "add_reader + os.read + the framing's minimal reader)"
    )
    ratio = result["read_path_ratio"]
    verdict = "within" if ratio <= READ_PATH_BUDGET_RATIO else "OVER"
    print(
        f"radio read path      {result['read_path_us_per_telegram']:>8} us/telegram "
        f"(median; rounds {_spread(result['read_path_rounds'])}; no decoding): {ratio}x "
        f"baseline, budget <= {READ_PATH_BUDGET_RATIO}x ({verdict} budget)"
    )
    baud = round(EMULATORS[args.radio].BYTES_PER_S * 10)
    print(f"telegrams received   {result['telegrams_per_s']:>8} /s   ({baud} baud line limit)")
    print(f"telegrams decoded    {result['decoded_per_s']!s:>8} /s   outcomes {result['outcomes']}")
    print(
        f"CPU, one core        {cpu:>8} %    budget < {CPU_BUDGET_PERCENT} % "
        f"({result['cpu_us_per_telegram']} us per telegram, stick + decoder)"
    )
    print(
        f"CPU at {RADIO_LIMIT_TELEGRAMS_PER_S:.0f} tg/s       {at_limit!s:>8} %    "
        "(extrapolated, no budget: the line carries 125/s)"
    )
    print(
        f"memory growth        {result['rss_growth_mb']:>8} MB   budget <= {MEMORY_BUDGET_MB} MB "
        f"(peak RSS {result['peak_rss_mb']} MB, interpreter and libraries included)"
    )
    print(f"stick counters       {result['stick_counters']}")


if __name__ == "__main__":
    main()
