"""AMB8465 codec and commands, byte by byte, against the verified wire examples.

The request/confirm pairs are the Amber manual's (AMBMAN p.7, p.12) and those of the recorded
ioBroker.wmbus init session ``Amber.init-T-cmdout.json``, their XORs recomputed.
"""

from __future__ import annotations

import pytest

from custom_components.wmbus.protocol.radios import LinkMode, radio_kind
from custom_components.wmbus.protocol.radios.amb8465 import (
    KIND,
    STALE_PARTIAL_S,
    TRANSPARENT,
    AmberFrame,
    AmberPayloadError,
    Command,
    CommandRefused,
    DropReason,
    FrameDecoder,
    ParameterDump,
    Request,
    check_status,
    checksum,
    dbm_to_rssi,
    describe_stream,
    encode_data_ind,
    encode_frame,
    encode_transparent,
    firmware_version,
    get_all_parameters,
    get_parameters,
    link_mode_code,
    link_mode_of_code,
    parse_firmware_version,
    parse_serial_number,
    reset,
    rssi_to_dbm,
    serial_number,
    set_mode,
)
from tests.protocol.conftest import VECTORS

# A real OmniPower telegram (from L, no block CRCs) from tests/data/vectors/omnipower.json.
TELEGRAM = bytes.fromhex(next(v["telegram_hex"] for v in VECTORS if "telegram_hex" in v))


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# --- encoding: the verified requests --------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "wire"),
    [
        (set_mode(0x08), "ff 04 01 08 f2"),
        (reset(), "ff 05 00 fa"),
        (get_parameters(0x05, 1), "ff 0a 02 05 01 f3"),
        (get_all_parameters(), "ff 0a 02 00 80 77"),
        (serial_number(), "ff 0b 00 f4"),
        (firmware_version(), "ff 0c 00 f3"),
    ],
)
def test_requests_encode_as_verified(request_: Request, wire: str) -> None:
    assert request_.encode() == h(wire)
    assert request_.confirm_id == request_.command | 0x80


@pytest.mark.parametrize(
    ("command", "payload", "wire"),
    [
        (0x06, "0b", "ff 06 01 0b f3"),  # SET_CHANNEL (AMBMAN p.12)
        (0x86, "0b", "ff 86 01 0b 73"),
        (0x09, "05 01 01", "ff 09 03 05 01 01 f0"),  # SET (NVM): encoded only, never sent
        (0x89, "00", "ff 89 01 00 77"),
        (0x11, "", "ff 11 00 ee"),  # FACTORYRESET
        (0x0D, "", "ff 0d 00 f2"),  # RSSI
    ],
)
def test_frames_encode_with_xor_of_all_bytes(command: int, payload: str, wire: str) -> None:
    assert encode_frame(command, h(payload)) == h(wire)
    assert checksum(h(wire)) == 0  # the XOR over a whole frame, cs included, is 0


def test_payload_longer_than_255_is_refused() -> None:
    with pytest.raises(ValueError, match="exceeds 255"):
        encode_frame(0x00, bytes(256))


# --- decoding confirms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "command", "payload"),
    [
        ("ff 84 01 00 7a", 0x84, "00"),
        ("ff 85 01 00 7b", 0x85, "00"),
        ("ff 8a 03 05 01 00 72", 0x8A, "05 01 00"),
        ("ff 86 01 0b 73", 0x86, "0b"),
        ("ff 89 01 00 77", 0x89, "00"),
    ],
)
def test_confirms_decode_as_verified(wire: str, command: int, payload: str) -> None:
    decoder = FrameDecoder()
    assert decoder.feed(h(wire)) == [AmberFrame(command, h(payload))]
    assert not decoder.dropped
    assert decoder.buffered == 0


def test_confirm_in_chunks_of_one_byte() -> None:
    decoder = FrameDecoder()
    frames: list[AmberFrame] = []
    for byte in h("ff 85 01 00 7b"):
        frames += decoder.feed(bytes((byte,)))
    assert frames == [AmberFrame(0x85, h("00"))]


def test_stray_byte_before_an_answer_is_skipped() -> None:
    # wmbusmeters #26, #1049: an answer can come after one stray byte.
    for stray in (0x00, 0x0B, 0x44, 0x7F, 0xFE):
        decoder = FrameDecoder()
        assert decoder.feed(bytes((stray,)) + h("ff 84 01 00 7a")) == [AmberFrame(0x84, h("00"))]
        assert decoder.dropped == {DropReason.GARBAGE: 1}


def test_stray_ff_before_an_answer_is_skipped() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(h("ff ff 84 01 00 7a")) == [AmberFrame(0x84, h("00"))]
    assert decoder.dropped == {DropReason.GARBAGE: 1}


def test_bad_xor_is_dropped_and_the_next_frame_found() -> None:
    decoder = FrameDecoder()
    frames = decoder.feed(h("ff 84 01 00 7b") + h("ff 85 01 00 7b"))
    assert frames == [AmberFrame(0x85, h("00"))]
    assert decoder.dropped[DropReason.CHECKSUM_MISMATCH] == 1


def test_factory_reset_confirm_0x90_is_a_frame() -> None:
    # The manual and wmbusmeters expect FF 90 for FACTORYRESET (the +0x80 rule gives 91).
    decoder = FrameDecoder()
    assert decoder.feed(encode_frame(0x90, b"\x00")) == [AmberFrame(0x90, b"\x00")]


def test_full_parameter_dump_of_an_amb8465() -> None:
    # FF 8A 7A 00 78 + 120 bytes + cs: 126 bytes (wmbusmeters decode8465).
    values = bytearray(120)
    values[0x05] = 1
    values[0x45] = 1
    wire = encode_frame(0x8A, bytes((0x00, 0x78)) + values)
    assert wire[:5] == h("ff 8a 7a 00 78")
    assert len(wire) == 126
    (frame,) = FrameDecoder().feed(wire)
    dump = ParameterDump.parse(frame.payload)
    assert dump.model == "AMB8465"
    assert dump.command_output is True
    assert dump.rssi_enabled is True
    assert dump.encode() == frame.payload


def test_full_parameter_dump_of_an_amb3665_is_told_apart() -> None:
    wire = encode_frame(0x8A, bytes((0x00, 0x80)) + bytes(128))
    assert wire[:5] == h("ff 8a 82 00 80")
    assert len(wire) == 134
    (frame,) = FrameDecoder().feed(wire)
    assert ParameterDump.parse(frame.payload).model == "AMB3665"


def test_partial_dump_covers_only_its_range() -> None:
    dump = ParameterDump.parse(h("05 01 00"))
    assert dump.command_output is False
    assert dump.rssi_enabled is None
    assert dump.get(0x06) is None
    with pytest.raises(AmberPayloadError):
        ParameterDump.parse(h("05 02 00"))


def test_serial_number_and_firmware() -> None:
    assert parse_serial_number(h("2a 01 c3 0c")) == "2a01c30c"  # MSB first
    assert parse_firmware_version(h("01 00 05")) == "1.0.5"
    with pytest.raises(AmberPayloadError):
        parse_serial_number(h("01 02 03"))
    with pytest.raises(AmberPayloadError):
        parse_firmware_version(h("01 02"))


def test_status_of_a_confirm() -> None:
    check_status(AmberFrame(0x84, b"\x00"), set_mode(0x08))
    with pytest.raises(CommandRefused) as refused:
        check_status(AmberFrame(0x84, b"\x01"), set_mode(0x08))
    assert refused.value.status == 1
    with pytest.raises(AmberPayloadError):
        check_status(AmberFrame(0x84, b""), set_mode(0x08))


# --- telegrams ------------------------------------------------------------------------------


def test_transparent_telegram_drops_rssi_and_rebuilds_l() -> None:
    # len counts everything after itself incl. RSSI; the telegram starts at the C-field.
    wire = encode_transparent(TELEGRAM, 0x10)
    assert wire == bytes((TELEGRAM[0] + 1,)) + TELEGRAM[1:] + b"\x10"
    (frame,) = FrameDecoder().feed(wire)
    assert frame == AmberFrame(TRANSPARENT, b"", TELEGRAM, 0x10)
    assert frame.rssi_dbm == -66.0  # 16/2 - 74


@pytest.mark.parametrize(
    ("raw", "dbm"), [(0x00, -74.0), (0x10, -66.0), (0x7F, -10.5), (0x80, -138.0), (0xFF, -74.5)]
)
def test_rssi_is_signed_half_dbm_minus_74(raw: int, dbm: float) -> None:
    assert rssi_to_dbm(raw) == dbm
    assert dbm_to_rssi(dbm) == raw


def test_data_ind_with_rssi() -> None:
    wire = encode_data_ind(TELEGRAM, 0xB0)
    assert wire[:3] == bytes((0xFF, 0x03, TELEGRAM[0] + 1))
    assert checksum(wire) == 0
    (frame,) = FrameDecoder(transparent=False, data_ind_rssi=True).feed(wire)
    assert frame == AmberFrame(Command.DATA_IND, b"", TELEGRAM, 0xB0)
    assert frame.rssi_dbm == -114.0  # (0xB0 - 256)/2 - 74


def test_data_ind_without_rssi_keeps_len_as_l() -> None:
    wire = encode_data_ind(TELEGRAM, None)
    assert wire[2] == TELEGRAM[0]
    (frame,) = FrameDecoder(transparent=False, data_ind_rssi=False).feed(wire)
    assert frame == AmberFrame(Command.DATA_IND, b"", TELEGRAM, None)
    assert frame.rssi_dbm is None


def test_data_ind_is_read_in_transparent_mode_too() -> None:
    # It checks out (XOR), so it is a telegram whatever the parameters were believed to be.
    (frame,) = FrameDecoder(transparent=True).feed(encode_data_ind(TELEGRAM, 0x20))
    assert frame.telegram == TELEGRAM


def test_transparent_telegrams_in_any_chunks() -> None:
    stream = b"".join(encode_transparent(TELEGRAM, rssi) for rssi in (1, 2, 3))
    stream += h("ff 84 01 00 7a")
    for chunk in (1, 2, 7, 45, len(stream)):
        decoder = FrameDecoder()
        frames: list[AmberFrame] = []
        for start in range(0, len(stream), chunk):
            frames += decoder.feed(stream[start : start + chunk])
        assert [f.rssi_raw for f in frames if f.telegram == TELEGRAM] == [1, 2, 3]
        assert frames[-1] == AmberFrame(0x84, h("00"))
        assert not decoder.dropped, chunk


def test_transparent_resyncs_after_garbage() -> None:
    # Garbage bytes below 10, or not followed by a meter's C-field, cannot start a telegram.
    garbage = h("00 01 09 44 0a 00 ff 12 34 2e 99 fe")
    decoder = FrameDecoder()
    frames = decoder.feed(garbage + encode_transparent(TELEGRAM, 5))
    assert frames == [AmberFrame(TRANSPARENT, b"", TELEGRAM, 5)]
    assert decoder.dropped == {DropReason.GARBAGE: len(garbage)}


def test_transparent_telegram_of_len_255_starting_with_ff() -> None:
    telegram = bytes((254, 0x44)) + bytes(253)
    wire = encode_transparent(telegram, 7)
    assert wire[:2] == h("ff 44")
    assert FrameDecoder().feed(wire) == [AmberFrame(TRANSPARENT, b"", telegram, 7)]


@pytest.mark.parametrize("c_field", [0x44, 0x46, 0x47, 0x48, 0x08])
def test_meter_c_fields_start_a_transparent_telegram(c_field: int) -> None:
    telegram = bytes((11, c_field)) + bytes(10)
    assert FrameDecoder().feed(encode_transparent(telegram, 0))[0].telegram == telegram


def test_command_mode_does_not_look_for_transparent_telegrams() -> None:
    # After a bad XOR the DATA_IND's own bytes read "len C ...": not a telegram in command mode.
    broken = bytearray(encode_data_ind(TELEGRAM, 0x20))
    broken[-1] ^= 0xFF
    decoder = FrameDecoder(transparent=False)
    assert decoder.feed(bytes(broken) + encode_data_ind(TELEGRAM, 0x21)) == [
        AmberFrame(Command.DATA_IND, b"", TELEGRAM, 0x21)
    ]
    assert decoder.dropped[DropReason.CHECKSUM_MISMATCH] == 1
    assert decoder.dropped[DropReason.GARBAGE] == len(broken) - 1


def test_partial_dropped_after_a_gap_of_two_seconds() -> None:
    wire = encode_transparent(TELEGRAM, 5)
    decoder = FrameDecoder()
    assert decoder.feed(wire[:20], now=100.0) == []
    assert decoder.feed(wire[20:30], now=101.9) == []  # under 2 s: still one telegram
    assert decoder.feed(wire, now=101.9 + STALE_PARTIAL_S) == [
        AmberFrame(TRANSPARENT, b"", TELEGRAM, 5)
    ]
    assert decoder.dropped[DropReason.STALE_TRANSPARENT] == 1
    assert sum(decoder.dropped.values()) == 30


def test_telegram_behind_a_false_start_is_found_after_the_gap() -> None:
    # "fe 44" promises 254 bytes; the real telegram inside it comes out once that start is
    # abandoned, rather than being dropped with it.
    wire = encode_transparent(TELEGRAM, 5)
    false_start = h("fe 44")
    decoder = FrameDecoder()
    assert decoder.feed(false_start + wire, now=0.0) == []
    assert decoder.feed(b"", now=STALE_PARTIAL_S) == [AmberFrame(TRANSPARENT, b"", TELEGRAM, 5)]
    assert decoder.dropped == {DropReason.STALE_TRANSPARENT: 1, DropReason.GARBAGE: 1}
    assert decoder.buffered == 0


def test_stale_command_partial_counts_as_a_protocol_error() -> None:
    decoder = FrameDecoder()
    decoder.feed(h("ff 8a 7a 00 78 00 00"), now=0.0)
    assert decoder.feed(h("ff 85 01 00 7b"), now=5.0) == [AmberFrame(0x85, h("00"))]
    assert decoder.dropped == {DropReason.STALE_COMMAND: 1, DropReason.GARBAGE: 6}


def test_false_start_gives_way_to_a_checked_confirm() -> None:
    # Noise "30 44" promises a 48-byte telegram; the confirm inside it proves it false.
    decoder = FrameDecoder()
    frames = decoder.feed(h("30 44 01 02") + encode_frame(0x8B, h("2a 01 c3 0c")))
    assert frames == [AmberFrame(0x8B, h("2a 01 c3 0c"))]
    assert decoder.dropped[DropReason.FALSE_START] == 1


def test_reset_keeps_counters_and_forgets_the_partial() -> None:
    decoder = FrameDecoder()
    decoder.feed(h("00 ff 84"))
    assert decoder.buffered == 2
    decoder.reset()
    assert decoder.buffered == 0
    assert decoder.dropped[DropReason.GARBAGE] == 1


# --- the kind -------------------------------------------------------------------------------


def test_kind_facts() -> None:
    assert radio_kind("amb8465") is KIND
    assert KIND.default_link_mode is LinkMode.C1T1
    assert KIND.probe_order == 10
    assert {mode: link_mode_code(mode) for mode in KIND.link_modes} == {
        LinkMode.C1T1: 0x09,
        LinkMode.T1: 0x08,
        LinkMode.C1: 0x0E,
        LinkMode.S1: 0x03,
    }
    assert link_mode_of_code(0x0E) is LinkMode.C1
    assert link_mode_of_code(0x07) is None
    ftdi = (0x0403, 0x6001)
    assert any(m.matches(*ftdi, "AMBER", "AMB8465 Wireless USB Stick") for m in KIND.usb)
    assert any(m.matches(*ftdi, "Wurth", "AMB8465-M") for m in KIND.usb)
    assert not any(m.matches(*ftdi, "FTDI", "FT232R USB UART") for m in KIND.usb)  # nanoCUL


def test_describe_stream() -> None:
    stream = b"\x00" + encode_transparent(TELEGRAM, 0x10) + h("ff 85 01 00 7b ff 8a")
    assert describe_stream(stream) == [
        {"command": "transparent", "telegram_hex": TELEGRAM.hex(), "rssi_dbm": -66.0},
        {"command": 0x85, "payload_hex": "00"},
        {"error": "garbage_bytes", "bytes": 1},
        {"error": "truncated", "message": "2 bytes of an incomplete frame"},
    ]
