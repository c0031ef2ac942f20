"""The rtl_tcp protocol: what an ``rtl_tcp`` server sends first, and the commands it takes.

Facts from rtl-sdr's ``src/rtl_tcp.c`` (osmocom; the same in every fork): after accepting a
client the server sends a 12-byte ``dongle_info_t``: the magic ``RTL0``, then the tuner type and
the number of gains the tuner offers, each a 32-bit unsigned integer in network byte order
(big-endian); then it streams the dongle's samples unchanged (cu8: I and Q as unsigned bytes
around 127.5). A client sends 5-byte commands: one command byte, then a 32-bit big-endian
parameter. Frequency and sample rate are in Hz, the gain in tenths of a dB, the frequency
correction in ppm (a signed value sent as its 32-bit two's complement), modes as 0 or 1.

Pure code, no I/O: the radio (:mod:`.radio`) and the emulator (``tools/rtl_tcp_emulator.py``)
share it.
"""

from __future__ import annotations

from enum import IntEnum
import struct
from typing import Final, NamedTuple
from urllib.parse import urlsplit

MAGIC: Final = b"RTL0"
HEADER_SIZE: Final = 12
COMMAND_SIZE: Final = 5
DEFAULT_PORT: Final = 1234  # rtl_tcp's own default (-p)
SCHEME: Final = "rtl_tcp"

_HEADER: Final = struct.Struct(">4sII")
_COMMAND: Final = struct.Struct(">BI")


class TunerType(IntEnum):
    """``enum rtlsdr_tuner`` of rtl-sdr's ``rtl-sdr.h``, the order the header numbers them."""

    UNKNOWN = 0
    E4000 = 1
    FC0012 = 2
    FC0013 = 3
    FC2580 = 4
    R820T = 5
    R828D = 6


class Command(IntEnum):
    """The command bytes ``rtl_tcp.c`` handles (``command_worker``)."""

    SET_FREQUENCY = 0x01
    SET_SAMPLE_RATE = 0x02
    SET_GAIN_MODE = 0x03  # 0 automatic (the tuner's AGC), 1 manual
    SET_GAIN = 0x04  # tenths of a dB
    SET_FREQ_CORRECTION = 0x05  # ppm, signed
    SET_IF_GAIN = 0x06
    SET_TEST_MODE = 0x07
    SET_AGC_MODE = 0x08  # the RTL2832's own digital AGC, 0 or 1
    SET_DIRECT_SAMPLING = 0x09
    SET_OFFSET_TUNING = 0x0A
    SET_RTL_XTAL = 0x0B
    SET_TUNER_XTAL = 0x0C
    SET_GAIN_BY_INDEX = 0x0D
    SET_BIAS_TEE = 0x0E


class NotRtlTcp(ValueError):
    """What answered is not an rtl_tcp server (its first 12 bytes are not a dongle header)."""


class DongleInfo(NamedTuple):
    """The header an rtl_tcp server sends first."""

    tuner: TunerType | int
    gain_count: int

    @property
    def tuner_name(self) -> str:
        """The tuner's name as rtl-sdr spells it, or ``unknown (N)``."""
        if isinstance(self.tuner, TunerType):
            return self.tuner.name
        return f"unknown ({self.tuner})"


def encode_header(info: DongleInfo) -> bytes:
    """The 12 bytes a server sends first."""
    return _HEADER.pack(MAGIC, int(info.tuner), info.gain_count)


def parse_header(data: bytes) -> DongleInfo:
    """Read the 12-byte header; NotRtlTcp if it is not one."""
    if len(data) != HEADER_SIZE:
        raise NotRtlTcp(f"expected a {HEADER_SIZE}-byte rtl_tcp header, got {len(data)} bytes")
    magic, tuner, gain_count = _HEADER.unpack(data)
    if magic != MAGIC:
        raise NotRtlTcp(f"no rtl_tcp header: starts with {data[:4]!r}, not {MAGIC!r}")
    try:
        known: TunerType | int = TunerType(tuner)
    except ValueError:
        known = tuner
    return DongleInfo(known, gain_count)


def encode_command(command: Command | int, parameter: int) -> bytes:
    """One 5-byte command; a negative parameter goes as its 32-bit two's complement."""
    if not -(1 << 31) <= parameter < (1 << 32):
        raise ValueError(f"parameter {parameter} does not fit 32 bits")
    return _COMMAND.pack(int(command), parameter & 0xFFFFFFFF)


def decode_commands(data: bytes) -> tuple[list[tuple[Command | int, int]], bytes]:
    """Split a client's bytes into (command, unsigned parameter) pairs and the incomplete rest."""
    usable = len(data) - len(data) % COMMAND_SIZE
    commands: list[tuple[Command | int, int]] = []
    for code, parameter in _COMMAND.iter_unpack(data[:usable]):
        try:
            commands.append((Command(code), parameter))
        except ValueError:
            commands.append((code, parameter))
    return commands, data[usable:]


def signed(parameter: int) -> int:
    """A 32-bit parameter read as signed (the frequency correction)."""
    return parameter - (1 << 32) if parameter & 0x80000000 else parameter


def set_frequency(hz: float) -> bytes:
    """Tune to ``hz``."""
    return encode_command(Command.SET_FREQUENCY, round(hz))


def set_sample_rate(rate: float) -> bytes:
    """Sample at ``rate`` samples per second."""
    return encode_command(Command.SET_SAMPLE_RATE, round(rate))


def set_gain_mode(manual: bool) -> bytes:
    """Manual gain (then :func:`set_gain`) or the tuner's automatic gain."""
    return encode_command(Command.SET_GAIN_MODE, int(manual))


def set_gain(db: float) -> bytes:
    """Tuner gain in dB (sent in tenths; the tuner picks its nearest step)."""
    return encode_command(Command.SET_GAIN, round(db * 10))


def set_freq_correction(ppm: int) -> bytes:
    """The dongle's crystal error in ppm (signed)."""
    return encode_command(Command.SET_FREQ_CORRECTION, ppm)


def set_agc_mode(on: bool) -> bytes:
    """The RTL2832's digital AGC on or off."""
    return encode_command(Command.SET_AGC_MODE, int(on))


def is_address(port: str) -> bool:
    """Whether a port string is an rtl_tcp address (``rtl_tcp://host[:port]``)."""
    return port.strip().lower().startswith(f"{SCHEME}://")


def parse_address(port: str) -> tuple[str, int]:
    """Host and TCP port of ``rtl_tcp://host[:port]`` (default port 1234); ValueError if not one."""
    text = port.strip()
    if not is_address(text):
        raise ValueError(f"{port!r} is not an rtl_tcp address (rtl_tcp://host:port)")
    # urlsplit takes no "_" in a scheme: split the rest as a plain //host:port.
    parts = urlsplit("//" + text[len(SCHEME) + 3 :])
    try:
        tcp_port = parts.port
    except ValueError as err:
        raise ValueError(f"{port!r}: bad port ({err})") from None
    host = parts.hostname
    if not host or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{port!r} is not an rtl_tcp address (rtl_tcp://host:port)")
    return host, DEFAULT_PORT if tcp_port is None else tcp_port


def format_address(host: str, port: int) -> str:
    """``rtl_tcp://host:port`` (IPv6 hosts in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"{SCHEME}://{shown}:{port}"
