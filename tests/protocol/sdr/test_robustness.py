"""The demodulator against what goes wrong on the air and in a dongle (synthetic air)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray
import pytest

from custom_components.wmbus.protocol.blocks import FrameFormat, add_block_crcs
from custom_components.wmbus.protocol.radios.sdr.demod import (
    THREE_OF_SIX,
    Demodulator,
    three_of_six_decode,
)
from tools import iq_modulator
from tools.iq_modulator import Burst, modulate, spaced_bursts

from .conftest import demodulate, good, random_telegrams

MODES = (("T1", FrameFormat.A), ("C1", FrameFormat.A), ("C1", FrameFormat.B))


@pytest.mark.parametrize("rate", [1.2e6, 2.4e6])
def test_nothing_from_noise(rate: float) -> None:
    """Seconds of noise (and a noise level that jumps 6 dB) give no frame at all, good or bad."""
    quiet = modulate([], sample_rate=rate, duration_s=1.5, noise_lsb=4.0, seed=1)
    loud = modulate([], sample_rate=rate, duration_s=1.5, noise_lsb=8.0, seed=2)
    assert demodulate(quiet + loud, rate) == []


def test_nothing_good_from_random_frames_behind_a_sync_word() -> None:
    """A right sync word followed by random bytes: demodulated, never passed as good."""
    rng = np.random.default_rng(3)
    bursts = []
    for index in range(30):
        size = int(rng.integers(12, 60))
        frame = bytearray(rng.integers(0, 256, size + 8, dtype=np.uint8).tobytes())
        mode, fmt = MODES[index % 3]
        bursts.append(Burst(bytes(frame), mode, fmt, 2e-3 + index * 8e-3, raw_frame=True))
    frames = demodulate(modulate(bursts, sample_rate=1.6e6, seed=3), 1.6e6)
    assert frames  # they were heard...
    assert not any(f.crc_ok or f.telegram is not None for f in frames)  # ...and refused


@pytest.mark.parametrize(("mode", "fmt"), MODES)
@pytest.mark.parametrize("where", ["block 1", "last block", "crc", "length"])
def test_a_broken_crc_never_passes(mode: str, fmt: FrameFormat, where: str) -> None:
    (telegram,) = random_telegrams(11, 1, 40, 40)
    frame = bytearray(add_block_crcs(telegram, fmt))
    position = {"block 1": 5, "last block": len(frame) - 4, "crc": 10, "length": 0}[where]
    frame[position] ^= 0x10
    bursts = [
        Burst(bytes(frame), mode, fmt, 2e-3, snr_db=25.0, raw_frame=True),
        Burst(telegram, mode, fmt, 12e-3, snr_db=25.0),  # the same, right: heard
    ]
    frames = demodulate(modulate(bursts, sample_rate=1.6e6, seed=4), 1.6e6)
    assert good(frames) == [telegram]
    broken = [f for f in frames if not f.crc_ok]
    if where != "length":  # a wrong L may well end the frame where nothing was sent
        assert len(broken) == 1
        assert broken[0].telegram is None
        assert broken[0].raw[: position + 1] == bytes(frame[: position + 1])


def test_three_of_six_invalid_word_is_flagged() -> None:
    def chips(words: list[int]) -> NDArray[np.uint8]:
        return np.array([int(c) for w in words for c in f"{w:06b}"], dtype=np.uint8)

    assert three_of_six_decode(chips([THREE_OF_SIX[0xA], THREE_OF_SIX[0x5]])) == (b"\xa5", True)
    data, ok = three_of_six_decode(chips([THREE_OF_SIX[0xA], 0x3F]))
    assert not ok
    assert data == b"\xa0"


@pytest.mark.parametrize("strong_first", [False, True])
@pytest.mark.parametrize(("mode", "fmt"), MODES)
def test_a_strong_burst_over_a_weak_one(mode: str, fmt: FrameFormat, strong_first: bool) -> None:
    """The stronger of two overlapping bursts is heard (FM capture); the weak one is not made up.

    Whether the strong one starts 1.5 ms into the weak one, or the weak one 1.5 ms into it.
    """
    weak, strong = random_telegrams(12, 2, 50, 60)
    starts = (3.5e-3, 2e-3) if strong_first else (2e-3, 3.5e-3)
    bursts = [
        Burst(weak, mode, fmt, starts[0], snr_db=12.0, offset_hz=-20e3),
        Burst(strong, mode, fmt, starts[1], snr_db=30.0, offset_hz=15e3),
    ]
    frames = demodulate(modulate(bursts, sample_rate=1.6e6, seed=5), 1.6e6)
    assert good(frames) == [strong]


@pytest.mark.parametrize(("mode", "fmt"), MODES)
def test_two_equal_bursts_on_top_of_each_other(mode: str, fmt: FrameFormat) -> None:
    """Equal power, 1 ms apart: whatever is heard is one of them, never a mixture passed as good."""
    first, second = random_telegrams(22, 2, 40, 60)
    bursts = [
        Burst(first, mode, fmt, 2e-3, snr_db=20.0, offset_hz=-10e3),
        Burst(second, mode, fmt, 3e-3, snr_db=20.0, offset_hz=10e3),
    ]
    frames = demodulate(modulate(bursts, sample_rate=1.6e6, seed=6), 1.6e6)
    assert set(good(frames)) <= {first, second}


@pytest.mark.parametrize(("mode", "fmt"), MODES)
def test_back_to_back_and_overlapping_tails(mode: str, fmt: FrameFormat) -> None:
    """Bursts 0.3 ms apart, or whose postamble overlaps the next preamble, all decode."""
    telegrams = random_telegrams(13, 6)
    for gap in (0.3e-3, -0.03e-3):  # -30 us: 3 of the 4 postamble chips under the next burst
        bursts = spaced_bursts(telegrams, mode=mode, frame_format=fmt, gap_s=gap, snr_db=20.0)
        frames = demodulate(modulate(bursts, sample_rate=1.6e6, seed=6), 1.6e6)
        assert good(frames) == telegrams, gap


IMPAIRMENTS: dict[str, tuple[dict[str, float], dict[str, object]]] = {
    "DC 5-4j LSB": ({}, {"dc_lsb": 5 - 4j}),
    "IQ 1 dB 5 deg": ({}, {"iq_gain_db": 1.0, "iq_phase_deg": 5.0}),
    "chip rate -0.6 %": ({"chip_rate": 99.4e3}, {}),
    "chip rate +0.6 %": ({"chip_rate": 100.6e3}, {}),
    "drift +1 MHz/s": ({"drift_hz_per_s": 1e6, "offset_hz": -40e3}, {}),  # 27 kHz a frame
    "drift -1 MHz/s": ({"drift_hz_per_s": -1e6, "offset_hz": 40e3}, {}),
    "deviation 40 kHz": ({"deviation_hz": 40e3}, {}),
    "strong (near clipping)": ({"snr_db": 35.0}, {"noise_lsb": 3.0}),
}


@pytest.mark.parametrize("impairment", IMPAIRMENTS)
@pytest.mark.parametrize(("mode", "fmt"), MODES)
def test_impairments_at_15db(mode: str, fmt: FrameFormat, impairment: str) -> None:
    burst_options, air_options = IMPAIRMENTS[impairment]
    options = {"snr_db": 15.0, **burst_options}
    telegrams = random_telegrams(14, 4, 100, 200)  # long frames: 13 to 27 ms on the air
    bursts = spaced_bursts(telegrams, mode=mode, frame_format=fmt, gap_s=5e-3, **options)
    data = modulate(bursts, sample_rate=1.6e6, seed=7, **air_options)  # type: ignore[arg-type]
    assert good(demodulate(data, 1.6e6)) == telegrams


@pytest.mark.parametrize("rate", [1.6e6, 2.4e6])
def test_tuned_to_868_625_as_wmbusmeters_does(rate: float) -> None:
    telegrams = random_telegrams(15, 3)
    for mode, fmt in MODES:
        bursts = spaced_bursts(telegrams, mode=mode, frame_format=fmt, snr_db=15.0)
        data = modulate(bursts, sample_rate=rate, center_hz=868.625e6, seed=8)
        assert good(demodulate(data, rate, 868.625e6)) == telegrams


def test_streaming_memory_is_bounded_and_blocks_do_not_matter() -> None:
    telegrams = random_telegrams(16, 12, 12, 250)
    bursts = spaced_bursts(telegrams, gap_s=20e-3, snr_db=20.0)
    data = modulate(bursts, sample_rate=1.6e6, seed=9)
    demod = Demodulator(1.6e6)
    heard = []
    peak = 0
    rng = np.random.default_rng(9)
    position = 0
    while position < len(data):
        size = int(rng.integers(1, 40_000))
        heard += demod.feed(data[position : position + size])
        peak = max(peak, demod.buffered_samples)
        position += size
    heard += demod.flush()
    assert good(heard) == telegrams
    # One longest frame (T1, L = 255: 36 ms) plus a block, at 400 kS/s.
    assert peak < 0.040 * 400e3 + 40_000 / 2 / 4


def test_numpy_input_and_odd_sizes() -> None:
    (telegram,) = random_telegrams(17, 1)
    data = modulate([Burst(telegram, start_s=1e-3)], sample_rate=1.2e6)
    demod = Demodulator(1.2e6)
    frames = demod.feed(np.frombuffer(data[:12_345], dtype=np.uint8))
    frames += demod.feed(data[12_345:]) + demod.flush()
    assert good(frames) == [telegram]


def test_channel_must_be_in_the_band() -> None:
    with pytest.raises(ValueError, match="outside"):
        Demodulator(1.2e6, 868.3e6)
    with pytest.raises(ValueError, match="too low"):
        Demodulator(250e3)


def test_modulator_is_deterministic_and_has_a_command_line(tmp_path: Path) -> None:
    (telegram,) = random_telegrams(18, 1)
    bursts = [Burst(telegram, "C1", FrameFormat.B, 1e-3, snr_db=12.0, offset_hz=20e3)]
    assert modulate(bursts, seed=5) == modulate(bursts, seed=5)
    assert modulate(bursts, seed=5) != modulate(bursts, seed=6)
    out = tmp_path / "air.cu8"
    argv = [
        "-o",
        str(out),
        "--mode",
        "C1",
        "--format",
        "B",
        "--rate",
        "2.4e6",
        "--center",
        "868.625e6",
        "--offset=-30e3",
        "--snr",
        "18",
        "--repeat",
        "2",
        telegram.hex(),
    ]
    assert iq_modulator.main(argv) == 0
    assert good(demodulate(out.read_bytes(), 2.4e6, 868.625e6)) == [telegram, telegram]


@pytest.mark.parametrize(("mode", "fmt"), MODES)
def test_a_block_boundary_anywhere_in_a_burst(mode: str, fmt: FrameFormat) -> None:
    """Regression: a burst begun under 1 ms before a block's end was trimmed as too short."""
    (telegram,) = random_telegrams(19, 1, 40, 40)
    burst = Burst(telegram, mode, fmt, 20e-3, snr_db=15.0)
    data = modulate([burst], sample_rate=1.6e6, duration_s=0.05, seed=10)
    first_chip = 2 * round(20e-3 * 1.6e6)
    for split_us in range(-1500, int(burst.duration_s * 1e6), 125):
        split = first_chip + 2 * round(split_us * 1.6)
        demod = Demodulator(1.6e6)
        frames = demod.feed(data[:split]) + demod.feed(data[split:]) + demod.flush()
        assert good(frames) == [telegram], split_us


def test_a_burst_before_the_noise_floor_is_known() -> None:
    """Regression: the first 5 ms (before a noise floor) were dropped when fed in small blocks."""
    (telegram,) = random_telegrams(20, 1)
    data = modulate([Burst(telegram, start_s=0.5e-3, snr_db=15.0)], sample_rate=1.6e6, seed=11)
    assert good(demodulate(data, 1.6e6, block=4000)) == [telegram]


@pytest.mark.parametrize(("mode", "fmt"), MODES)
def test_a_busy_channel(mode: str, fmt: FrameFormat) -> None:
    """Regression: 0.2 ms apart for 200-300 ms, bursts took the noise floor up to their power."""
    telegrams = random_telegrams(21, 16, 12, 250)
    bursts = spaced_bursts(telegrams, mode=mode, frame_format=fmt, gap_s=0.2e-3, snr_db=20.0)
    data = modulate(bursts, sample_rate=1.6e6, seed=2)
    for block in (8192, 1 << 20):
        assert good(demodulate(data, 1.6e6, block=block)) == telegrams, block


@pytest.mark.parametrize("rate", [1.024e6, 2.048e6, 2.56e6])
def test_rates_without_a_whole_number_of_samples_a_chip(rate: float) -> None:
    """Regression: at 4.27 samples a chip (2.56 MS/s) a template laid at 4 missed every burst."""
    telegrams = random_telegrams(23, 3)
    for mode, fmt in MODES:
        bursts = spaced_bursts(telegrams, mode=mode, frame_format=fmt, snr_db=15.0, offset_hz=30e3)
        assert good(demodulate(modulate(bursts, sample_rate=rate, seed=12), rate)) == telegrams


def test_the_callers_buffer_may_be_reused() -> None:
    """A driver reads each block into the same buffer: nothing may point into it afterwards."""
    telegrams = random_telegrams(24, 3)
    data = modulate(
        spaced_bursts(telegrams, lead_s=0.3e-3, snr_db=15.0), sample_rate=1.6e6, seed=13
    )
    demod = Demodulator(1.6e6)
    block = np.zeros(4096, dtype=np.uint8)  # under 5 ms: no noise floor yet, nothing trimmed
    frames = []
    for start in range(0, len(data), len(block)):
        part = np.frombuffer(data[start : start + len(block)], dtype=np.uint8)
        block[: len(part)] = part
        frames += demod.feed(block[: len(part)])
        block[:] = 0  # the driver's next read would land here
    frames += demod.flush()
    assert good(frames) == telegrams


@pytest.mark.parametrize(("mode", "fmt"), MODES[:2])
def test_an_s1_signal_at_868_3_mhz_20_db_stronger(mode: str, fmt: FrameFormat) -> None:
    """Tuned to 868.625 MHz as wmbusmeters does for S1 and T1 at once, S1 sending non-stop.

    S1 sits 650 kHz from the channel once that is mixed to 0 Hz; the decimation triangle lets
    it through at -25 dB. Measured: 20 dB over the wanted burst (15 dB SNR) decodes every
    burst, 25 dB none (the candidate search drowns in its alias).
    """
    rate, center = 1.6e6, 868.625e6
    telegrams = random_telegrams(25, 4, 20, 60)
    bursts = spaced_bursts(telegrams, mode=mode, frame_format=fmt, snr_db=15.0)
    air = np.frombuffer(
        modulate(bursts, sample_rate=rate, center_hz=center, noise_lsb=2.0, seed=14), np.uint8
    ).astype(np.float64)
    n = len(air) // 2
    chips = np.random.default_rng(15).integers(0, 2, n * 32768 // int(rate) + 2)
    index = (np.arange(n) * 32768 // int(rate)).astype(np.intp)
    freq = (2.0 * chips[index] - 1) * 50e3 + (868.3e6 - center)  # S1: 32.768 kchip/s
    noise_200k = 2 * 2.0**2 * 200e3 / rate
    s1 = np.sqrt(noise_200k * 10 ** (35 / 10)) * np.exp(2j * np.pi * np.cumsum(freq) / rate)
    air[0::2] += s1.real
    air[1::2] += s1.imag
    data = np.clip(np.rint(air), 0, 255).astype(np.uint8).tobytes()
    assert good(demodulate(data, rate, center)) == telegrams
