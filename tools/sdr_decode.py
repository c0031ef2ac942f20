"""Decode wireless M-Bus T1 / C1 from a cu8 IQ file (rtl_sdr's output), printed as rtl-wmbus does.

    python -m tools.sdr_decode tests/data/iq/rtlsdr_868.625M_2M4_issue48.cu8 --rate 2.4e6 \
        --center 868.625e6
    rtl_sdr -f 868.95M -s 1.6e6 - | python -m tools.sdr_decode - --rate 1.6e6

One line a frame, ``MODE;CRC_OK;3OUTOF6OK;TIMESTAMP;RSSI;RSSI;ID;0x<data>`` (see
``DemodulatedFrame.rtl_wmbus_line``), frames whose CRCs fail only with ``--all``; the timestamp
is ``--start`` (default: now) plus the frame's place in the samples. With ``-v`` the carrier
offset, SNR and level of each frame go to stderr.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path
import sys
from typing import BinaryIO

from custom_components.wmbus.protocol.radios.sdr.demod import (
    CHANNEL_HZ,
    DemodulatedFrame,
    Demodulator,
)


def decode_stream(
    source: BinaryIO, demod: Demodulator, block: int = 1 << 18
) -> list[DemodulatedFrame]:
    """Every frame in ``source``, read ``block`` bytes at a time."""
    frames: list[DemodulatedFrame] = []
    while chunk := source.read(block):
        frames += demod.feed(chunk)
    return frames + demod.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wM-Bus T1/C1 from cu8 IQ, as rtl-wmbus prints")
    parser.add_argument("file", help="cu8 file, or - for stdin")
    parser.add_argument("--rate", type=float, default=1.6e6, help="sample rate, S/s")
    parser.add_argument("--center", type=float, default=CHANNEL_HZ, help="tuning, Hz")
    parser.add_argument("--start", type=datetime.fromisoformat, default=None)
    parser.add_argument("--all", action="store_true", help="also frames whose CRCs fail")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    start: datetime = args.start or datetime.now(UTC)
    demod = Demodulator(args.rate, args.center)
    if args.file == "-":
        frames = decode_stream(sys.stdin.buffer, demod)
    else:
        with Path(args.file).open("rb") as source:
            frames = decode_stream(source, demod)
    for frame in frames:
        if not (frame.crc_ok or args.all):
            continue
        print(frame.rtl_wmbus_line(start + timedelta(seconds=frame.time_s)))
        if args.verbose:
            print(
                f"  {frame.time_s:.6f} s, offset {frame.offset_hz / 1e3:+.1f} kHz, "
                f"SNR {frame.snr_db:.1f} dB, {frame.level_dbfs:.1f} dBFS",
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
