"""An emulated ``rtl_tcp`` server: IQ samples in real time, for tests and ``scripts/develop``.

    python -m tools.rtl_tcp_emulator                          # meter 32666857 on the air
    python -m tools.rtl_tcp_emulator --water --heat           # and two T1 meters
    python -m tools.rtl_tcp_emulator --replay FILE            # telegrams from a file
    python -m tools.rtl_tcp_emulator --iq FILE --sample-rate 1.6e6   # a cu8 file, looped

It speaks the rtl_tcp protocol (rtl-sdr's ``rtl_tcp.c``; codec in
``custom_components/wmbus/protocol/radios/sdr/rtl_tcp.py``): the 12-byte ``RTL0`` header with a
tuner type and gain count, then samples, paced to the sample rate; it takes the 5-byte
commands, records them (``commands``) and honours the sample rate (the pace, and the rate the
air is synthesised at) and the frequency (where the channel at 868.95 MHz lands; tuned too far
away it hears noise only). One client at a time, as rtl_tcp.

What is on the air: the meters of ``tools/simulated_meters.py`` (the OmniPower 32666857,
``--water``, ``--heat``; C1 for the OmniPower, T1 for the others) each at its own interval,
modulated by ``tools/iq_modulator.py`` at ``--snr`` dB in noise; or a telegram file replayed
(``tools/emulators/telegrams.py``) every ``--interval`` seconds in T1; or a cu8 file looped
as recorded. Prints ``rtl_tcp://127.0.0.1:PORT``, the address to type in the config flow.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import deque
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass
import logging
import math
import os
from pathlib import Path
import signal
import sys
import time
from types import TracebackType
from typing import Final, Protocol, Self

from custom_components.wmbus.protocol.radios.sdr import rtl_tcp
from tools.emulators.telegrams import load_telegrams
from tools.iq_modulator import CHANNEL_HZ, Burst, modulate
from tools.simulated_meters import (
    HEAT_INTERVAL_S,
    OMNIPOWER_INTERVAL_S,
    WATER_INTERVAL_S,
    HeatMeter,
    HouseholdLoad,
    OmniPower,
    SimulatedMeter,
    WaterMeter,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_SAMPLE_RATE: Final = 1.6e6
CHUNK_S: Final = 0.02  # samples go out in 20 ms pieces
NOISE_S: Final = 0.25  # noise made once and reused
NOISE_LSB: Final = 6.0
GAIN_COUNT: Final = 29  # an R820T offers 29 gains
SENT_KEPT: Final = 1000


class Air(Protocol):
    """What the dongle would receive, as cu8 bytes, piece by piece."""

    def read(self, nbytes: int, sample_rate: float, center_hz: float) -> bytes:
        """The next ``nbytes`` (even) of samples at this rate and tuning."""


class LoopedFile:
    """A cu8 recording played in a loop (its own rate and tuning, whatever the client set)."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 2:
            raise ValueError("an IQ file needs at least one sample")
        self._data = data[: len(data) // 2 * 2]
        self._at = 0

    def read(self, nbytes: int, sample_rate: float, center_hz: float) -> bytes:
        """The next bytes of the file, from its start again at its end."""
        out = bytearray()
        while len(out) < nbytes:
            piece = self._data[self._at : self._at + nbytes - len(out)]
            out += piece
            self._at = (self._at + len(piece)) % len(self._data)
        return bytes(out)


@dataclass
class _Sender:
    meter: SimulatedMeter | None
    telegrams: list[bytes]
    interval_s: float
    mode: str
    next_s: float
    sent: int = 0


class SynthesisedAir:
    """Telegrams modulated into noise when due: simulated meters or a replayed list."""

    def __init__(
        self,
        *,
        meters: Sequence[SimulatedMeter] = (),
        telegrams: Sequence[bytes] = (),
        interval_s: float = 1.0,
        snr_db: float = 20.0,
        offset_hz: float = 0.0,
        first_after_s: float = 0.2,
        seed: int = 0,
    ) -> None:
        self._senders = [
            _Sender(
                meter,
                [],
                meter.interval_s,
                "C1" if meter.radio_mode == "c" else "T1",
                first_after_s + 0.1 * index,
            )
            for index, meter in enumerate(meters)
        ]
        if telegrams:
            self._senders.append(
                _Sender(None, list(telegrams), max(interval_s, 0.05), "T1", first_after_s)
            )
        self._snr_db = snr_db
        self._offset_hz = offset_hz
        self._seed = seed
        self._pending = bytearray()
        self._samples = 0  # samples handed out or pending, at the current rate
        self._rate = 0.0
        self._noise = b""
        self._noise_at = 0
        self.bursts_sent = 0
        self.sent: deque[bytes] = deque(maxlen=SENT_KEPT)  # telegrams put on the air, in tests

    def _noise_bytes(self, nbytes: int) -> bytes:
        out = bytearray()
        while len(out) < nbytes:
            piece = self._noise[self._noise_at : self._noise_at + nbytes - len(out)]
            out += piece
            self._noise_at = (self._noise_at + len(piece)) % len(self._noise)
        return bytes(out)

    def _telegram_of(self, sender: _Sender, elapsed_s: float) -> bytes:
        if sender.meter is not None:
            return sender.meter.telegram(elapsed_s)
        return sender.telegrams[sender.sent % len(sender.telegrams)]

    def read(self, nbytes: int, sample_rate: float, center_hz: float) -> bytes:
        """Noise, and each telegram modulated whole when it is due."""
        if sample_rate != self._rate:
            self._samples = round(self._samples / self._rate * sample_rate) if self._rate else 0
            self._rate = sample_rate
            self._noise = modulate(
                [],
                sample_rate=sample_rate,
                duration_s=NOISE_S,
                noise_lsb=NOISE_LSB,
                seed=self._seed,
            )
            self._noise_at = 0
        in_band = abs(CHANNEL_HZ + self._offset_hz - center_hz) < sample_rate / 2 - 100e3
        while len(self._pending) < nbytes:
            now_s = self._samples / sample_rate
            due = min(self._senders, key=lambda s: s.next_s, default=None)
            if due is not None and due.next_s <= now_s:
                telegram = self._telegram_of(due, now_s)
                self.sent.append(telegram)
                due.sent += 1
                due.next_s += due.interval_s
                if in_band:
                    burst = Burst(
                        telegram,
                        due.mode,
                        start_s=1e-3,
                        snr_db=self._snr_db,
                        offset_hz=self._offset_hz,
                    )
                    samples = modulate(
                        [burst],
                        sample_rate=sample_rate,
                        center_hz=center_hz,
                        duration_s=burst.duration_s + 2e-3,
                        noise_lsb=NOISE_LSB,
                        seed=self._seed + self.bursts_sent + 1,
                    )
                    self._pending += samples
                    self._samples += len(samples) // 2
                    self.bursts_sent += 1
                continue
            until_s = now_s + CHUNK_S if due is None else min(due.next_s, now_s + CHUNK_S)
            count = max(1, math.ceil((until_s - now_s) * sample_rate))
            self._pending += self._noise_bytes(2 * count)
            self._samples += count
        out = bytes(self._pending[:nbytes])
        del self._pending[:nbytes]
        return out


class RtlTcpEmulator:
    """An rtl_tcp server on ``host:port`` (0: any free port) serving ``air``.

    ``speed`` 1.0 paces samples in real time; higher serves faster (``math.inf``: as fast as
    the client reads). ``commands`` records every (command, parameter) received; ``sending``
    False keeps clients connected but sends nothing (a hung server).
    """

    def __init__(
        self,
        air: Air,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        sample_rate: float = DEFAULT_SAMPLE_RATE,
        center_hz: float = CHANNEL_HZ,
        tuner: rtl_tcp.TunerType = rtl_tcp.TunerType.R820T,
        gain_count: int = GAIN_COUNT,
        speed: float = 1.0,
        header: bytes | None = None,
    ) -> None:
        self.air = air
        self.host = host
        self.port = port
        self.sample_rate = sample_rate
        self.center_hz = center_hz
        self.speed = speed
        self._header = (
            rtl_tcp.encode_header(rtl_tcp.DongleInfo(tuner, gain_count))
            if header is None
            else header
        )
        self.commands: list[tuple[rtl_tcp.Command | int, int]] = []
        self.clients_served = 0
        self.bytes_sent = 0
        self.sending = True  # False: connected but silent, as a hung rtl_tcp
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()
        self._one_client = asyncio.Lock()

    @property
    def address(self) -> str:
        """``rtl_tcp://host:port``: what a user types in the config flow."""
        return rtl_tcp.format_address(self.host, self.port)

    async def start(self) -> None:
        """Listen (again, on the same port after a ``stop``)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and drop every client: the server went away."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task in list(self._clients):
            task.cancel()
        for task in list(self._clients):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if server is not None:
            await server.wait_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            # rtl_tcp serves one client at a time; the next waits until the current one leaves.
            async with self._one_client:
                await self._serve_one(reader, writer)
        except asyncio.CancelledError:
            writer.close()
        finally:
            self._clients.discard(task)

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients_served += 1
        loop = asyncio.get_running_loop()
        writer.write(self._header)
        # The client leaving (EOF on its commands) or a write failing ends the session.
        tasks = {
            loop.create_task(self._read_commands(reader)),
            loop.create_task(self._stream(writer)),
        }
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await task
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _read_commands(self, reader: asyncio.StreamReader) -> None:
        rest = b""
        while data := await reader.read(256):
            found, rest = rtl_tcp.decode_commands(rest + data)
            for command, parameter in found:
                self.commands.append((command, parameter))
                if command is rtl_tcp.Command.SET_SAMPLE_RATE and parameter > 0:
                    self.sample_rate = float(parameter)
                elif command is rtl_tcp.Command.SET_FREQUENCY:
                    self.center_hz = float(parameter)

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        started = time.monotonic()
        paced_s = 0.0  # air time sent, in seconds of the rate in force when sent
        while True:
            if not self.sending:
                await asyncio.sleep(CHUNK_S)
                started = time.monotonic() - paced_s / self.speed
                continue
            rate = self.sample_rate
            count = max(1, round(rate * CHUNK_S))
            writer.write(self.air.read(2 * count, rate, self.center_hz))
            self.bytes_sent += 2 * count
            await writer.drain()
            paced_s += count / rate
            if math.isinf(self.speed):
                await asyncio.sleep(0)
                continue
            wait = started + paced_s / self.speed - time.monotonic()
            await asyncio.sleep(max(wait, 0.0))


def simulated(args: argparse.Namespace) -> Air:
    """The air the command line asks for."""
    if args.iq:
        return LoopedFile(Path(args.iq).read_bytes())
    if args.replay:
        return SynthesisedAir(
            telegrams=load_telegrams(args.replay),
            interval_s=1.0 if args.interval is None else args.interval,
            snr_db=args.snr,
            offset_hz=args.offset,
        )

    def interval(own_s: float) -> float:
        return own_s if args.interval is None else max(args.interval, 0.1)

    meters: list[SimulatedMeter] = [
        OmniPower(load=HouseholdLoad(seed=args.seed), interval_s=interval(OMNIPOWER_INTERVAL_S))
    ]
    if args.water:
        meters.append(WaterMeter(interval_s=interval(WATER_INTERVAL_S)))
    if args.heat:
        meters.append(HeatMeter(interval_s=interval(HEAT_INTERVAL_S)))
    return SynthesisedAir(meters=meters, snr_db=args.snr, offset_hz=args.offset)


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.rtl_tcp_emulator",
        description="An emulated rtl_tcp server serving wireless M-Bus IQ samples.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1234, help="TCP port (0: any free one)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--iq", help="a cu8 file to loop (as rtl_sdr writes it)")
    source.add_argument("--replay", help="telegram file (vectors or corpus JSON, hex lines)")
    parser.add_argument(
        "--sample-rate",
        type=float,
        default=DEFAULT_SAMPLE_RATE,
        help="samples per second until a client sets one",
    )
    parser.add_argument("--interval", type=float, help="seconds between telegrams")
    parser.add_argument("--water", action="store_true", help="add the mode-5 water meter (T1)")
    parser.add_argument("--heat", action="store_true", help="add the mode-5 heat meter (T1)")
    parser.add_argument("--snr", type=float, default=20.0, help="signal to noise in 200 kHz, dB")
    parser.add_argument("--offset", type=float, default=0.0, help="carrier offset in Hz")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated load")
    parser.add_argument("--seconds", type=float, help="stop after this long")
    return parser


async def _run(args: argparse.Namespace) -> None:
    emulator = RtlTcpEmulator(
        simulated(args), host=args.host, port=args.port, sample_rate=args.sample_rate
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with emulator:
        print(emulator.address, flush=True)
        _LOGGER.info("rtl_tcp emulator at %s (pid %d)", emulator.address, os.getpid())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.seconds):
                await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until Ctrl-C, SIGTERM or ``--seconds``."""
    args = build_parser().parse_args(argv)
    if args.iq and (args.water or args.heat):
        build_parser().error("--iq plays a file: --water and --heat simulate")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    asyncio.run(_run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
