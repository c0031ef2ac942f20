"""The modulator's own promises: chips as EN 13757-4 lays them out, SNR, offset, tuning."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
import pytest

from custom_components.wmbus.protocol.blocks import FrameFormat, add_block_crcs
from tools.iq_modulator import THREE_OF_SIX, Burst, frame_chips, modulate

from .conftest import random_telegrams


def iq(data: bytes) -> NDArray[np.complex128]:
    samples = np.frombuffer(data, dtype=np.uint8).astype(np.float64) - 127.5
    return samples[0::2] + 1j * samples[1::2]


def test_chips_t1() -> None:
    (telegram,) = random_telegrams(30, 1)
    chips = frame_chips(telegram, "T1")
    frame = add_block_crcs(telegram)
    assert chips.startswith("01" * 19 + "0000111101")
    body = chips[48:-4]
    assert len(body) == 12 * len(frame)
    assert body[:12] == f"{THREE_OF_SIX[frame[0] >> 4]:06b}{THREE_OF_SIX[frame[0] & 15]:06b}"
    assert chips.endswith("0101")


@pytest.mark.parametrize(("fmt", "second"), [(FrameFormat.A, 0xCD), (FrameFormat.B, 0x3D)])
def test_chips_c1(fmt: FrameFormat, second: int) -> None:
    (telegram,) = random_telegrams(31, 1)
    chips = frame_chips(telegram, "C1", fmt)
    assert chips[: 32 + 26] == "01" * 16 + "0000111101" + f"{0x54:08b}{second:08b}"
    frame = add_block_crcs(telegram, fmt)
    assert chips[58:-4] == "".join(f"{byte:08b}" for byte in frame)


def test_t1_is_format_a_only() -> None:
    with pytest.raises(ValueError, match="format A"):
        frame_chips(b"\x0b" + bytes(11), "T1", FrameFormat.B)


@pytest.mark.parametrize("rate", [1.2e6, 2.4e6])
def test_snr_is_signal_over_noise_in_200_khz(rate: float) -> None:
    """Same seed, same noise: the difference is the burst; the noise's spectrum gives N."""
    (telegram,) = random_telegrams(32, 1, 60, 60)
    burst = Burst(telegram, "C1", FrameFormat.A, 1e-3, snr_db=15.0, offset_hz=20e3)
    noisy = iq(modulate([burst], sample_rate=rate, duration_s=0.02, seed=3))
    noise = iq(modulate([], sample_rate=rate, duration_s=0.02, seed=3))
    first, last = int(1.2e-3 * rate), int((1e-3 + burst.duration_s - 0.2e-3) * rate)
    signal_power = np.mean(np.abs(noisy[first:last] - noise[first:last]) ** 2)
    spectrum = np.abs(np.fft.fft(noise)) ** 2 / len(noise) ** 2
    freqs = np.fft.fftfreq(len(noise), 1 / rate)
    noise_200k = spectrum[np.abs(freqs) < 100e3].sum()
    assert 10 * np.log10(signal_power / noise_200k) == pytest.approx(15.0, abs=0.5)


@pytest.mark.parametrize(("center", "offset"), [(868.95e6, -40e3), (868.625e6, 25e3)])
def test_the_carrier_sits_where_asked(center: float, offset: float) -> None:
    """The burst's mean frequency is 868.95 MHz + offset, seen from the tuning."""
    (telegram,) = random_telegrams(33, 1, 60, 60)
    burst = Burst(telegram, "T1", start_s=0.0, snr_db=40.0, offset_hz=offset)
    x = iq(modulate([burst], sample_rate=2.4e6, center_hz=center, noise_lsb=1.0, seed=4))
    x = x[: int(burst.duration_s * 2.4e6)]
    mean_hz = np.angle(np.sum(x[1:] * np.conj(x[:-1]))) * 2.4e6 / (2 * np.pi)
    assert mean_hz == pytest.approx(868.95e6 - center + offset, abs=2e3)
