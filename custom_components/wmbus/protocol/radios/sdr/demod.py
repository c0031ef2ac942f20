"""Demodulate wireless M-Bus T1 and C1 from RTL-SDR IQ samples, in pure numpy.

EN 13757-4 sends modes T1 (meter to other) and C1 at 868.95 MHz as 2-FSK at 100 kchip/s with a
deviation of about +-50 kHz. Both start with an alternating ``01`` preamble and the sync word
``0000111101``; the last 16 chips before the data read ``0x543D`` (rtl_433's ``m_bus.c`` searches
exactly these 16 bits, rtl-wmbus too since its issue #47). After it:

* mode T: the frame (always format A) in 3-out-of-6 code, each byte as two 6-chip code words,
  high nibble first (EN 13757-4 table of the 3-out-of-6 code);
* mode C: ``0x54`` then ``0xCD`` (frame format A) or ``0x3D`` (frame format B), then the frame
  NRZ, most significant bit first.

A higher frequency is a ``1`` chip (checked on the real recordings in ``tests/data/iq``).

The pipeline, cheapest work first, so that the samples pay for little more than their
conversion (``tools/bench_sdr.py`` measures it against a bare FM discriminator):

1. uint8 IQ to complex64, the dongle's DC removed, the 868.95 MHz channel mixed to 0 Hz when the
   dongle is tuned elsewhere (wmbusmeters tunes 868.625 MHz for S1 and T1 at once);
2. decimation by ``D`` to about 4 samples per chip (400 kS/s for 1.2, 1.6 and 2.4 MS/s) through
   a triangle of ``2D - 1`` taps (two boxcars: a sinc squared, nulls on every alias of 0 Hz).
   A single boxcar let noise from -240 kHz alias onto +160 kHz, where a carrier 60 kHz high
   has its upper tone: it lost half the bursts at 8 dB that a centred carrier kept;
3. power in 8-chip chunks against a noise floor (a low percentile of the recent chunks):
   only stretches with energy go further;
4. there, an FM discriminator (the stretch's mean frequency taken out first), a one-chip moving
   average (the matched filter of a rectangular chip) and a correlation with the last 32 chips
   of preamble and sync word at every sample; the template has as many ones as zeros, so a
   carrier offset does not move the peaks;
5. per candidate: the carrier offset from the mean of the discriminator over those 32 chips
   (they are balanced, so the mean is the carrier); the burst decimated again from the raw
   samples with its carrier at 0 Hz, a 110 kHz channel filter, the residual offset and the
   deviation read off the preamble, the energies of the two tones over one chip (the
   quadrature correlator of non-coherent FSK), and a slicer that measures run lengths between
   the zero crossings of their difference, as rtl_433's FSK pulse demodulator does with the
   discriminator: it resynchronises on every transition (real chip rates are 99.7 to 100.6
   kchip/s: a fixed clock would slip a chip within 100 chips);
6. the sync is checked chip by chip (``0x543D`` exact, one error allowed in the 8 preamble
   chips before it), the frame decoded (mode T: each 6-chip word as the code word nearest its
   soft values, so an invalid word still yields its likeliest nibble; whether every word was
   valid is reported), the block CRCs checked with :func:`..blocks.strip_block_crcs`, which
   decide, as in rtl_433 since its PR #2883 (3-out-of-6 errors no longer stop a frame);
7. only when a CRC fails: the carrier read at every chip against the decisions, a line fitted
   (a carrier that drifts during a 30 ms frame), taken out, and the burst sliced once more.

:class:`Demodulator` keeps state across :meth:`Demodulator.feed` calls, so a burst split over two
blocks decodes; it holds at most one longest frame (about 36 ms) plus one block, as decimated
samples and as the raw bytes behind them. It is plain synchronous code meant for the SDR
driver's worker thread. What it decodes by SNR and offset is in ``tests/protocol/sdr``
(``test_sensitivity``) and ``python -m tools.bench_sdr --sweep``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import math
from typing import Any, Final, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ...blocks import (
    BLOCK1_SIZE,
    BLOCK_SIZE,
    CRC_SIZE,
    FORMAT_B_BLOCK2_END,
    BlockCrcMismatch,
    BlockLengthMismatch,
    FrameFormat,
    format_a_size,
    format_b_size,
    strip_block_crcs,
)

CHANNEL_HZ: Final = 868.95e6
CHIP_RATE: Final = 100e3
TARGET_SAMPLES_PER_CHIP: Final = 4
FULL_SCALE: Final = 127.5  # cu8: 0..255 around 127.5

# EN 13757-4 3-out-of-6 code words (6 chips, MSB first) for the nibbles 0..F.
THREE_OF_SIX: Final = (
    0x16, 0x0D, 0x0E, 0x0B, 0x1C, 0x19, 0x1A, 0x13,
    0x2C, 0x25, 0x26, 0x23, 0x34, 0x31, 0x32, 0x29,
)  # fmt: skip
_NIBBLE_OF_CODE: Final = np.full(64, -1, dtype=np.int16)
_NIBBLE_OF_CODE[list(THREE_OF_SIX)] = np.arange(16, dtype=np.int16)

# The last 32 chips before the data: 16 of preamble, then 0x543D (end of preamble + sync word).
SYNC_CHIPS: Final = "01" * 8 + f"{0x543D:016b}"
_TEMPLATE: Final = np.array([1.0 if c == "1" else -1.0 for c in SYNC_CHIPS], dtype=np.float32)
_TEMPLATE_LEN: Final = len(SYNC_CHIPS)
_CHECK_FROM: Final = 8  # chips of the template checked one by one (8 preamble + 16 of 0x543D)
_C_MODE_PREFIX: Final = f"{0x54:08b}"
_C_FORMAT_A: Final = f"{0xCD:08b}"
_C_FORMAT_B: Final = f"{0x3D:08b}"

_MAX_FRAME_CHIPS: Final = 12 * format_a_size(255) + 16  # T1 with L = 255 is the longest frame
_CHUNK_CHIPS: Final = 8  # energy is measured in chunks of this many chips
_MIN_BURST_CHIPS: Final = 96  # shorter stretches of energy cannot hold a frame
_ENERGY_THRESHOLD_DB: Final = 2.5  # chunk power over the noise floor that counts as energy
_CORRELATION_THRESHOLD: Final = 0.5  # normalised template correlation worth a closer look
_NOISE_GROUP_CHUNKS: Final = 64  # 5 ms of samples
_NOISE_GROUPS: Final = 256  # 1.3 s
# Carson's rule: 2 x (deviation 50 kHz + 50 kHz, the fundamental of 0101 chips) = +-100 kHz,
# and 10 kHz for what is left of the carrier offset after the preamble's estimate.
_CHANNEL_CUTOFF_HZ: Final = 110e3
_CHANNEL_TAPS: Final = 15
_MIXER_BLOCK: Final = 8192  # decimated samples per precomputed oscillator block

type Complex64Array = NDArray[np.complex64]
type Float32Array = NDArray[np.float32]
type Float64Array = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class DemodulatedFrame:
    """One link-layer frame found in the samples.

    ``telegram`` starts at the L-field without block CRCs, L counting the bytes that follow it
    (frame format B rewritten as for A), or is None when a block CRC (or the frame's length)
    does not check: ``raw`` then holds what was demodulated, for diagnostics only.
    ``snr_db`` is the burst's power over the noise floor's, the noise taken in a 200 kHz band
    (the figure the modulator's ``snr_db`` sets; on the real recordings it reads 3-4 dB above
    the figures measured by hand, a dongle's noise being neither white nor steady);
    ``level_dbfs`` the burst's mean power
    relative to a constant-envelope tone at full scale (|I + jQ| = 127.5), a stand-in for an
    RSSI until a driver knows its gain. ``sample_index`` counts input IQ samples from the first
    fed, at the first chip of the L-field; ``offset_hz`` is the carrier's distance from
    868.95 MHz.
    """

    mode: str  # "T1" or "C1"
    frame_format: FrameFormat
    telegram: bytes | None
    crc_ok: bool
    three_of_six_ok: bool
    raw: bytes
    snr_db: float
    level_dbfs: float
    offset_hz: float
    sample_index: int
    time_s: float

    def rtl_wmbus_line(self, when: datetime) -> str:
        """The frame as rtl-wmbus prints it, for wmbusmeters' ``rtlwmbus`` input and comparing.

        ``MODE;CRC_OK;3OUTOF6OK;TIMESTAMP;PACKET_RSSI;CURRENT_RSSI;ID;0x<data>`` (rtl-wmbus,
        README and its printf): the ID is bytes 4 to 7 read little-endian, ``%08X``; the data
        has no block CRCs (format B's L rewritten as for A); 3OUTOF6OK is always 1 for C1; the
        two RSSI fields, a magnitude and not dBm there, carry the SNR in dB rounded here.
        ``when`` is printed with microseconds, as rtl-wmbus on Linux does since b6a7705.
        """
        data = self.telegram if self.telegram is not None else _without_crcs(self.raw, self)
        ident = f"{int.from_bytes(data[4:8], 'little'):08X}" if len(data) >= 8 else "00000000"
        rssi = max(0, round(self.snr_db))
        return ";".join(
            (
                self.mode,
                "1" if self.crc_ok else "0",
                "1" if self.three_of_six_ok else "0",
                when.strftime("%Y-%m-%d %H:%M:%S.%f"),
                str(rssi),
                str(rssi),
                ident,
                "0x" + data.hex(),
            )
        )


def _without_crcs(raw: bytes, frame: DemodulatedFrame) -> bytes:
    """``raw`` without the bytes where its block CRCs sit, unchecked (for a failed frame)."""
    if frame.frame_format is FrameFormat.B:
        body = (
            raw[:-CRC_SIZE]
            if len(raw) <= FORMAT_B_BLOCK2_END
            else (raw[: FORMAT_B_BLOCK2_END - CRC_SIZE] + raw[FORMAT_B_BLOCK2_END:-CRC_SIZE])
        )
    else:
        body = raw[:BLOCK1_SIZE]
        for start in range(BLOCK1_SIZE + CRC_SIZE, len(raw), BLOCK_SIZE + CRC_SIZE):
            body += raw[start : min(start + BLOCK_SIZE, len(raw) - CRC_SIZE)]
    return bytes([max(len(body) - 1, 0)]) + body[1:] if body else b""


class _Sliced(NamedTuple):
    """What one slicing of a burst gave (see ``Demodulator._slice``)."""

    mode: str
    frame_format: FrameFormat
    telegram: bytes | None
    valid: bool
    raw: bytes
    data_start: float  # window position of the first chip after the sync word
    chips_used: int  # chips after the sync word that the frame took
    positions: Float64Array  # window position of every chip from template chip 8 on
    decisions: NDArray[np.bool_]  # and what each was taken for


def _drift(
    g: Float32Array,
    positions: Float64Array,
    decisions: NDArray[np.bool_],
    deviation: float,
    length: int,
) -> Complex64Array | None:
    """A phase ramp that takes a linearly drifting carrier out of the burst, or None.

    The discriminator's one-chip average at each chip, less the deviation the decision says,
    is the carrier there; a line fitted to it (twice, the second time without the chips more
    than half a deviation off: wrong decisions) is the drift.
    """
    if len(positions) < 64:
        return None
    carrier = np.interp(positions, np.arange(len(g)), g) - np.where(
        decisions, deviation, -deviation
    )
    keep = np.ones(len(carrier), dtype=bool)
    slope = intercept = 0.0
    for _ in range(2):
        slope, intercept = np.polyfit(positions[keep], carrier[keep], 1)
        keep = np.abs(carrier - (slope * positions + intercept)) < deviation / 2
        if keep.sum() < 32:
            return None
    # g[i] averages the phase steps of x[i : i + width]: x's time runs half a chip ahead.
    n = np.arange(length, dtype=np.float64) + (len(g) - length) / 2
    phase = slope * n * n / 2 + intercept * n
    out: Complex64Array = np.exp(-1j * phase).astype(np.complex64)
    return out


def _lowpass(cutoff: float, taps: int) -> Complex64Array:
    """Hamming-windowed sinc low-pass, ``cutoff`` as a fraction of the sample rate."""
    n = np.arange(taps) - (taps - 1) / 2
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    out: Complex64Array = (h / h.sum()).astype(np.complex64)
    return out


def _block_sums(z: Complex64Array, d: int) -> tuple[Complex64Array, Complex64Array]:
    """For each block of ``d`` samples, its sum and its sum weighted 0, 1, ..., d - 1.

    A triangle of ``2d - 1`` taps decimated by ``d`` is made of these (see ``_mix_decimate``).
    Suffix sums of strided views, adds only: the weighted sum is the sum of the suffix sums
    from sample 1 on. (numpy reduces a short inner axis, ``reshape(-1, d).sum(axis=1)``, ten
    times slower than it adds strided views, and a matrix product with ``d`` rows slower still.)
    """
    if d == 1:
        return z.copy(), np.zeros_like(z)
    suffix: Complex64Array = z[d - 1 :: d].copy()
    ramp: Complex64Array = suffix.copy()
    for k in range(d - 2, 0, -1):
        suffix += z[k::d]
        ramp += suffix
    suffix += z[0::d]
    return suffix, ramp


def _chunk_power(y: Complex64Array, c: int) -> Float32Array:
    """Mean power of each complete chunk of ``c`` samples (a matrix-vector product: fast)."""
    n = len(y) // c
    parts = y[: n * c].view(np.float32)
    squares = (parts * parts).reshape(n, 2 * c)
    out: Float32Array = squares @ np.full(2 * c, 1 / c, dtype=np.float32)
    return out


def _discriminate(x: Complex64Array) -> Float32Array:
    """Phase step between neighbouring samples (radians per sample): the FM discriminator."""
    out: Float32Array = np.angle(x[1:] * np.conj(x[:-1])).astype(np.float32, copy=False)
    return out


def _tone_difference(x: Complex64Array, deviation: float, width: int) -> Float32Array:
    """``|sum of x at +deviation|^2 - |sum of x at -deviation|^2`` over ``width`` samples.

    The quadrature correlator of non-coherent binary FSK (the textbook optimum when the
    carrier phase is unknown), per sample, aligned as ``_moving_average(_discriminate(x))``:
    value ``i`` covers ``x[i + 1 : i + 1 + width]``. ``x`` has its carrier at 0 Hz;
    ``deviation`` is in radians a sample.
    """
    n = np.arange(len(x) - 1, dtype=np.float64) + 1
    base = x[1:]
    energies = []
    for sign in (1.0, -1.0):
        tone = base * np.exp(-1j * sign * deviation * n).astype(np.complex64)
        cs = np.empty(len(tone) + 1, dtype=np.complex128)
        cs[0] = 0
        np.cumsum(tone, out=cs[1:])
        window = cs[width:] - cs[:-width]
        energies.append(window.real**2 + window.imag**2)
    out: Float32Array = (energies[0] - energies[1]).astype(np.float32)
    return out


def _moving_average(f: Float32Array, width: int) -> Float32Array:
    """``g[i] = mean(f[i : i + width])``: the matched filter of a rectangular chip."""
    cs = np.empty(len(f) + 1, dtype=np.float64)
    cs[0] = 0.0
    np.cumsum(f, out=cs[1:])
    out: Float32Array = ((cs[width:] - cs[:-width]) / width).astype(np.float32)
    return out


def _chips_from_runs(
    g: Float32Array, start: float, spc: float, max_chips: int
) -> tuple[NDArray[np.uint8], Float32Array, Float64Array]:
    """Slice ``g`` into chips from the zero crossing at ``start`` on, by run lengths.

    Each run between two zero crossings is rounded to a whole number of chips (rtl_433's
    FSK_PULSE_PCM does the same with pulse widths), so the chip clock is taken afresh at every
    transition. A run shorter than half a chip is a noise spike: it is merged with its
    neighbours. Returns the chips and their soft values: ``g`` where each chip is whole in the
    one-chip average, the chip clock interpolated between the crossings, and where they are.
    """
    empty = (
        np.zeros(0, dtype=np.uint8),
        np.zeros(0, dtype=np.float32),
        np.zeros(0, dtype=np.float64),
    )
    first = math.floor(start)
    seg = g[first:]
    sign = seg > 0
    idx = np.flatnonzero(sign[1:] != sign[:-1])
    if len(idx) == 0:
        return empty
    a = seg[idx].astype(np.float64)
    b = seg[idx + 1].astype(np.float64)
    cross = first + idx + a / (a - b)
    cross = cross[cross >= start - 0.5]
    if len(cross) == 0:
        return empty
    # Runs start at the crossings; the last one ends where g ends.
    edges = np.append(cross, float(len(g) - 1))
    lengths = np.diff(edges) / spc
    values = g[np.minimum(np.ceil(edges[:-1]).astype(np.intp), len(g) - 1)] > 0
    counts = np.rint(lengths).astype(np.intp)
    if (counts[:-1] == 0).any():
        lengths_list = _floats(lengths)
        values_list = [bool(value) for value in values]
        starts_list = _floats(edges[:-1])
        i = 1
        while i < len(lengths_list) - 1:
            if round(lengths_list[i]) == 0:
                lengths_list[i - 1] += lengths_list[i] + lengths_list[i + 1]
                del lengths_list[i : i + 2]
                del values_list[i : i + 2]
                del starts_list[i : i + 2]
            else:
                i += 1
        lengths = np.array(lengths_list)
        values = np.array(values_list, dtype=bool)
        edges = np.append(starts_list, float(len(g) - 1))
        counts = np.rint(lengths).astype(np.intp)
    chips = np.repeat(values.astype(np.uint8), counts)[:max_chips]
    # Chip k starts at its run's crossing plus its share of the run; the one-chip average
    # holds it whole half a chip later (the average crosses zero half a chip early).
    chip_at = np.concatenate(([0], np.cumsum(counts)))
    position = np.interp(np.arange(len(chips)), chip_at, edges) + spc / 2
    soft = np.interp(position, np.arange(len(g)), g).astype(np.float32)
    return chips, soft, position


def _bits_to_bytes(chips: NDArray[np.uint8]) -> bytes:
    """NRZ chips (MSB first) to bytes; a trailing partial byte is dropped."""
    n = len(chips) // 8
    return np.packbits(chips[: n * 8]).tobytes()


def three_of_six_decode(chips: NDArray[np.uint8]) -> tuple[bytes, bool]:
    """3-out-of-6 chips (12 a byte, high nibble first) to bytes, and whether every word was valid.

    An invalid word gives nibble 0; the block CRC then decides.
    """
    n = len(chips) // 12
    if n == 0:
        return b"", True
    words = chips[: n * 12].reshape(-1, 6).astype(np.intp) @ (1 << np.arange(5, -1, -1))
    nibbles = _NIBBLE_OF_CODE[words]
    valid = bool((nibbles >= 0).all())
    pairs = np.maximum(nibbles, 0).astype(np.uint8).reshape(-1, 2)
    return ((pairs[:, 0] << 4) | pairs[:, 1]).astype(np.uint8).tobytes(), valid


_CODEBOOK: Final = np.array(
    [[1.0 if (word >> (5 - k)) & 1 else -1.0 for k in range(6)] for word in THREE_OF_SIX],
    dtype=np.float32,
)


def three_of_six_soft(soft: Float32Array) -> bytes:
    """3-out-of-6 soft values (12 a byte, > 0 for a 1) to bytes: each word the nearest code.

    The code word correlating best with the six soft values (maximum likelihood in white
    noise) instead of a lookup of the hard chips: a word with one chip wrong is mostly still
    nearest to the right code (the code's distance is 2). With the tone energies as soft
    values it decoded 53 of 60 T1 bursts at 8 dB where a lookup of the hard chips decoded 36.
    """
    n = len(soft) // 12
    words = soft[: n * 12].reshape(-1, 6) @ _CODEBOOK.T
    nibbles = np.argmax(words, axis=1).astype(np.uint8).reshape(-1, 2)
    out: bytes = ((nibbles[:, 0] << 4) | nibbles[:, 1]).astype(np.uint8).tobytes()
    return out


def _ints(values: NDArray[Any]) -> list[int]:
    """An array's items as a typed list (``tolist`` is typed differently across numpy pins)."""
    return [int(value) for value in values]


def _floats(values: NDArray[Any]) -> list[float]:
    """An array's items as a typed list of floats (see :func:`_ints`)."""
    return [float(value) for value in values]


def _chip_string(chips: NDArray[np.uint8]) -> str:
    return "".join("1" if c else "0" for c in _ints(chips))


class Demodulator:
    """Streaming wM-Bus T1 + C1 demodulator for cu8 IQ samples.

    ``sample_rate`` is the dongle's (1.2, 1.6 and 2.4 MS/s are tested; anything that gives at
    least 3 samples a chip after decimation works); ``center_hz`` its tuning: the channel at
    868.95 MHz must lie within ``sample_rate / 2 - 160 kHz`` of it.
    """

    def __init__(
        self, sample_rate: float, center_hz: float = CHANNEL_HZ, *, chip_rate: float = CHIP_RATE
    ) -> None:
        if sample_rate < 3 * chip_rate * 2:
            raise ValueError(f"sample rate {sample_rate} too low for {chip_rate} chip/s")
        mix_hz = CHANNEL_HZ - center_hz
        if abs(mix_hz) > sample_rate / 2 - 160e3:
            raise ValueError(
                f"868.95 MHz is {mix_hz / 1e3:.0f} kHz from the centre: outside "
                f"+-{(sample_rate / 2 - 160e3) / 1e3:.0f} kHz at {sample_rate / 1e6} MS/s"
            )
        self.sample_rate = float(sample_rate)
        self.center_hz = float(center_hz)
        self.decimation = max(1, round(sample_rate / (TARGET_SAMPLES_PER_CHIP * chip_rate)))
        self.rate = self.sample_rate / self.decimation  # after decimation
        self.samples_per_chip = self.rate / chip_rate
        self._spc_int = max(1, round(self.samples_per_chip))
        self._chip_at = [round(k * self.samples_per_chip) for k in range(_TEMPLATE_LEN)]
        self._chunk = max(1, round(_CHUNK_CHIPS * self.samples_per_chip))
        self._mix_step = -2 * math.pi * mix_hz / self.sample_rate  # radians per input sample
        block = _MIXER_BLOCK * self.decimation
        if mix_hz:
            osc = np.exp(1j * self._mix_step * np.arange(block)).astype(np.complex64)
            self._osc: Complex64Array | None = osc
        else:
            self._osc = None
        self._channel = _lowpass(_CHANNEL_CUTOFF_HZ / self.rate, _CHANNEL_TAPS)
        self._leftover: NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)
        # The raw bytes behind the buffer (from one block before it: the triangle's reach), so
        # that a burst can be decimated again with its own carrier at 0 Hz.
        self._raw: NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)
        self._raw_abs = 0  # input sample of _raw[0:2]
        self._dc: complex | None = None
        self._pending = np.complex64(0)  # first half of the triangle of the next output
        self._mix_phase = 0.0  # oscillator phase at the next input sample
        self._buf: Complex64Array = np.zeros(0, dtype=np.complex64)
        self._buf_abs = 0  # decimated index of _buf[0]
        self._done_until = 0  # decimated index before which candidates are settled
        self._pow: Float32Array = np.zeros(0, dtype=np.float32)  # chunk powers of _buf
        self._noise_pending: list[Float32Array] = []  # chunk powers not yet in the floor
        self._noise_groups: Float64Array = np.zeros(0)  # low percentiles of recent groups
        self._noise: float | None = None
        self._max_window = int((_MAX_FRAME_CHIPS + _TEMPLATE_LEN + 16) * self.samples_per_chip)

    # --- public ---------------------------------------------------------------------------

    @property
    def buffered_samples(self) -> int:
        """Decimated samples held for bursts not yet complete (bounded: see the class doc)."""
        return len(self._buf)

    @property
    def held_bytes(self) -> int:
        """Memory held between blocks: decimated samples, the raw bytes behind them, powers."""
        return self._buf.nbytes + self._raw.nbytes + self._pow.nbytes + self._leftover.nbytes

    @property
    def noise_floor(self) -> float | None:
        """Mean power of a decimated noise sample (None for the first 5 ms of samples)."""
        return self._noise

    def feed(
        self, samples: bytes | bytearray | memoryview | NDArray[np.uint8]
    ) -> list[DemodulatedFrame]:
        """Take the next cu8 block; return the frames that ended in what has been fed so far.

        A frame whose end is not in yet waits for the next block (or :meth:`flush`).
        """
        self._append(samples)
        return self._scan(final=False)

    def flush(self) -> list[DemodulatedFrame]:
        """End of the stream: decode what waits in the buffer, then forget it."""
        frames = self._scan(final=True)
        self._raw_abs += len(self._raw) // 2
        self._raw = np.zeros(0, dtype=np.uint8)
        self._buf_abs += len(self._buf)
        self._buf = np.zeros(0, dtype=np.complex64)
        self._pow = np.zeros(0, dtype=np.float32)
        return frames

    # --- front end -----------------------------------------------------------------------

    def _append(self, samples: bytes | bytearray | memoryview | NDArray[np.uint8]) -> None:
        raw = (
            np.frombuffer(samples, dtype=np.uint8)
            if not isinstance(samples, np.ndarray)
            else (samples.astype(np.uint8, copy=False).ravel())
        )
        if len(self._leftover):
            raw = np.concatenate((self._leftover, raw))
        step = 2 * self.decimation
        usable = len(raw) // step * step
        self._leftover = raw[usable:].copy()
        if not usable:
            return
        # A copy either way: the caller may reuse its buffer for the next block.
        self._raw = (
            np.concatenate((self._raw, raw[:usable])) if len(self._raw) else raw[:usable].copy()
        )
        # Still 0..255: the 127.5 goes with the DC (one pass less).
        z: Complex64Array = raw[:usable].astype(np.float32).view(np.complex64)
        y = self._mix_decimate(z)
        self._buf = np.concatenate((self._buf, y)) if len(self._buf) else y
        c = self._chunk
        done = len(self._pow) * c
        new = _chunk_power(self._buf[done:], c)
        if len(new):
            self._pow = np.concatenate((self._pow, new))
            self._update_noise(new)

    def _mix_decimate(self, z: Complex64Array) -> Complex64Array:
        """Remove DC, move the channel to 0 Hz, low-pass and decimate by ``decimation``.

        The triangle ``1, 2, ..., d, ..., 2, 1`` over blocks ``m - 1`` and ``m`` is
        ``(ramp + total)`` of block ``m - 1`` plus ``((d - 1) * total - ramp)`` of block
        ``m``, so two strided passes make it; the first half waits in ``_pending`` for the
        next block (one output sample of delay, a quarter chip).
        """
        d = self.decimation
        # The dongle's DC (every 16th sample is plenty for a mean; smoothed over blocks), and
        # the 127.5 of the unsigned samples with it.
        dc = complex(z[::16].mean()) - complex(FULL_SCALE, FULL_SCALE)
        self._dc = dc if self._dc is None else 0.8 * self._dc + 0.2 * dc
        offset = complex(FULL_SCALE, FULL_SCALE) + self._dc
        if self._osc is None:
            total, ramp = _block_sums(z, d)
            total -= np.complex64(offset * d)
            ramp -= np.complex64(offset * d * (d - 1) / 2)
        else:
            block = len(self._osc)
            total = np.empty(len(z) // d, dtype=np.complex64)
            ramp = np.empty(len(z) // d, dtype=np.complex64)
            z -= np.complex64(offset)
            for start in range(0, len(z), block):
                part = z[start : start + block]
                n = len(part)
                rot = np.complex64(complex(math.cos(self._mix_phase), math.sin(self._mix_phase)))
                self._mix_phase = (self._mix_phase + self._mix_step * n) % (2 * math.pi)
                part_total, part_ramp = _block_sums(part * self._osc[:n], d)
                out = slice(start // d, (start + n) // d)
                np.multiply(part_total, rot, out=total[out])
                np.multiply(part_ramp, rot, out=ramp[out])
        second = total * np.float32(d - 1)
        second -= ramp
        first = ramp
        first += total
        y: Complex64Array = np.empty_like(total)
        y[0] = self._pending + second[0]
        y[1:] = first[:-1]
        y[1:] += second[1:]
        self._pending = first[-1]
        return y

    def _update_noise(self, power: Float32Array) -> None:
        """Track the noise floor from new chunk powers.

        Every group of 64 chunks (5 ms) gives its 5th percentile; the floor is the least of
        the last 256 groups' (1.3 s). A median of 40 ms groups was tried first: back-to-back
        bursts (a busy channel, 0.2 ms apart for 300 ms) took over every group, the floor rose
        to the bursts' power and none of them was heard. The least of many short groups finds
        the gaps; it reads about 0.3 dB low in steady noise, and follows a noise floor that
        rises only after 1.3 s.
        """
        self._noise_pending.append(power)
        pending = np.concatenate(self._noise_pending)
        groups = len(pending) // _NOISE_GROUP_CHUNKS
        if groups == 0:
            self._noise_pending = [pending]
            return
        self._noise_pending = [pending[groups * _NOISE_GROUP_CHUNKS :]]
        rank = _NOISE_GROUP_CHUNKS // 20
        grouped = pending[: groups * _NOISE_GROUP_CHUNKS].reshape(groups, _NOISE_GROUP_CHUNKS)
        low = np.partition(grouped, rank, axis=1)[:, rank].astype(np.float64)
        # A chunk's power is a mean of c exponentials: its 5th percentile lies
        # 1.645 standard deviations (1.645 / sqrt(c) of the mean) below the mean.
        levels = low / max(1 - 1.645 / math.sqrt(self._chunk), 0.3)
        self._noise_groups = np.concatenate((self._noise_groups, levels))[-_NOISE_GROUPS:]
        self._noise = max(float(self._noise_groups.min()), 1e-9)

    # --- burst search --------------------------------------------------------------------

    def _regions(self) -> list[tuple[int, int]]:
        """Stretches of the buffer with energy above the noise floor, as (start, end)."""
        c = self._chunk
        buf = self._buf
        n = len(self._pow)
        if n == 0 or self._noise is None:
            return []
        hot = self._pow > self._noise * 10 ** (_ENERGY_THRESHOLD_DB / 10)
        if len(buf) > n * c:  # the partial last chunk counts as hot if the last one was
            hot = np.append(hot, hot[-1])
        # Bridge gaps of up to 2 chunks and widen by one chunk on each side.
        padded = np.concatenate(([False], hot, [False]))
        edges = np.flatnonzero(padded[1:] != padded[:-1])
        starts, ends = edges[::2], edges[1::2]
        regions: list[tuple[int, int]] = []
        for s, e in zip(_ints(starts), _ints(ends), strict=True):
            if regions and s - regions[-1][1] <= 2:
                regions[-1] = (regions[-1][0], e)
            else:
                regions.append((s, e))
        min_chunks = _MIN_BURST_CHIPS // _CHUNK_CHIPS
        out = []
        for s, e in regions:
            # A stretch that reaches the end of the buffer may be a burst just begun: kept
            # however short, or the next block would find it with its preamble cut off.
            if e - s >= min_chunks or e >= len(hot) - 1:
                out.append((max(0, (s - 1) * c), min(len(buf), (e + 1) * c)))
        return out

    def _candidates(self, start: int, end: int) -> list[int]:
        """Buffer indices where the template's first chip may lie: one a peak, in time order."""
        spc = self._spc_int
        at = self._chip_at  # where each template chip starts: 4.27 samples a chip is not 4
        seg = self._buf[start:end]
        span = int(at[-1])
        if len(seg) < span + 2 * spc + 2:
            return []
        # The discriminator with the stretch's mean frequency taken out (the angle of the sum
        # of the lag products): a carrier 60 kHz off puts a tone at 110 kHz, 0.55 pi a sample,
        # where noise wraps the phase step past pi; centred, the tones sit at 0.25 pi.
        lag = seg[1:] * np.conj(seg[:-1])
        lag *= np.complex64(np.exp(-1j * np.angle(lag.sum())))
        f: Float32Array = np.angle(lag).astype(np.float32, copy=False)
        g = _moving_average(f, spc)
        m = len(g) - span
        corr = np.zeros(m, dtype=np.float32)
        norm = np.zeros(m, dtype=np.float32)
        mag = np.abs(g)
        for k, t in enumerate(_floats(_TEMPLATE)):
            part = g[at[k] : at[k] + m]
            if t > 0:
                corr += part
            else:
                corr -= part
            norm += mag[at[k] : at[k] + m]
        ratio = corr / np.maximum(norm, 1e-6)
        above = np.flatnonzero(ratio > _CORRELATION_THRESHOLD)
        if len(above) == 0:
            return []
        # Random data correlates above the threshold now and then: keep the positions where
        # the 16 chips of 0x543D, sliced against the template's mean (the carrier), are right
        # but for one. This costs little and spares the full look at most of them.
        cg = np.concatenate(([0.0], np.cumsum(g, dtype=np.float64)))
        centre = (cg[above + span] - cg[above]) / span
        wrong = np.zeros(len(above), dtype=np.intp)
        for k in range(_TEMPLATE_LEN - 16, _TEMPLATE_LEN):
            wrong += (g[above + at[k]] > centre) != (_TEMPLATE[k] > 0)
        above = above[wrong <= 1]
        if len(above) == 0:
            return []
        # One candidate per group of neighbouring peaks (within 3 chips): its maximum.
        out: list[int] = []
        group_start = 0
        splits = np.flatnonzero(np.diff(above) > 3 * spc) + 1
        for split in [*_ints(splits), len(above)]:
            group = above[group_start:split]
            out.append(start + int(group[np.argmax(ratio[group])]))
            group_start = split
        return out

    def _scan(self, *, final: bool) -> list[DemodulatedFrame]:
        frames: list[DemodulatedFrame] = []
        buf_len = len(self._buf)
        keep_from = max(0, buf_len - (_TEMPLATE_LEN + 16) * self._spc_int - 2 * self._chunk)
        if self._noise is None:  # no floor yet (the first 5 ms): keep everything
            keep_from = 0
        for r_start, r_end in self._regions():
            open_region = r_end >= buf_len - self._chunk and not final
            if open_region and buf_len - r_start < self._max_window:
                # Still on the air and not longer than a frame: look at it when it is over.
                keep_from = min(keep_from, r_start)
                break
            deferred = False
            for cand in self._candidates(r_start, r_end):
                if self._buf_abs + cand < self._done_until:
                    continue
                window_end = min(r_end, cand + self._max_window)
                if open_region and cand + self._max_window > buf_len:
                    keep_from = min(keep_from, max(0, cand - 8 * self._spc_int))
                    deferred = True
                    break
                frame, frame_end = self._decode(cand, window_end)
                if frame is not None:
                    frames.append(frame)
                    if frame.crc_ok:
                        self._done_until = self._buf_abs + frame_end
                        continue
                self._done_until = self._buf_abs + cand + self._spc_int
            if deferred:
                break
        keep_from -= keep_from % self._chunk  # chunk powers stay aligned with the buffer
        if keep_from > 0:
            self._buf = self._buf[keep_from:].copy()
            self._pow = self._pow[keep_from // self._chunk :].copy()
            self._buf_abs += keep_from
            raw_from = max(0, (self._buf_abs - 1) * self.decimation)
            self._raw = self._raw[2 * (raw_from - self._raw_abs) :].copy()
            self._raw_abs = raw_from
        return frames

    # --- one candidate -------------------------------------------------------------------

    def _redecimate(self, w0: int, w1: int, step: float) -> Complex64Array:
        """Buffer samples ``w0:w1`` again from the raw bytes, mixed by ``step`` rad/sample.

        With the burst's own carrier at 0 Hz the decimation triangle treats both tones alike:
        corrected after decimation, a carrier 60 kHz off had its upper tone 2 dB down against
        the noise of the whole channel, and decoded half as often at 8 dB.
        """
        d = self.decimation
        first = (self._buf_abs + w0 - 1) * d  # input sample of the first block needed
        end = (self._buf_abs + w1) * d
        lo = first - self._raw_abs
        seg = self._raw[2 * max(lo, 0) : 2 * (end - self._raw_abs)].astype(np.float32)
        seg -= FULL_SCALE
        z: Complex64Array = seg.view(np.complex64)
        z -= np.complex64(self._dc or 0)
        if lo < 0:
            z = np.concatenate((np.zeros(-lo, dtype=np.complex64), z))
        z *= np.exp(1j * step * np.arange(len(z))).astype(np.complex64)
        total, ramp = _block_sums(z, d)
        y: Complex64Array = ramp[:-1] + total[:-1]
        y += total[1:] * np.float32(d - 1)
        y -= ramp[1:]
        return y

    def _decode(self, cand: int, window_end: int) -> tuple[DemodulatedFrame | None, int]:
        """Demodulate the frame whose template starts at buffer index ``cand``.

        Returns the frame (None if the sync does not check chip by chip) and the buffer
        index where it ends.
        """
        spc = self._spc_int
        guard = 4 * spc
        w0 = max(0, cand - guard)
        x = self._buf[w0:window_end]
        t0 = cand - w0  # template chip 0 in window coordinates
        tlen = round(_TEMPLATE_LEN * self.samples_per_chip)
        if len(x) < t0 + tlen + 12 * spc:
            return None, cand
        f = _discriminate(x)
        offset = float(f[t0 : t0 + tlen].mean())  # radians per sample
        x = x_in = self._redecimate(w0, window_end, self._mix_step - offset / self.decimation)
        x = np.convolve(x, self._channel, mode="same").astype(np.complex64)
        f = _discriminate(x)
        residual = float(f[t0 : t0 + tlen].mean())
        offset += residual
        f -= np.float32(residual)
        x *= np.exp(-1j * residual * np.arange(len(x))).astype(np.complex64)
        g = _moving_average(f, spc)
        # The deviation is read off the preamble (real meters: 45-48 kHz, not 50).
        deviation = float(np.clip(np.percentile(np.abs(g[t0 : t0 + tlen]), 90), 0.4, 1.1))
        sliced = self._slice(x, t0, deviation)
        if sliced is not None and sliced.telegram is None:
            # A CRC failed: perhaps the carrier drifted during a long frame. Measure the drift
            # against the decisions made, take it out, slice once more (failures only pay).
            drift = _drift(g, sliced.positions, sliced.decisions, deviation, len(x))
            if drift is not None:
                again = self._slice(x * drift, t0, deviation)
                if again is not None and again.telegram is not None:
                    sliced = again
        if sliced is None:
            return None, cand
        frame_end = int(sliced.data_start + sliced.chips_used * self.samples_per_chip)
        first = sliced.data_start + (16 * self.samples_per_chip if sliced.mode == "C1" else 0)
        return (
            self._frame(
                sliced,
                burst=x_in[int(t0) : max(int(t0) + 1, min(frame_end, len(x_in)))],
                offset=offset,
                first_chip=w0 + first,
            ),
            w0 + min(frame_end, len(x)),
        )

    def _slice(self, x: Complex64Array, t0: int, deviation: float) -> _Sliced | None:
        """Chips, sync check and frame from the centred burst ``x`` (template at ``t0``)."""
        spc_f = self.samples_per_chip
        # The slicer works on the two tones' energies over one chip rather than on the
        # discriminator: at 8 dB T1 decoded 53 bursts of 60 instead of 37, at 7 dB 44 instead
        # of 16 (the discriminator's clicks, a whole turn of phase in a sample, cost a chip).
        g = _tone_difference(x, deviation, self._spc_int)
        # Anchor on the crossing between template chips 7 and 8 (a 1 then a 0).
        anchor = t0 + (_CHECK_FROM - 0.5) * spc_f
        lo, hi = int(anchor - 0.75 * spc_f), int(anchor + 0.75 * spc_f) + 1
        part = g[lo : hi + 1]
        down = np.flatnonzero((part[:-1] > 0) & (part[1:] <= 0))
        if len(down) == 0:
            return None
        i = down[np.argmin(np.abs(lo + down - anchor))]
        start = lo + i + float(part[i] / (part[i] - part[i + 1]))
        chips, soft, positions = _chips_from_runs(g, start, spc_f, _MAX_FRAME_CHIPS + _TEMPLATE_LEN)
        check = SYNC_CHIPS[_CHECK_FROM:]
        got = _chip_string(chips[: len(check)])
        if len(got) < len(check) or got[8:] != check[8:]:
            return None
        if sum(a != b for a, b in zip(got[:8], check[:8], strict=True)) > 1:
            return None
        data = chips[len(check) :]
        head = _chip_string(data[:16])
        if head[:8] == _C_MODE_PREFIX:
            if head[8:16] == _C_FORMAT_A:
                mode, fmt = "C1", FrameFormat.A
            elif head[8:16] == _C_FORMAT_B:
                mode, fmt = "C1", FrameFormat.B
            else:
                return None
            # The soft values' signs (the clock interpolated between crossings) rather than the
            # rounded runs: 50 of 60 bursts at 8 dB instead of 44.
            body = (soft[len(check) + 16 :] > 0).astype(np.uint8)
            length = _bits_to_bytes(body[:8])
            if not length:
                return None
            size = format_a_size(length[0]) if fmt is FrameFormat.A else format_b_size(length[0])
            raw = _bits_to_bytes(body[: 8 * size])
            valid = True
            chips_used = 16 + 8 * size
        else:
            mode, fmt = "T1", FrameFormat.A
            soft_data = soft[len(check) :]
            length = three_of_six_soft(soft_data[:12])
            if not length:
                return None
            size = format_a_size(length[0])
            _, valid = three_of_six_decode(data[: 12 * size])
            raw = three_of_six_soft(soft_data[: 12 * size])
            chips_used = 12 * size
        telegram: bytes | None = None
        if len(raw) == size:
            try:
                telegram = strip_block_crcs(raw, fmt)
            except (BlockCrcMismatch, BlockLengthMismatch):
                telegram = None
        used = len(check) + chips_used
        return _Sliced(
            mode=mode,
            frame_format=fmt,
            telegram=telegram,
            valid=valid,
            raw=raw,
            data_start=start + len(check) * spc_f,
            chips_used=chips_used,
            positions=positions[:used],
            decisions=(soft[:used] > 0),
        )

    def _frame(
        self,
        sliced: _Sliced,
        *,
        burst: Complex64Array,
        offset: float,
        first_chip: float,
    ) -> DemodulatedFrame:
        power = float(np.mean(burst.real.astype(np.float64) ** 2 + burst.imag**2))
        noise = self._noise or 1e-9
        d = self.decimation
        gain = d**4  # the triangle's power gain for the signal, (sum of taps) squared
        bandwidth = self.sample_rate * d * (2 * d * d + 1) / 3 / gain  # noise: sum of squares
        snr = (power - noise) / noise * bandwidth / 200e3
        sample_index = round((self._buf_abs + first_chip) * self.decimation)
        return DemodulatedFrame(
            mode=sliced.mode,
            frame_format=sliced.frame_format,
            telegram=sliced.telegram,
            crc_ok=sliced.telegram is not None,
            three_of_six_ok=sliced.valid,
            raw=sliced.raw,
            snr_db=10 * math.log10(max(snr, 1e-3)),
            level_dbfs=10 * math.log10(max(power / gain, 1e-9) / FULL_SCALE**2),
            offset_hz=offset * self.rate / (2 * math.pi),
            sample_index=sample_index,
            time_s=sample_index / self.sample_rate,
        )
