"""Synthetic RTL-SDR air: wireless M-Bus T1 / C1 bursts as cu8 IQ samples, for the demodulator.

Importable (:func:`modulate`, :class:`Burst`) and a command line::

    python -m tools.iq_modulator -o air.cu8 --rate 1.6e6 --mode T1 --snr 12 --offset 30e3
        --drift 2e5 --gap 2e-3 --repeat 5 2C446850...

What a burst is made of (EN 13757-4): a preamble of ``01`` pairs (19 for mode T, 16 for mode
C), the sync word ``0000111101``, for mode C ``0x54`` and ``0xCD`` (frame format A) or ``0x3D``
(frame format B); the frame with its block CRCs (:func:`add_block_crcs`), 3-out-of-6 coded for
mode T (two 6-chip words a byte, high nibble first), NRZ most significant bit first for mode C;
a short ``0101`` postamble. 2-FSK, a ``1`` chip above the carrier, phase continuous, the chip
edges softened over a fifth of a chip as a real transmitter's filter does.

What the air and the dongle add: complex Gaussian noise (``noise_lsb`` per component), each
burst's power set by its SNR in a 200 kHz band (signal power over the noise power that falls in
200 kHz), a carrier offset from 868.95 MHz and a linear drift, the dongle's tuning
(``center_hz``), a DC offset, IQ gain and phase imbalance, 8-bit quantisation with clipping.
Bursts may overlap: their signals add. A seed makes it repeatable.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import math
from pathlib import Path
import sys
from typing import Final

import numpy as np
from numpy.typing import NDArray

from custom_components.wmbus.protocol.blocks import FrameFormat, add_block_crcs

CHANNEL_HZ: Final = 868.95e6
CHIP_RATE: Final = 100e3
DEVIATION_HZ: Final = 50e3
SNR_BAND_HZ: Final = 200e3

# EN 13757-4 3-out-of-6 code words for the nibbles 0..F.
THREE_OF_SIX: Final = (
    0x16, 0x0D, 0x0E, 0x0B, 0x1C, 0x19, 0x1A, 0x13,
    0x2C, 0x25, 0x26, 0x23, 0x34, 0x31, 0x32, 0x29,
)  # fmt: skip
SYNC_WORD: Final = "0000111101"
POSTAMBLE: Final = "0101"


@dataclass(frozen=True, slots=True)
class Burst:
    """One telegram on the air.

    ``telegram`` starts at the L-field, without block CRCs (they are added here); with
    ``raw_frame`` it is sent as given, CRCs included (right or wrong: tests send broken ones).
    """

    telegram: bytes
    mode: str = "T1"  # "T1" or "C1"
    frame_format: FrameFormat = FrameFormat.A
    start_s: float = 0.0
    snr_db: float = 20.0
    offset_hz: float = 0.0  # carrier minus 868.95 MHz at the burst's start
    drift_hz_per_s: float = 0.0
    chip_rate: float = CHIP_RATE
    deviation_hz: float = DEVIATION_HZ
    raw_frame: bool = False

    @property
    def chips(self) -> str:
        """The burst's chips, preamble to postamble."""
        return frame_chips(self.telegram, self.mode, self.frame_format, raw=self.raw_frame)

    @property
    def duration_s(self) -> float:
        """How long the burst lasts on the air."""
        return len(self.chips) / self.chip_rate


def frame_chips(
    telegram: bytes, mode: str, frame_format: FrameFormat = FrameFormat.A, *, raw: bool = False
) -> str:
    """The chips ('0'/'1') of a telegram sent in ``mode`` (T1: always frame format A).

    ``raw``: ``telegram`` already carries its block CRCs.
    """
    frame = telegram if raw else add_block_crcs(telegram, frame_format)
    if mode == "T1":
        if frame_format is not FrameFormat.A:
            raise ValueError("mode T sends frame format A only")
        body = "".join(
            f"{THREE_OF_SIX[byte >> 4]:06b}{THREE_OF_SIX[byte & 0xF]:06b}" for byte in frame
        )
        return "01" * 19 + SYNC_WORD + body + POSTAMBLE
    if mode == "C1":
        second = 0xCD if frame_format is FrameFormat.A else 0x3D
        body = "".join(f"{byte:08b}" for byte in frame)
        return "01" * 16 + SYNC_WORD + f"{0x54:08b}{second:08b}" + body + POSTAMBLE
    raise ValueError(f"unknown mode {mode!r} (T1 or C1)")


def _burst_signal(
    burst: Burst, sample_rate: float, center_hz: float, amplitude: float, phase0: float
) -> tuple[int, NDArray[np.complex64]]:
    """The burst's complex baseband samples and the index of its first sample."""
    chips = np.frombuffer(burst.chips.encode(), dtype=np.uint8) - ord("0")
    first = math.ceil(burst.start_s * sample_rate)
    n = math.ceil(len(chips) / burst.chip_rate * sample_rate)
    t = (first + np.arange(n)) / sample_rate - burst.start_s  # seconds into the burst
    index = np.minimum((t * burst.chip_rate).astype(np.intp), len(chips) - 1)
    freq = (2.0 * chips[index] - 1.0) * burst.deviation_hz
    soften = max(1, round(sample_rate / burst.chip_rate / 5))
    if soften > 1:
        freq = np.convolve(freq, np.full(soften, 1 / soften), mode="same")
    freq += burst.offset_hz + (CHANNEL_HZ - center_hz) + burst.drift_hz_per_s * t
    phase = phase0 + 2 * math.pi * np.cumsum(freq) / sample_rate
    return first, (amplitude * np.exp(1j * phase)).astype(np.complex64)


def modulate(
    bursts: list[Burst],
    *,
    sample_rate: float = 1.6e6,
    duration_s: float | None = None,
    center_hz: float = CHANNEL_HZ,
    noise_lsb: float = 6.0,
    dc_lsb: complex = 0j,
    iq_gain_db: float = 0.0,
    iq_phase_deg: float = 0.0,
    seed: int = 0,
) -> bytes:
    """cu8 IQ samples (rtl_sdr's format) of ``bursts`` in noise.

    ``noise_lsb`` is the noise's standard deviation per component in 8-bit steps (the real
    recordings show 6 to 9); ``duration_s`` defaults to 1 ms past the last burst.
    """
    if duration_s is None:
        duration_s = max((b.start_s + b.duration_s for b in bursts), default=0.0) + 1e-3
    n = math.ceil(duration_s * sample_rate)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(2 * n, dtype=np.float32) * np.float32(noise_lsb)
    air: NDArray[np.complex64] = noise.view(np.complex64)
    noise_power = 2 * noise_lsb**2 * SNR_BAND_HZ / sample_rate  # complex noise in 200 kHz
    for burst in bursts:
        amplitude = math.sqrt(max(noise_power, 1e-12) * 10 ** (burst.snr_db / 10))
        first, signal = _burst_signal(
            burst, sample_rate, center_hz, amplitude, float(rng.uniform(0, 2 * math.pi))
        )
        end = min(n, first + len(signal))
        if first < end:
            air[first:end] += signal[: end - first]
    i = air.real
    q = air.imag
    if iq_gain_db or iq_phase_deg:
        gain = 10 ** (iq_gain_db / 20)
        phi = math.radians(iq_phase_deg)
        q = (gain * (q * math.cos(phi) + i * math.sin(phi))).astype(np.float32)
    out = np.empty(2 * n, dtype=np.float32)
    out[0::2] = i + np.float32(dc_lsb.real + 127.5)
    out[1::2] = q + np.float32(dc_lsb.imag + 127.5)
    np.rint(out, out=out)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8).tobytes()


def spaced_bursts(
    telegrams: list[bytes],
    *,
    mode: str = "T1",
    frame_format: FrameFormat = FrameFormat.A,
    lead_s: float = 2e-3,
    gap_s: float = 2e-3,
    snr_db: float = 20.0,
    offset_hz: float = 0.0,
    drift_hz_per_s: float = 0.0,
    chip_rate: float = CHIP_RATE,
    deviation_hz: float = DEVIATION_HZ,
) -> list[Burst]:
    """Bursts one after the other, ``gap_s`` apart (negative: each overlaps the one before)."""
    bursts: list[Burst] = []
    start = lead_s
    for telegram in telegrams:
        burst = Burst(
            telegram,
            mode,
            frame_format,
            start,
            snr_db=snr_db,
            offset_hz=offset_hz,
            drift_hz_per_s=drift_hz_per_s,
            chip_rate=chip_rate,
            deviation_hz=deviation_hz,
        )
        bursts.append(burst)
        start = max(0.0, start + burst.duration_s + gap_s)
    return bursts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("telegrams", nargs="+", help="hex, from the L-field, no block CRCs")
    parser.add_argument("-o", "--output", type=Path, required=True, help="cu8 file to write")
    parser.add_argument("--mode", choices=("T1", "C1"), default="T1")
    parser.add_argument("--format", choices=("A", "B"), default="A", help="frame format (C1)")
    parser.add_argument("--rate", type=float, default=1.6e6, help="sample rate: 1.2e6 1.6e6 2.4e6")
    parser.add_argument("--center", type=float, default=CHANNEL_HZ, help="dongle tuning, Hz")
    parser.add_argument("--offset", type=float, default=0.0, help="carrier offset, Hz")
    parser.add_argument("--drift", type=float, default=0.0, help="carrier drift, Hz/s")
    parser.add_argument("--snr", type=float, default=20.0, help="dB in a 200 kHz band")
    parser.add_argument("--noise-lsb", type=float, default=6.0)
    parser.add_argument("--dc", type=float, nargs=2, default=(0.0, 0.0), metavar=("I", "Q"))
    parser.add_argument("--iq-gain-db", type=float, default=0.0)
    parser.add_argument("--iq-phase-deg", type=float, default=0.0)
    parser.add_argument("--gap", type=float, default=2e-3, help="s between bursts; <0 overlaps")
    parser.add_argument("--repeat", type=int, default=1, help="send every telegram N times")
    parser.add_argument("--duration", type=float, default=None, help="s of air (default: fit)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    telegrams = [bytes.fromhex(t) for t in args.telegrams] * args.repeat
    bursts = spaced_bursts(
        telegrams,
        mode=args.mode,
        frame_format=FrameFormat(args.format),
        gap_s=args.gap,
        snr_db=args.snr,
        offset_hz=args.offset,
        drift_hz_per_s=args.drift,
    )
    data = modulate(
        bursts,
        sample_rate=args.rate,
        duration_s=args.duration,
        center_hz=args.center,
        noise_lsb=args.noise_lsb,
        dc_lsb=complex(*args.dc),
        iq_gain_db=args.iq_gain_db,
        iq_phase_deg=args.iq_phase_deg,
        seed=args.seed,
    )
    args.output.write_bytes(data)
    print(f"{args.output}: {len(bursts)} bursts, {len(data) // 2 / args.rate:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
