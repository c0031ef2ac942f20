"""The network feeds' codec: every form a gateway sends, its quirks, and garbage."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.wmbus.protocol.blocks import FrameFormat, add_block_crcs
from custom_components.wmbus.protocol.radios.feeds import (
    MAX_LINE_BYTES,
    FeedFormat,
    FeedRejected,
    FeedTelegram,
    LineSplitter,
    RejectReason,
    describe_stream,
    parse_line,
    parse_message,
)
from tests.conftest import omnipower_captures

TELEGRAM = bytes.fromhex(omnipower_captures()[0]["telegram_hex"])
METER_ID = TELEGRAM[7:3:-1].hex()  # 32666857
# A real rtl_433 event (merbanan/rtl_433_tests tests/m-bus/01, Kamstrup cold water, mode C
# frame B): L = 0x23 counts the two CRC bytes that are no longer in "data".
RTL_433_FRAME_B = (
    '{"time" : "@0.042742s", "model" : "Wireless-MBus", "mode" : "C", "M" : "KAM", '
    '"id" : 63264176, "version" : 27, "type" : 22, "type_string" : "Cold Water", "C" : 68, '
    '"data" : "23442d2c764126631b168d20ad11f7d922c002c09569ca823f4a38dbf5c8b41a4520", '
    '"ell_ci" : 141, "ell_cc" : 32, "ell_acc" : 173, "payload_encrypted" : 1, "mic" : "CRC"}'
)


def _one(results: list[FeedTelegram | FeedRejected]) -> FeedTelegram | FeedRejected:
    assert len(results) == 1, results
    return results[0]


def _telegram(message: str | bytes) -> FeedTelegram:
    result = _one(parse_message(message))
    assert isinstance(result, FeedTelegram), result
    return result


def _reason(message: str | bytes) -> RejectReason:
    result = _one(parse_message(message))
    assert isinstance(result, FeedRejected), result
    return result.reason


# --- hex -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        TELEGRAM.hex(),
        "0x" + TELEGRAM.hex(),
        TELEGRAM.hex().upper() + "\r\n",
        " 0X" + TELEGRAM.hex(),
    ],
    ids=["bare", "0x", "upper-crlf", "0X-space"],
)
def test_a_hex_line_is_the_telegram(line: str) -> None:
    result = _telegram(line)
    assert result.telegram == TELEGRAM
    assert result.feed_format is FeedFormat.HEX
    assert result.rssi_dbm is None


def test_a_hex_line_with_block_crcs_has_them_checked_and_stripped() -> None:
    framed = add_block_crcs(TELEGRAM, FrameFormat.A)
    assert _telegram(framed.hex()).telegram == TELEGRAM
    damaged = bytearray(framed)
    damaged[15] ^= 0x01
    assert _reason(damaged.hex()) is RejectReason.CRC_FAILED


def test_a_hex_line_whose_l_field_disagrees_is_refused() -> None:
    assert _reason(TELEGRAM[:-1].hex()) is RejectReason.LENGTH_MISMATCH
    assert _reason((TELEGRAM + b"\x00").hex()) is RejectReason.LENGTH_MISMATCH


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (TELEGRAM.hex()[:-1], RejectReason.NOT_HEX),  # odd digits
        (TELEGRAM.hex()[:-2] + "zz", RejectReason.NOT_HEX),
        ("0x", RejectReason.UNKNOWN_FORMAT),
        ("rtl_wmbus: exiting", RejectReason.UNKNOWN_FORMAT),
        ("0a44" + "00" * 3, RejectReason.NOT_A_TELEGRAM),  # ESPHome #425: 8-byte noise
        ("", RejectReason.EMPTY),
        ("  \r\n", RejectReason.EMPTY),
    ],
)
def test_what_is_not_a_hex_telegram_says_why(line: str, reason: RejectReason) -> None:
    assert _reason(line) is reason


# --- rtl_wmbus lines -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    ["2019-02-09 07:14:18.000", "2026-12-07 21:24:46.170254", "2026-12-07 21:24:46.000000"],
    ids=["utc-ms", "local-us", "windows-us"],
)
def test_an_rtl_wmbus_line_has_a_level_but_no_dbm(timestamp: str) -> None:
    line = f"C1;1;1;{timestamp};117;102;{METER_ID.upper()};0x{TELEGRAM.hex()}\n"
    result = _telegram(line)
    assert result.telegram == TELEGRAM
    assert result.feed_format is FeedFormat.RTL_WMBUS
    assert result.rssi_dbm is None  # PACKET_RSSI is a demodulator magnitude, not dBm
    assert result.level == 117


def test_esphome_as_rtlwmbus_line_carries_dbm() -> None:
    line = f"T1;1;1;2026-12-07 21:24:46.00Z;-71;;;0x{TELEGRAM.hex()}\n"
    result = _telegram(line)
    assert result.telegram == TELEGRAM
    assert result.feed_format is FeedFormat.ESPHOME_RTL_WMBUS
    assert result.rssi_dbm == -71.0


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("X1;0;0;2019-02-09 07:14:18.000;22;22;00000000;0x1234", RejectReason.CRC_FAILED),
        (f"C1;0;1;2019-02-09 07:14:18.000;22;22;{METER_ID};0x{TELEGRAM.hex()}", "crc_failed"),
        (f"T1;1;0;2019-02-09 07:14:18.000;22;22;{METER_ID};0x{TELEGRAM.hex()}", "coding_failed"),
        (f"C1;1;1;2019-02-09 07:14:18.000;22;22;12345678;0x{TELEGRAM.hex()}", "id_mismatch"),
        (f"C1;1;1;yesterday;22;22;{METER_ID};0x{TELEGRAM.hex()}", "unknown_format"),
        (f"Q1;1;1;2019-02-09 07:14:18.000;22;22;{METER_ID};0x{TELEGRAM.hex()}", "unknown_format"),
        (f"C1;1;1;2019-02-09 07:14:18.000;loud;;;0x{TELEGRAM.hex()}", "unknown_format"),
        ("C1;1;1;2019-02-09 07:14:18.000;22;22", "unknown_format"),
        (f"C1;1;1;2019-02-09 07:14:18.000;22;22;{METER_ID};{TELEGRAM.hex()}", "not_hex"),
        (
            f"C1;1;1;2019-02-09 07:14:18.000;22;22;{METER_ID};0x{TELEGRAM.hex()}00",
            "length_mismatch",
        ),
    ],
    ids=[
        "x1",
        "crc-0",
        "3of6-0",
        "other-id",
        "no-time",
        "no-mode",
        "rssi-text",
        "short",
        "no-0x",
        "l-disagrees",
    ],
)
def test_what_is_not_an_rtl_wmbus_telegram_says_why(line: str, reason: str) -> None:
    expected = "length_mismatch" if reason == "length" else reason
    assert _reason(line) == expected


def test_an_rtl_wmbus_line_may_carry_a_second_telegram() -> None:
    line = f"C1;1;1;2019-02-09 07:14:18.000;97;90;{METER_ID};0x{TELEGRAM.hex()};0x{TELEGRAM.hex()}"
    results = parse_line(line)
    assert [r.telegram for r in results if isinstance(r, FeedTelegram)] == [TELEGRAM, TELEGRAM]


def test_an_old_rtl_wmbus_c1_frame_b_l_field_is_rewritten() -> None:
    quirky = bytes((len(TELEGRAM) - 1 + 2,)) + TELEGRAM[1:]  # L still counts the block-2 CRC
    line = f"C1;1;1;2019-02-09 07:14:18.000;97;90;{METER_ID};0x{quirky.hex()}"
    assert _telegram(line).telegram == TELEGRAM
    # T1 has no frame B: the same line in T1 is refused.
    assert _reason("T" + line[1:]) is RejectReason.LENGTH_MISMATCH


# --- rtl_433 ---------------------------------------------------------------------------------


def test_rtl_433_frame_b_event_gets_its_l_field_rewritten() -> None:
    result = _telegram(RTL_433_FRAME_B)
    data = bytes.fromhex(json.loads(RTL_433_FRAME_B)["data"])
    assert result.feed_format is FeedFormat.RTL_433_JSON
    assert result.telegram == bytes((len(data) - 1,)) + data[1:]
    assert result.telegram[0] == 0x21
    assert result.rssi_dbm is None


def test_rtl_433_frame_b_with_block_3_counts_two_crcs() -> None:
    long_telegram = bytes((200,)) + TELEGRAM[1:11] + bytes(range(190))
    on_air_l = len(long_telegram) - 1 + 4
    data = bytes((on_air_l,)) + long_telegram[1:]
    event = {"model": "Wireless-MBus", "mode": "C", "id": int(METER_ID), "data": data.hex()}
    assert _telegram(json.dumps(event)).telegram == long_telegram


def test_rtl_433_frame_a_event_with_level_and_decimal_id() -> None:
    event = {
        "model": "Wireless-MBus",
        "mode": "T",
        "id": int(METER_ID),
        "data": TELEGRAM.hex(),
        "rssi": -12.1,
        "snr": 20.3,
    }
    result = _telegram(json.dumps(event))
    assert result.telegram == TELEGRAM
    assert result.rssi_dbm is None  # rtl_433's rssi is dB of the SDR's scale, not dBm
    assert result.level == pytest.approx(-12.1)


def test_rtl_433_id_lost_leading_zeros_still_matches() -> None:
    telegram = TELEGRAM[:4] + bytes.fromhex("01234567")[::-1] + TELEGRAM[8:]
    event = {"model": "Wireless-MBus", "mode": "C", "id": 1234567, "data": telegram.hex()}
    assert _telegram(json.dumps(event)).telegram == telegram
    event["id"] = 7654321
    assert _reason(json.dumps(event)) is RejectReason.ID_MISMATCH


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"model": "Acurite-Tower", "id": 1, "temperature_C": 3.1}, "other_device"),
        ({"model": "Wireless-MBus", "mode": "C"}, "not_a_telegram"),
        ({"model": "Wireless-MBus", "mode": "C", "data": "xyz"}, "not_hex"),
        ({"model": "Wireless-MBus", "mode": "T", "data": TELEGRAM.hex()[:-2]}, "length_mismatch"),
        ({"model": "Wireless-MBus", "mode": "Q", "data": TELEGRAM.hex()}, "unknown_format"),
        ({"model": "Wireless-MBus", "data": "ff" * 400}, "length_mismatch"),
        ({"something": "else"}, "unknown_format"),
    ],
)
def test_what_is_not_an_rtl_433_telegram_says_why(event: dict[str, object], reason: str) -> None:
    assert _reason(json.dumps(event)) == reason


def test_broken_json_is_unknown_format() -> None:
    assert _reason('{"model": "Wireless-MBus", "data": ') is RejectReason.UNKNOWN_FORMAT
    assert _reason("{" * 100_000) is RejectReason.TOO_LONG
    assert _reason('{"a":' * 5000 + "1" + "}" * 5000) is RejectReason.UNKNOWN_FORMAT


def test_a_payload_of_several_lines_gives_each() -> None:
    payload = (
        f"{TELEGRAM.hex()}\nnonsense\n\nT1;1;1;2026-12-07 21:24:46.00Z;-80;;;0x{TELEGRAM.hex()}"
    )
    results = parse_message(payload.encode())
    assert [type(r).__name__ for r in results] == ["FeedTelegram", "FeedRejected", "FeedTelegram"]
    json_lines = RTL_433_FRAME_B + "\n" + RTL_433_FRAME_B
    assert len([r for r in parse_message(json_lines) if isinstance(r, FeedTelegram)]) == 2


def test_bytes_that_are_not_utf8_are_unknown_format() -> None:
    assert _reason(b"\xff\xfe" + TELEGRAM) is RejectReason.UNKNOWN_FORMAT


# --- lines of a stream -----------------------------------------------------------------------


def test_line_splitter_joins_pieces_and_keeps_the_unterminated_last_line() -> None:
    splitter = LineSplitter()
    line = TELEGRAM.hex().encode()
    assert splitter.feed(line[:10]) == []
    assert splitter.feed(line[10:] + b"\r\n" + line[:4]) == [line + b"\r"]
    assert splitter.feed(line[4:]) == []
    assert splitter.finish() == line
    assert splitter.finish() is None


def test_line_splitter_drops_an_endless_line_and_recovers() -> None:
    splitter = LineSplitter()
    for _ in range(10):
        assert splitter.feed(b"a" * 1000) == []
    assert splitter.too_long == 1
    assert splitter.feed(b"aaa\nGOOD\n") == [b"GOOD"]
    assert splitter.feed(b"b" * (MAX_LINE_BYTES + 1) + b"\nok\n") == [b"ok"]
    assert splitter.too_long == 2


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.binary(max_size=120).map(lambda b: b.replace(b"\n", b"")), max_size=8),
    st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=20),
)
def test_line_splitter_gives_the_same_lines_however_the_stream_is_cut(
    lines: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(line + b"\n" for line in lines)
    splitter = LineSplitter()
    got: list[bytes] = []
    position = 0
    for cut in cuts * (len(stream) // max(sum(cuts), 1) + 1):
        got += splitter.feed(stream[position : position + cut])
        position += cut
    got += splitter.feed(stream[position:])
    assert got == lines
    assert splitter.finish() is None


def test_describe_stream_names_each_line() -> None:
    stream = f"{TELEGRAM.hex()}\nX1;0;0;2019-02-09 07:14:18.000;22;22;00000000;0x12\n".encode()
    described = describe_stream(stream)
    assert described[0]["telegram_hex"] == TELEGRAM.hex()
    assert described[1]["error"] == "crc_failed"


# --- never a crash ---------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=600), st.binary(max_size=600)))
def test_any_message_gives_results_never_an_exception(message: str | bytes) -> None:
    for result in parse_message(message):
        if isinstance(result, FeedTelegram):
            assert len(result.telegram) == result.telegram[0] + 1
        else:
            assert isinstance(result.reason, RejectReason)


_FIELD = st.sampled_from(
    ["C1", "T1", "X1", "S1", "0", "1", "", "-70", "117", "0x", "2019-02-09 07:14:18.000", METER_ID]
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(_FIELD, st.text(max_size=20)), min_size=1, max_size=10),
    st.binary(max_size=300),
)
def test_any_rtl_wmbus_like_line_gives_results(fields: list[str], data: bytes) -> None:
    line = ";".join([*fields, "0x" + data.hex()])
    for result in parse_line(line):
        if isinstance(result, FeedTelegram):
            assert len(result.telegram) == result.telegram[0] + 1


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["model", "mode", "id", "data", "rssi", "x"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(),
            st.text(max_size=30),
            st.just("Wireless-MBus"),
            st.binary(max_size=80).map(bytes.hex),
        ),
    )
)
def test_any_json_event_gives_a_result(event: dict[str, object]) -> None:
    results = parse_message(json.dumps(event))
    assert len(results) == 1
