"""iU891A-XL codec: SLIP + CRC-16/X-25 frames, commands and payloads, byte by byte.

The wire examples are the ones recomputed from captures in wmbusmeters issue logs (#1630 for
get device info) and from wmbusmeters' ``extractFrame`` comment (an RX indication).
"""

from __future__ import annotations

import pytest

from custom_components.wmbus.protocol.radios import LinkMode, radio_kind
from custom_components.wmbus.protocol.radios.iu891a import (
    KIND,
    ActiveConfiguration,
    Busy,
    Command,
    DeviceInfo,
    DropReason,
    EncryptionError,
    FirmwareInfo,
    Frame,
    FrameDecoder,
    NotSupported,
    PayloadError,
    RxIndication,
    StatusError,
    UnexpectedFormat,
    WrongParameter,
    describe_stream,
    encode_frame,
    encode_rx_indication,
    get_active_configuration,
    get_device_info,
    get_firmware_info,
    get_wmbus_address,
    ping,
    restart,
    set_active_configuration,
    slip_escape,
    slip_unescape,
)

# wmbusmeters src/wmbus_iu891a.cc, extractFrame comment: a T1 telegram heard at -25 dBm.
RX_CAPTURE = bytes.fromhex(
    "c0 09 20 9f436d38 00 00 02 e7"
    " 1844ae4c4455223368077a55000000041389e20100023b0000 af59 c0".replace(" ", "")
)
RX_CAPTURE_TELEGRAM = bytes.fromhex("1844ae4c4455223368077a55000000041389e20100023b0000")


def wire(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


# --- requests on the wire -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (get_device_info(), "C0 01 03 04 24 C0"),
        (ping(), "C0 01 01 16 07 C0"),
        (get_wmbus_address(), "C0 09 81 DE 4D C0"),
        (get_active_configuration(), "C0 09 01 D6 C9 C0"),
    ],
)
def test_requests_match_the_verified_wire_bytes(command: Command, expected: str) -> None:
    assert command.encode() == wire(expected)


def test_set_active_configuration_matches_the_verified_example() -> None:
    config = ActiveConfiguration(
        link_mode=3, options=0x0006, ui_options=0, led_time_ms=0, recalibration_ms=0
    )
    assert set_active_configuration(config).encode() == wire(
        "C0 09 03 03 06 00 00 00 00 00 00 00 00 00 A1 76 C0"
    )


def test_host_configuration_is_what_wmbusmeters_3_writes() -> None:
    config = ActiveConfiguration.for_host(LinkMode.C1T1)
    # link mode C/T, options 0x000E, UI 0x0005, LED 50 ms, recalibration 900000 ms
    assert config.encode() == wire("03 0e00 0500 3200 a0bb0d00")
    assert config.forwards_all
    assert config.rx_indications
    assert ActiveConfiguration.parse(config.encode()) == config


@pytest.mark.parametrize(
    ("mode", "code"),
    [(LinkMode.C1T1, 3), (LinkMode.C1, 5), (LinkMode.T1, 2), (LinkMode.S1, 1)],
)
def test_link_mode_codes(mode: LinkMode, code: int) -> None:
    config = ActiveConfiguration.for_host(mode)
    assert config.encode()[0] == code
    assert config.link_mode_name is mode


def test_restart_and_firmware_info_requests() -> None:
    assert restart().encode()[1:3] == b"\x01\x07"
    assert restart().response_key == (1, 8)
    assert get_firmware_info().encode()[1:3] == b"\x01\x05"


# --- SLIP -----------------------------------------------------------------------------------


def test_slip_escapes_end_and_esc_in_the_right_order() -> None:
    assert slip_escape(b"\xc0") == b"\xdb\xdc"
    assert slip_escape(b"\xdb") == b"\xdb\xdd"
    assert slip_escape(b"\xdb\xdc\xc0\xdd") == b"\xdb\xdd\xdc\xdb\xdc\xdd"
    for data in (b"\xc0\xdb\xc0", b"\xdb\xdd", b"\xdb\xdc", bytes(range(256))):
        assert slip_unescape(slip_escape(data)) == data


@pytest.mark.parametrize("bad", [b"\x01\xdb", b"\x01\xdb\x02\x03", b"\xdb\xdb\xdc"])
def test_slip_unescape_rejects_a_bare_esc(bad: bytes) -> None:
    assert slip_unescape(bad) is None


def test_crc_bytes_are_escaped_too() -> None:
    # Find a body whose CRC contains c0 or db: the frame must carry it escaped.
    for byte in range(256):
        frame = encode_frame(0x09, 0x20, bytes((byte,)))
        inner = frame[1:-1]
        assert 0xC0 not in inner
        decoded = FrameDecoder(min_size=4).feed(frame)
        assert decoded == [slip_unescape(inner)]


# --- decoder --------------------------------------------------------------------------------


def test_decoder_takes_the_capture_apart() -> None:
    decoder = FrameDecoder()
    (raw,) = decoder.feed(RX_CAPTURE)
    indication = RxIndication.parse(raw)
    assert indication is not None
    assert indication.rssi_dbm == -25
    assert indication.telegram == RX_CAPTURE_TELEGRAM
    assert indication.telegram[0] == len(indication.telegram) - 1
    assert indication.stick_timestamp_s == 0x386D439F  # 2000-01-01 00:00:31 UTC
    assert indication.info == 0x02
    assert not decoder.dropped


def test_decoder_byte_by_byte() -> None:
    decoder = FrameDecoder()
    stream = RX_CAPTURE + encode_frame(1, 2, status=0)
    out = [frame for byte in stream for frame in decoder.feed(bytes((byte,)))]
    assert [Frame.parse(raw)[:2] for raw in out] == [(9, 0x20), (1, 2)]
    assert decoder.buffered == 0
    assert not decoder.dropped


def test_telegram_with_c0_and_db_survives() -> None:
    telegram = bytes.fromhex("0f44c0dbdbc0dcdd112233c0db445566")
    assert telegram[0] == len(telegram) - 1
    encoded = encode_rx_indication(telegram, -70)
    assert encoded.count(0xC0) == 2  # only the two ends
    assert b"\xdb\xdc" in encoded
    assert b"\xdb\xdd" in encoded
    decoder = FrameDecoder()
    (raw,) = [f for b in encoded for f in decoder.feed(bytes((b,)))]
    indication = RxIndication.parse(raw)
    assert indication is not None
    assert indication.telegram == telegram
    assert indication.rssi_dbm == -70


def test_garbage_between_frames_is_counted_and_skipped() -> None:
    decoder = FrameDecoder()
    pong = encode_frame(1, 2, status=0)
    stream = b"\x55\xaa\x13" + RX_CAPTURE + b"\x01\x02\x03\x04\x05\x06\xc0" + b"\x99" + pong
    frames = decoder.feed(stream)
    assert [raw[:2] for raw in frames] == [b"\x09\x20", b"\x01\x02"]
    # "55 aa 13" before the first c0 (a partial frame), "01..06" between two c0, "99" before
    # the pong's opening c0: all three are candidate frames that fail.
    assert decoder.dropped[DropReason.TOO_SHORT] == 2
    assert decoder.dropped[DropReason.CRC_MISMATCH] == 1


def test_all_c0_is_idle_line_not_frames() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"\xc0" * 30) == []
    assert not decoder.dropped
    assert decoder.buffered == 0


def test_short_frame_is_an_error_not_fatal() -> None:
    decoder = FrameDecoder()
    # A valid 4-byte request (ping) is too short for a stick's frame: counted, then go on.
    frames = decoder.feed(ping().encode() + RX_CAPTURE)
    assert len(frames) == 1
    assert decoder.dropped[DropReason.TOO_SHORT] == 1


def test_a_cut_off_frame_at_open_is_dropped_and_the_next_one_kept() -> None:
    decoder = FrameDecoder()
    frames = decoder.feed(RX_CAPTURE[20:] + RX_CAPTURE)
    assert len(frames) == 1
    assert decoder.dropped[DropReason.CRC_MISMATCH] == 1


def test_flipped_bit_fails_the_crc() -> None:
    damaged = bytearray(RX_CAPTURE)
    damaged[15] ^= 0x10
    decoder = FrameDecoder()
    assert decoder.feed(bytes(damaged)) == []
    assert decoder.dropped[DropReason.CRC_MISMATCH] == 1


def test_bad_escape_is_counted() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"\xc0\x09\x20\xdb\x01\x02\x03\xc0") == []
    assert decoder.dropped[DropReason.BAD_ESCAPE] == 1


def test_endless_noise_without_c0_is_bounded() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(bytes(2000)) == []
    assert decoder.buffered == 0
    assert decoder.dropped[DropReason.OVERSIZE] == 2000
    assert len(decoder.feed(RX_CAPTURE)) == 1


def test_reset_forgets_a_partial_frame() -> None:
    decoder = FrameDecoder()
    decoder.feed(RX_CAPTURE[:10])
    assert decoder.buffered == 9  # the opening c0 is not kept
    decoder.reset()
    assert decoder.buffered == 0


# --- responses ------------------------------------------------------------------------------


def test_response_payload_and_status() -> None:
    (raw,) = FrameDecoder().feed(encode_frame(1, 4, b"\x6e\x78\x56\x34\x12\x00", status=0))
    assert get_device_info().result(raw) == b"\x6e\x78\x56\x34\x12\x00"
    info = DeviceInfo.parse(get_device_info().result(raw))
    assert info.model == "iU891A-XL"
    assert info.is_supported
    assert info.serial_number == "12345678"
    assert info.extra == b"\x00"


@pytest.mark.parametrize(
    ("module_type", "model"),
    [(0x6D, "iM891A-XL"), (0x6E, "iU891A-XL"), (0xA3, "iM881A-XL"), (0x71, "iU893A-XL")],
)
def test_module_types(module_type: int, model: str) -> None:
    info = DeviceInfo.parse(bytes((module_type, 1, 0, 0, 0)))
    assert info.model == model
    assert info.is_supported


def test_unknown_module_is_not_supported() -> None:
    assert not DeviceInfo.parse(b"\x68\x01\x00\x00\x00").is_supported


def test_short_device_info_is_a_payload_error() -> None:
    with pytest.raises(PayloadError):
        DeviceInfo.parse(b"\x6e\x01")


@pytest.mark.parametrize(
    ("sap", "status", "error", "meaning"),
    [
        (1, 2, NotSupported, "command not supported"),
        (9, 3, WrongParameter, "wrong parameter"),
        (9, 6, Busy, "busy, try later"),
        (1, 12, UnexpectedFormat, "unexpected message format"),
        (9, 12, UnexpectedFormat, "data truncated"),
        (9, 14, EncryptionError, "no encryption key for the meter address"),
        (9, 99, StatusError, "unknown status"),
    ],
)
def test_status_bytes_are_typed_errors(
    sap: int, status: int, error: type[StatusError], meaning: str
) -> None:
    command = get_active_configuration() if sap == 9 else ping()
    (raw,) = FrameDecoder().feed(encode_frame(sap, command.msg_id + 1, status=status))
    with pytest.raises(error) as caught:
        command.result(raw)
    assert type(caught.value) is error
    assert caught.value.status == status
    assert caught.value.meaning == meaning
    assert command.name in str(caught.value)


def test_firmware_info_in_the_wimod_layout() -> None:
    payload = b"\x00\x01\x2a\x00" + b"14.11.2024" + b"WMBusGateway\x00"
    info = FirmwareInfo.parse(payload)
    assert (info.major, info.minor, info.build_count) == (1, 0, 42)
    assert info.build_date == "14.11.2024"
    assert info.name == "WMBusGateway"
    assert info.version == "1.0 (14.11.2024)"
    assert FirmwareInfo.parse(info.encode()) == info


def test_odd_firmware_info_still_parses() -> None:
    assert FirmwareInfo.parse(b"").version == "unknown"
    assert FirmwareInfo.parse(b"\x03\x02").version == "2.3"
    assert FirmwareInfo.parse(b"\x03\x02\x01\x00\xff\xfe").build_date is None


def test_active_configuration_too_short() -> None:
    with pytest.raises(PayloadError):
        ActiveConfiguration.parse(b"\x03\x06\x00")


# --- KIND and describe_stream ----------------------------------------------------------------


def test_kind_facts() -> None:
    assert radio_kind("iu891a") is KIND
    assert KIND.maker == "IMST"
    assert KIND.title == "IMST iU891A-XL / iU893A-XL"
    assert KIND.link_modes == (LinkMode.C1T1, LinkMode.C1, LinkMode.T1, LinkMode.S1)
    assert KIND.default_link_mode is LinkMode.C1T1
    assert KIND.probe_order == 30
    (usb,) = KIND.usb
    assert usb.matches(0x04B4, 0x0003, "IMST", "iU891A")
    # Cypress's generic id on another maker's device is not this radio.
    assert not usb.matches(0x04B4, 0x0003, "Cypress Semiconductor", "USB-Serial")


def test_describe_stream_reports_frames_and_failures() -> None:
    stream = RX_CAPTURE + b"\x01\x02\x03\xc0" + encode_frame(1, 2, status=0) + b"\xc0\x09"
    described = describe_stream(stream)
    assert described[0]["telegram_hex"] == RX_CAPTURE_TELEGRAM.hex()
    assert described[0]["rssi_dbm"] == -25
    assert described[1]["error"] == "too_short"
    assert described[2] == {"sap": 1, "msg_id": 2, "crc_ok": True, "status": 0, "payload_hex": ""}
    assert described[3]["error"] == "truncated"
