"""The rtl_tcp protocol byte by byte (facts from rtl-sdr's rtl_tcp.c)."""

from __future__ import annotations

import pytest

from custom_components.wmbus.protocol.radios.sdr import rtl_tcp
from custom_components.wmbus.protocol.radios.sdr.rtl_tcp import Command, DongleInfo, TunerType


def test_header_is_magic_then_two_big_endian_words() -> None:
    header = rtl_tcp.encode_header(DongleInfo(TunerType.R820T, 29))
    assert header == b"RTL0" + bytes([0, 0, 0, 5]) + bytes([0, 0, 0, 29])
    assert rtl_tcp.parse_header(header) == (TunerType.R820T, 29)
    assert rtl_tcp.parse_header(header).tuner_name == "R820T"


def test_every_tuner_number_of_rtl_sdr_h() -> None:
    assert [t.name for t in TunerType] == [
        "UNKNOWN", "E4000", "FC0012", "FC0013", "FC2580", "R820T", "R828D"
    ]  # fmt: skip
    assert rtl_tcp.parse_header(b"RTL0\x00\x00\x00\x06\x00\x00\x00\x00").tuner is TunerType.R828D


def test_a_tuner_number_not_known_is_kept() -> None:
    info = rtl_tcp.parse_header(b"RTL0\x00\x00\x01\x00\x00\x00\x00\x01")
    assert info == (256, 1)
    assert info.tuner_name == "unknown (256)"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"HTTP/1.1 400", "starts with b'HTTP'"),
        (b"RTL0\x00\x00\x00\x05\x00\x00\x00", "12-byte"),
        (b"", "got 0 bytes"),
    ],
)
def test_anything_else_is_not_rtl_tcp(data: bytes, why: str) -> None:
    with pytest.raises(rtl_tcp.NotRtlTcp, match=why):
        rtl_tcp.parse_header(data)


def test_commands_are_one_byte_and_a_big_endian_parameter() -> None:
    assert rtl_tcp.set_frequency(868.95e6) == b"\x01" + (868_950_000).to_bytes(4, "big")
    assert rtl_tcp.set_sample_rate(1.6e6) == b"\x02\x00\x18\x6a\x00"
    assert rtl_tcp.set_gain_mode(True) == b"\x03\x00\x00\x00\x01"
    assert rtl_tcp.set_gain_mode(False) == b"\x03\x00\x00\x00\x00"
    assert rtl_tcp.set_gain(49.6) == b"\x04\x00\x00\x01\xf0"  # tenths of a dB
    assert rtl_tcp.set_freq_correction(52) == b"\x05\x00\x00\x00\x34"
    assert rtl_tcp.set_agc_mode(True) == b"\x08\x00\x00\x00\x01"


def test_a_negative_correction_is_sent_as_twos_complement() -> None:
    data = rtl_tcp.set_freq_correction(-3)
    assert data == b"\x05\xff\xff\xff\xfd"
    ((command, parameter),), rest = rtl_tcp.decode_commands(data)
    assert (command, rtl_tcp.signed(parameter), rest) == (Command.SET_FREQ_CORRECTION, -3, b"")


def test_decoding_keeps_an_incomplete_command_for_later() -> None:
    data = rtl_tcp.set_sample_rate(2.4e6) + rtl_tcp.set_frequency(868.625e6) + b"\x04\x00"
    commands, rest = rtl_tcp.decode_commands(data)
    assert commands == [(Command.SET_SAMPLE_RATE, 2_400_000), (Command.SET_FREQUENCY, 868_625_000)]
    assert rest == b"\x04\x00"
    assert rtl_tcp.decode_commands(b"\x7f\x00\x00\x00\x01") == ([(0x7F, 1)], b"")


def test_a_parameter_over_32_bits_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bits"):
        rtl_tcp.encode_command(Command.SET_FREQUENCY, 1 << 32)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("rtl_tcp://192.168.1.5:1234", ("192.168.1.5", 1234)),
        ("RTL_TCP://pi.local", ("pi.local", 1234)),
        ("rtl_tcp://[::1]:7373/", ("::1", 7373)),
        (" rtl_tcp://host:1 ", ("host", 1)),
    ],
)
def test_addresses(address: str, expected: tuple[str, int]) -> None:
    assert rtl_tcp.is_address(address)
    assert rtl_tcp.parse_address(address) == expected


@pytest.mark.parametrize(
    "address",
    ["/dev/ttyUSB0", "socket://host:1234", "rtl_tcp://", "rtl_tcp://h:99999", "rtl_tcp://h/x"],
)
def test_what_is_not_an_address(address: str) -> None:
    with pytest.raises(ValueError, match="rtl_tcp"):
        rtl_tcp.parse_address(address)


def test_format_address_round_trips() -> None:
    assert rtl_tcp.format_address("::1", 1234) == "rtl_tcp://[::1]:1234"
    assert rtl_tcp.parse_address(rtl_tcp.format_address("10.0.0.2", 4321)) == ("10.0.0.2", 4321)
