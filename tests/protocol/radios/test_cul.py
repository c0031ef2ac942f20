"""CUL / nanoCUL (culfw): the line codec byte by byte, the commands, the version line."""

from __future__ import annotations

import pytest

from custom_components.wmbus.protocol.blocks import FrameFormat, add_block_crcs
from custom_components.wmbus.protocol.radios import LinkMode, radio_kind
from custom_components.wmbus.protocol.radios.cul import (
    KIND,
    STOCK_MAX_FRAME_BYTES,
    AnswerKind,
    CulAnswer,
    CulTelegram,
    DroppedLine,
    DropReason,
    LineDecoder,
    VersionInfo,
    answer_kind_of,
    dbm_to_rssi,
    describe_stream,
    encode_telegram_line,
    rssi_to_dbm,
    set_link_mode,
    start_reporting,
    version,
)

# A real nanoCUL line with r568 firmware (wmbusmeters-wiki nanoCUL.md log): a ZENNER radio
# converter in T1, frame A with 7 blocks, LQI 0x82 and RSSI 0x41; wmbusmeters trimmed it to
# TRIMMED (its "trimmed frame A") and printed RSSI -42 (integer division of 65 / 2 - 74).
WIKI_LINE = (
    b"b6644496A106403551437C5337251345015496A0007980050054F5C345802A002150459459F1E39F7E5C07232"
    b"13CA8E6A2CF84829A5959528D603BBFE15171F09EC24BC3A9A7650961BE7AD4913EA3CCFC5A1FD9AF0E9F68C92"
    b"1FD9540782906DFC74C1CC7D3240C1DEB88CD21E2BB35DCC7ED2D5358241\r\n"
)
TRIMMED = bytes.fromhex(
    "6644496A1064035514377251345015496A0007980050054F5C34A002150459459F1E39F7E5C0723213CA2CF848"
    "29A5959528D603BBFE15171F09BC3A9A7650961BE7AD4913EA3CCFC5A1F0E9F68C921FD9540782906DFC74C1CC"
    "40C1DEB88CD21E2BB35DCC7ED2"
)
# The same log: culfw's answers to the probe, as wmbusmeters received them.
WIKI_UNKNOWN = bytes.fromhex(
    "3F202820697320756E6B6E6F776E2920557365206F6E65206F66204220622043206520462047204B206C204D"
    "20522054207420562057205820780D0A"
)
WIKI_VERSION = bytes.fromhex("5620312E3637206E616E6F43554C3836385F723536380D0A")

SHORT = bytes.fromhex("1344AE0C7856341201074447780B12436587255D")  # L=0x13, 20 bytes
LONG = bytes([0x95, 0x44]) + bytes(range(148))  # 150 bytes: block 3 in frame B


def test_real_line_from_the_wiki_strips_seven_crcs() -> None:
    decoder = LineDecoder()
    (line,) = decoder.feed(WIKI_LINE)
    assert isinstance(line, CulTelegram)
    assert line.telegram == TRIMMED
    assert line.frame_format is FrameFormat.A
    assert line.rssi_dbm == -41.5
    assert line.lqi == 0x02  # 0x82: CRC-OK bit 7 set, LQI 2
    assert decoder.telegrams_decoded == 1
    assert not decoder.dropped


def test_real_line_byte_by_byte() -> None:
    decoder = LineDecoder()
    seen = []
    for byte in WIKI_LINE:
        seen += decoder.feed(bytes((byte,)))
    assert [line.telegram for line in seen if isinstance(line, CulTelegram)] == [TRIMMED]
    assert decoder.buffered == 0


def test_real_answers_from_the_wiki() -> None:
    decoder = LineDecoder()
    unknown, version_line = decoder.feed(WIKI_UNKNOWN + WIKI_VERSION)
    assert unknown == CulAnswer(
        AnswerKind.UNKNOWN_COMMAND,
        "? ( is unknown) Use one of B b C e F G K l M R T t V W X x",
        "",
    )
    assert version_line == CulAnswer(AnswerKind.VERSION, "V 1.67 nanoCUL868_r568")
    assert decoder.dropped == {DropReason.UNKNOWN_COMMAND: 1}


@pytest.mark.parametrize("answer", [b"CMODE", b"TMODE", b"SMODE", b"OFF"])
def test_mode_answers(answer: bytes) -> None:
    assert LineDecoder().feed(answer + b"\r\n") == [CulAnswer(AnswerKind.MODE, answer.decode())]


def test_bare_lf_and_lf_cr_are_tolerated() -> None:
    decoder = LineDecoder()
    lines = decoder.feed(b"CMODE\n" + encode_telegram_line(SHORT)[:-2] + b"\n\rTMODE\n\r")
    assert [type(line) for line in lines] == [CulAnswer, CulTelegram, CulAnswer]
    assert not decoder.dropped


@pytest.mark.parametrize("telegram", [SHORT, TRIMMED, LONG])
@pytest.mark.parametrize("frame_format", [FrameFormat.A, FrameFormat.B])
@pytest.mark.parametrize("rssi_dbm", [-60.0, -41.5, None])
def test_encoded_lines_decode_to_the_telegram(
    telegram: bytes, frame_format: FrameFormat, rssi_dbm: float | None
) -> None:
    line = encode_telegram_line(telegram, frame_format, rssi_dbm=rssi_dbm)
    assert line.startswith(b"bY" if frame_format is FrameFormat.B else b"b")
    assert line[1:-2].upper() == line[1:-2]
    (decoded,) = LineDecoder().feed(line)
    assert isinstance(decoded, CulTelegram)
    # Without CRCs L counts the bytes after it, whatever the frame format said.
    assert decoded.telegram == bytes((len(telegram) - 1,)) + telegram[1:]
    assert decoded.frame_format is frame_format
    assert decoded.rssi_dbm == rssi_dbm


def test_frame_b_multi_block_line() -> None:
    line = encode_telegram_line(LONG, FrameFormat.B)
    frame = add_block_crcs(LONG, FrameFormat.B)
    assert len(frame) == len(LONG) + 4  # block 2 and block 3 CRCs
    assert line == b"bY" + frame.hex().upper().encode() + b"201C\r\n"  # LQI 0x20, RSSI -60 dBm = 28
    (decoded,) = LineDecoder().feed(line)
    assert isinstance(decoded, CulTelegram)
    assert decoded.telegram == LONG


def test_frame_b_without_y_is_tried_as_b() -> None:
    line = b"b" + encode_telegram_line(SHORT, FrameFormat.B)[2:]
    (decoded,) = LineDecoder().feed(line)
    assert isinstance(decoded, CulTelegram)
    assert decoded.frame_format is FrameFormat.B
    assert decoded.telegram == SHORT


@pytest.mark.parametrize("frame_format", [FrameFormat.A, FrameFormat.B])
def test_bad_block_crc_is_counted_and_dropped(frame_format: FrameFormat) -> None:
    line = bytearray(encode_telegram_line(LONG, frame_format))
    line[60] = ord("0") if line[60] != ord("0") else ord("1")  # a digit inside block 2
    decoder = LineDecoder()
    assert decoder.feed(bytes(line)) == []
    assert decoder.dropped == {DropReason.CRC_MISMATCH: 1}
    report = LineDecoder(report_drops=True).feed(bytes(line))
    length_field = add_block_crcs(LONG, frame_format)[0]  # frame B's L counts the CRCs
    assert report == [DroppedLine(DropReason.CRC_MISMATCH, bytes(line[:-2]), length_field)]


def test_odd_hex_count_is_cut_by_firmware() -> None:
    line = encode_telegram_line(TRIMMED)
    cut = line[:125] + b"\r\n"  # "b" + 124 hex digits, as the stock buffer lets through
    odd = line[:126] + b"\r\n"  # "b" + 125 hex digits
    decoder = LineDecoder()
    assert decoder.feed(cut + odd) == [
        DroppedLine(DropReason.CUT_BY_FIRMWARE, cut[:-2], TRIMMED[0]),
        DroppedLine(DropReason.CUT_BY_FIRMWARE, odd[:-2], TRIMMED[0]),
    ]
    assert decoder.dropped == {DropReason.CUT_BY_FIRMWARE: 2}
    assert decoder.telegrams_decoded == 0


@pytest.mark.parametrize("lost_digits", [1, 2, 3, 4])
def test_whole_frame_with_cut_lqi_rssi_is_delivered_without_rssi(lost_digits: int) -> None:
    line = encode_telegram_line(SHORT)
    (decoded,) = LineDecoder().feed(line[: -2 - lost_digits] + b"\r\n")
    assert decoded == CulTelegram(SHORT, None, None, FrameFormat.A)


def test_stock_limit_is_about_sixty_bytes() -> None:
    # 126 characters: "b", 2 per byte, 4 for LQI and RSSI.
    assert STOCK_MAX_FRAME_BYTES == 60


def test_too_long_line_is_a_length_mismatch() -> None:
    decoder = LineDecoder()
    assert decoder.feed(encode_telegram_line(SHORT)[:-2] + b"0000\r\n") == []
    assert decoder.dropped == {DropReason.LENGTH_MISMATCH: 1}


def test_junk_and_bad_hex_lines_are_counted() -> None:
    decoder = LineDecoder()
    junk = b"\x00\xff garbage\r\nbZZ1234\r\nb\r\n\r\n"
    assert decoder.feed(junk) == []
    assert decoder.dropped == {
        DropReason.JUNK_LINE: 1,
        DropReason.BAD_HEX: 1,
        DropReason.LENGTH_MISMATCH: 1,
    }
    # The decoder goes on: the next line decodes.
    assert isinstance(decoder.feed(encode_telegram_line(SHORT))[0], CulTelegram)


def test_overlong_line_without_line_feed_is_dropped() -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"b" + b"A" * 2000) == []
    assert decoder.dropped == {DropReason.OVERLONG_LINE: 1}
    assert decoder.buffered == 0
    assert isinstance(decoder.feed(b"\r\n" + encode_telegram_line(SHORT))[-1], CulTelegram)


def test_reset_forgets_a_partial_line() -> None:
    decoder = LineDecoder()
    decoder.feed(encode_telegram_line(SHORT)[:20])
    decoder.reset()
    assert decoder.buffered == 0
    assert decoder.feed(b"CMODE\r\n") == [CulAnswer(AnswerKind.MODE, "CMODE")]


@pytest.mark.parametrize(
    ("raw", "dbm"), [(0x41, -41.5), (0x00, -74.0), (0x80, -138.0), (0xFF, -74.5), (0x7F, -10.5)]
)
def test_rssi_is_int8_halved_minus_74(raw: int, dbm: float) -> None:
    assert rssi_to_dbm(raw) == dbm
    assert dbm_to_rssi(dbm) == raw


def test_commands_are_lines() -> None:
    assert version().encode() == b"V\r\n"
    assert set_link_mode(LinkMode.C1T1).encode() == b"brc\r\n"
    assert set_link_mode(LinkMode.T1).encode() == b"brt\r\n"
    assert set_link_mode(LinkMode.S1).encode() == b"brs\r\n"
    assert start_reporting().encode() == b"X21\r\n"
    assert start_reporting(lqi_rssi=False).encode() == b"X01\r\n"
    assert answer_kind_of("V") is AnswerKind.VERSION
    assert answer_kind_of("brt") is AnswerKind.MODE
    assert answer_kind_of("\x1b\x02junk") is None


@pytest.mark.parametrize(
    ("text", "firmware", "model", "build", "maker"),
    [
        ("V 1.67 nanoCUL868_r568", "1.67", "nanoCUL868", "r568", "busware / culfw"),
        ("V 1.67 CUL868", "1.67", "CUL868", None, "busware / culfw"),
        ("V 1.26.08 a-culfw nanoCUL868 (F-Band: 868MHz)", "1.26.08", "nanoCUL868", None, "a-culfw"),
    ],
)
def test_version_line(text: str, firmware: str, model: str, build: str | None, maker: str) -> None:
    info = VersionInfo.parse(text)
    assert (info.firmware, info.model, info.build, info.maker) == (firmware, model, build, maker)
    assert info.is_cul


def test_version_line_without_cul_is_not_a_cul() -> None:
    assert not VersionInfo.parse("V 2.0 something else").is_cul


def test_kind_is_registered() -> None:
    kind = radio_kind("cul")
    assert kind is KIND
    assert kind.link_modes == (LinkMode.C1T1, LinkMode.T1, LinkMode.S1)
    assert kind.default_link_mode is LinkMode.C1T1
    assert kind.probe_order == 40
    (busware,) = kind.usb
    assert busware.matches(0x03EB, 0x204B, "busware.de", "CUL868")
    assert not busware.matches(0x03EB, 0x204B, "Some LUFA project", "USB-Serial")
    assert not busware.matches(0x0403, 0x6001, "FTDI", "FT232R USB UART")


def test_describe_stream() -> None:
    bad = bytearray(encode_telegram_line(SHORT))
    bad[10] ^= 0x01
    described = describe_stream(
        WIKI_VERSION + b"CMODE\r\n" + WIKI_LINE + bytes(bad) + WIKI_LINE[:130] + b"\r\nbAB"
    )
    assert described == [
        {"line": "answer", "kind": "version", "text": "V 1.67 nanoCUL868_r568"},
        {"line": "answer", "kind": "mode", "text": "CMODE"},
        {
            "line": "telegram",
            "frame_format": "A",
            "telegram_hex": TRIMMED.hex(),
            "rssi_dbm": -41.5,
            "lqi": 2,
        },
        {
            "error": "crc_mismatch",
            "line_text": bytes(bad[:-2]).decode(),
            "length_field": SHORT[0],
        },
        {
            "error": "cut_by_firmware",
            "line_text": WIKI_LINE[:130].decode(),
            "length_field": TRIMMED[0],
        },
        {"error": "truncated", "message": "3 bytes of a line without its end"},
    ]
