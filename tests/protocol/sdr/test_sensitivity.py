"""What the demodulator decodes, by SNR, carrier offset, sample rate and mode (synthetic air).

SNR is signal power over the noise power in a 200 kHz band (tools/iq_modulator). Measured with
``python -m tools.bench_sdr --sweep --per-cell 50`` (50 bursts a cell, 12-60 byte telegrams,
offsets 0, +-30 and +-60 kHz, 1.2 / 1.6 / 2.4 MS/s, T1 / C1 A / C1 B): at 8 dB 72-98 % of the
bursts of a cell, at 10 dB 96-100 %, at 12, 15 and 20 dB all of them. These tests hold each
mode and rate to a little less over the five offsets (20 bursts at 8 and 10 dB, 10 above),
so they stay fast.
"""

from __future__ import annotations

import pytest

from custom_components.wmbus.protocol.blocks import FrameFormat
from tools.iq_modulator import Burst, modulate

from .conftest import demodulate, good, random_telegrams

RATES = (1.2e6, 1.6e6, 2.4e6)
OFFSETS = (-60e3, -30e3, 0.0, 30e3, 60e3)
MODES = (("T1", FrameFormat.A), ("C1", FrameFormat.A), ("C1", FrameFormat.B))


def decoded_share(
    mode: str, fmt: FrameFormat, rate: float, snr_db: float, per_offset: int, seed: int
) -> float:
    sent: list[bytes] = []
    bursts: list[Burst] = []
    start = 2e-3
    for index, offset in enumerate(OFFSETS):
        for telegram in random_telegrams(seed * 10 + index, per_offset):
            burst = Burst(telegram, mode, fmt, start, snr_db=snr_db, offset_hz=offset)
            bursts.append(burst)
            sent.append(telegram)
            start += burst.duration_s + 3e-3
    frames = demodulate(modulate(bursts, sample_rate=rate, seed=seed), rate)
    heard = good(frames)
    assert all(telegram in sent for telegram in heard)  # nothing made up
    return sum(telegram in heard for telegram in sent) / len(sent)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize(("mode", "fmt"), MODES)
def test_snr_10db_all_offsets(mode: str, fmt: FrameFormat, rate: float) -> None:
    assert decoded_share(mode, fmt, rate, 10.0, 4, seed=int(rate) // 1000 + len(mode)) >= 0.9


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize(("mode", "fmt"), MODES)
def test_snr_8db_most_still_decode(mode: str, fmt: FrameFormat, rate: float) -> None:
    assert decoded_share(mode, fmt, rate, 8.0, 4, seed=int(rate) // 1000 + 3) >= 0.6


@pytest.mark.parametrize("snr_db", [12.0, 15.0, 20.0])
@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize(("mode", "fmt"), MODES)
def test_snr_12_15_and_20db_every_burst(
    mode: str, fmt: FrameFormat, rate: float, snr_db: float
) -> None:
    assert decoded_share(mode, fmt, rate, snr_db, 2, seed=int(snr_db)) == 1.0


@pytest.mark.parametrize(("mode", "fmt"), MODES)
@pytest.mark.parametrize("offset", OFFSETS)
def test_offset_and_level_reported(mode: str, fmt: FrameFormat, offset: float) -> None:
    (telegram,) = random_telegrams(7, 1)
    data = modulate(
        [Burst(telegram, mode, fmt, 5e-3, snr_db=20.0, offset_hz=offset)],
        sample_rate=1.6e6,
        duration_s=0.03,
    )
    (frame,) = demodulate(data, 1.6e6)
    assert frame.telegram == telegram
    assert frame.mode == mode
    assert frame.frame_format is fmt
    assert abs(frame.offset_hz - offset) < 3e3
    assert 18.0 < frame.snr_db < 22.0
    # sample_index is at the L-field: after 48 chips (T1: 38 of preamble, 10 of sync word) or
    # 58 (C1: 32, 10, then 0x54 and 0xCD / 0x3D).
    chips_before = 48 if mode == "T1" else 58
    assert abs(frame.time_s - (5e-3 + chips_before / 100e3)) < 15e-6
