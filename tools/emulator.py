"""An emulated wireless M-Bus radio on a pseudo terminal, for tests and ``scripts/develop``.

    python -m tools.emulator --link /tmp/radio                        # an iM871A; meter 32666857
    python -m tools.emulator --radio iu891a --link /tmp/radio         # an IMST iU891A-XL
    python -m tools.emulator --link /tmp/radio --water                # and a water meter
    python -m tools.emulator --link /tmp/radio --replay FILE          # telegrams from a file

creates a pty, symlinks its slave end at ``--link`` and behaves like the radio named by
``--radio`` (``tools/emulators/``: each speaks its own protocol, quirks included).

What the radio hears: by default the meters of ``tools/simulated_meters.py``, each at its own
interval (``--interval`` overrides it): the OmniPower 32666857 with rising totals, encrypted with
its key (the seed's, as in the vectors); ``--water`` and ``--heat`` add mode-5 OMS meters (T1,
standard records only). Error cases only on request: ``--wrong-key-every N`` (every n-th
telegram of 32666857 encrypted with another key) and ``--neighbours N`` (N more OmniPowers
whose keys nobody has). ``--replay FILE`` plays a telegram file instead, every ``--interval``
seconds, in a loop (``--once``: once): the vectors file (its telegram_hex), the wmbusmeters
corpus (prior_telegrams_hex, then telegram_hex) or a text file with one hex telegram a line
(``#`` starts a comment). ``--status-file`` keeps a JSON file with each meter's last sent values,
for tests that compare them with what the host shows. The simulated meters send C-mode frames
(OmniPower sends C1), heard only in a link mode that receives C frames; the water and heat
meters send T1. A replayed file says nothing about the mode its telegrams were sent in, so they
are heard in every link mode (``--replay-radio c`` or ``t`` to choose).

Serial line rate is modelled: frames never leave faster than the radio's line, so
``--interval 0`` means back to back at its maximum rate.

Faults, from Python (tests drive the emulator classes in-process): ``inject_garbage``,
``flip_bits``, ``stop_answering``, ``unplug``, ``send_telegram``; from the shell: SIGUSR1
unplugs for ``--unplug-seconds``, SIGUSR2 flips ``--flip-bits`` bits in the next frame, SIGHUP
toggles answering requests. ``--garbage-every N`` sends 16 random bytes after every N frames.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable
import contextlib
import logging
import os
import random
import signal
from typing import Any

from custom_components.wmbus.protocol.radios.link_modes import LinkMode
from tools.emulators import EMULATORS
from tools.emulators.base import RADIO_MODES
from tools.emulators.telegrams import TelegramFileError, load_telegrams
from tools.simulated_meters import (
    HEAT_INTERVAL_S,
    OMNIPOWER_ID,
    OMNIPOWER_INTERVAL_S,
    OMNIPOWER_KEY,
    WATER_INTERVAL_S,
    HeatMeter,
    HouseholdLoad,
    OmniPower,
    SimulatedMeter,
    WaterMeter,
)

_LOGGER = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The command line's options."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.emulator", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--link", required=True, help="path of the symlink to the pty")
    add_simulation_arguments(parser)
    return parser


def add_simulation_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose the radio and what it hears, all but ``--link``.

    ``scripts/develop`` hands these through and lists them in its own ``--help``.
    """
    parser.add_argument(
        "--radio", choices=sorted(EMULATORS), default="im871a", help="the radio to emulate"
    )
    parser.add_argument(
        "--replay",
        help="telegram file (vectors or corpus JSON, or one hex telegram a line), e.g. "
        "tests/data/vectors/wmbusmeters_corpus.json",
    )
    parser.add_argument(
        "--replay-radio",
        choices=RADIO_MODES,
        default="any",
        help="the mode replayed telegrams are sent in (any: heard in every link mode)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        help="seconds between telegrams (default: each meter's own, 1 s for --replay)",
    )
    parser.add_argument("--water", action="store_true", help="add the mode-5 water meter")
    parser.add_argument("--heat", action="store_true", help="add the mode-5 heat meter")
    parser.add_argument(
        "--wrong-key-every",
        type=int,
        default=0,
        metavar="N",
        help=f"every N-th telegram of {OMNIPOWER_ID} is encrypted with another key",
    )
    parser.add_argument(
        "--neighbours", type=int, default=0, metavar="N", help="N more meters with unknown keys"
    )
    parser.add_argument("--status-file", help="JSON file with each meter's last sent values")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated load")
    parser.add_argument("--rssi", type=float, default=-60.0, help="signal strength in dBm")
    parser.add_argument(
        "--link-mode",
        choices=[*LinkMode, "none"],
        help="iM871A, iU891A: the power-up (NVM) link mode (default: c1a, c1t1)",
    )
    quirks = parser.add_argument_group("quirks of one radio")
    quirks.add_argument(
        "--not-streaming",
        action="store_true",
        help="iU891A: RX indications off until configured (the real stick streams at power-up)",
    )
    quirks.add_argument(
        "--command-mode",
        action="store_true",
        help="AMB8465: telegrams as command-mode DATA_IND frames (parameter 0x05 = 1)",
    )
    quirks.add_argument(
        "--stray-byte-every",
        type=int,
        default=0,
        metavar="N",
        help="AMB8465: a stray byte before every N-th answer",
    )
    quirks.add_argument(
        "--stock-firmware",
        action="store_true",
        help="CUL: the stock culfw, whose line buffer cuts long telegrams",
    )
    quirks.add_argument(
        "--no-lqi-rssi",
        action="store_true",
        help="CUL: telegram lines without LQI and RSSI",
    )
    parser.add_argument("--once", action="store_true", help="replay the file once, not forever")
    parser.add_argument(
        "--garbage-every", type=int, default=0, metavar="N", help="16 random bytes every N frames"
    )
    parser.add_argument("--unplug-seconds", type=float, default=3.0, help="SIGUSR1 unplug time")
    parser.add_argument("--flip-bits", type=int, default=3, help="bits SIGUSR2 flips")
    parser.add_argument("--seconds", type=float, help="stop after this long")
    parser.add_argument("-v", "--verbose", action="store_true")


def _parse_args(argv: Iterable[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(None if argv is None else list(argv))
    if args.replay and (args.water or args.heat or args.wrong_key_every or args.neighbours):
        parser.error(
            "--replay plays a file: --water, --heat, --wrong-key-every and --neighbours simulate"
        )
    if args.interval is not None and args.interval < 0:
        parser.error("--interval must not be negative")
    for flag, radios in QUIRK_FLAGS.items():
        if getattr(args, flag) and args.radio not in radios:
            parser.error(f"--{flag.replace('_', '-')} is for {' and '.join(radios)} only")
    return args


# Which radio each quirk flag belongs to.
QUIRK_FLAGS: dict[str, tuple[str, ...]] = {
    "link_mode": ("im871a", "iu891a"),
    "not_streaming": ("iu891a",),
    "command_mode": ("amb8465",),
    "stray_byte_every": ("amb8465",),
    "stock_firmware": ("cul",),
    "no_lqi_rssi": ("cul",),
}


def radio_options(args: argparse.Namespace) -> dict[str, Any]:
    """The emulator options of ``args.radio`` that the command line sets."""
    options: dict[str, Any] = {}
    if args.link_mode is not None:
        options["power_up_link_mode"] = (
            None if args.link_mode == "none" else LinkMode(args.link_mode)
        )
    if args.not_streaming:
        options["streaming_at_power_up"] = False
    if args.command_mode:
        options["command_mode"] = True
    if args.stray_byte_every:
        options["stray_byte_every"] = args.stray_byte_every
    if args.stock_firmware:
        options["stock_firmware"] = True
    if args.no_lqi_rssi:
        options["lqi_rssi"] = False
    return options


def simulated_meters(args: argparse.Namespace) -> list[SimulatedMeter]:
    """The meters the command line asks for."""

    def interval(own_s: float) -> float:
        return own_s if args.interval is None else max(args.interval, 0.1)

    meters: list[SimulatedMeter] = [
        OmniPower(
            load=HouseholdLoad(seed=args.seed),
            wrong_key_every=args.wrong_key_every,
            interval_s=interval(OMNIPOWER_INTERVAL_S),
        )
    ]
    if args.water:
        meters.append(WaterMeter(interval_s=interval(WATER_INTERVAL_S)))
    if args.heat:
        meters.append(HeatMeter(interval_s=interval(HEAT_INTERVAL_S)))
    neighbour_ids = random.Random(args.seed + 1)
    for index in range(args.neighbours):
        meter_id = f"{neighbour_ids.randrange(10**8):08d}"
        key = bytes(a ^ (index + 1) for a in OMNIPOWER_KEY)
        load = HouseholdLoad(seed=args.seed + 2 + index)
        meters.append(
            OmniPower(meter_id, key, load=load, interval_s=interval(OMNIPOWER_INTERVAL_S))
        )
    return meters


async def _run(args: argparse.Namespace) -> None:
    if args.replay:
        emulator_source: dict[str, Any] = {
            "telegrams": load_telegrams(args.replay),
            "interval_s": 1.0 if args.interval is None else args.interval,
            "replay_radio": args.replay_radio,
        }
    else:
        emulator_source = {"meters": simulated_meters(args), "status_file": args.status_file}
    emulator_source.update(radio_options(args))
    emulator = EMULATORS[args.radio](
        args.link,
        rssi_dbm=args.rssi,
        repeat=not args.once,
        garbage_every=args.garbage_every,
        **emulator_source,
    )
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    tasks: set[asyncio.Task[None]] = set()

    def unplug() -> None:
        task = loop.create_task(emulator.unplug(args.unplug_seconds))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, unplug)
    loop.add_signal_handler(signal.SIGUSR2, lambda: emulator.flip_bits(args.flip_bits))
    loop.add_signal_handler(signal.SIGHUP, lambda: emulator.stop_answering(emulator.answering))
    async with emulator:
        _LOGGER.info("%s emulator at %s (pid %d)", args.radio, args.link, os.getpid())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.seconds):
                await stop.wait()
        for task in tasks:
            task.cancel()
    _LOGGER.info("sent %d frames, lost %d bytes", emulator.frames_sent, emulator.bytes_lost)


def main(argv: Iterable[str] | None = None) -> None:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    try:
        asyncio.run(_run(args))
    except TelegramFileError as err:
        raise SystemExit(f"emulator: {err}") from None


if __name__ == "__main__":
    main()
