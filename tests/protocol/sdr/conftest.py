"""Helpers for the SDR tests: synthetic air from tools/iq_modulator, decoded in one go."""

from __future__ import annotations

import numpy as np

from custom_components.wmbus.protocol.radios.sdr.demod import DemodulatedFrame, Demodulator


def random_telegrams(seed: int, count: int, low: int = 12, high: int = 60) -> list[bytes]:
    """Telegrams of random bytes (L set) from ``low`` to ``high`` bytes long."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        size = int(rng.integers(low, high + 1))
        telegram = bytearray(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
        telegram[0] = size - 1
        out.append(bytes(telegram))
    return out


def demodulate(
    data: bytes, sample_rate: float, center_hz: float = 868.95e6, block: int = 1 << 18
) -> list[DemodulatedFrame]:
    """All frames of ``data`` fed in blocks of ``block`` bytes, then flushed."""
    demod = Demodulator(sample_rate, center_hz)
    frames: list[DemodulatedFrame] = []
    for start in range(0, len(data), block):
        frames += demod.feed(data[start : start + block])
    return frames + demod.flush()


def good(frames: list[DemodulatedFrame]) -> list[bytes]:
    """The telegrams of the frames whose CRCs check."""
    return [f.telegram for f in frames if f.crc_ok and f.telegram is not None]
