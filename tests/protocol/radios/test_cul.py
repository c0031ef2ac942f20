"""CUL / nanoCUL (culfw): the line codec byte by byte, the commands, the version line."""

from __future__ import annotations

from collections.abc import AsyncIterator
import logging
from pathlib import Path
from typing import Any

import pytest

from custom_components.wmbus.protocol.blocks import FrameFormat, add_block_crcs
from custom_components.wmbus.protocol.radios import (
    LinkMode,
    NoRadioFound,
    NotThisRadio,
    RadioFrame,
    RadioIdentity,
    RadioState,
    build_radio,
    detect_radio,
    identify,
    radio_kind,
)
from custom_components.wmbus.protocol.radios.cul import (
    KIND,
    LINK_MODE_COMMANDS,
    STOCK_MAX_FRAME_BYTES,
    AnswerKind,
    CulAnswer,
    CulTelegram,
    DroppedLine,
    DropReason,
    LineDecoder,
    LinkModeRejected,
    ReportingNotStarted,
    VersionInfo,
    answer_kind_of,
    dbm_to_rssi,
    describe_stream,
    encode_telegram_line,
    parse_report_flags,
    report_flags,
    rssi_to_dbm,
    set_link_mode,
    start_reporting,
    version,
)
from custom_components.wmbus.protocol.radios.cul.radio import CulRadio
from tests.helpers import wait_until
from tools.emulators.cul import DEFAULT_LINE_JUNK, CulEmulator, minimal_reader

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


# --- the driver on a real pty against the emulator ----------------------------------------

TIMEOUT_S = 0.3
T1_TELEGRAM = TRIMMED  # the wiki's ZENNER telegram, 103 bytes: longer than the stock limit


@pytest.fixture
async def emulator(tmp_path: Path) -> AsyncIterator[CulEmulator]:
    running = CulEmulator(tmp_path / "nanocul", rssi_dbm=-60.0)
    async with running:
        yield running


def make_radio(emulator: CulEmulator, **kwargs: Any) -> CulRadio:
    options: dict[str, Any] = {
        "response_timeout_s": TIMEOUT_S,
        "reconnect_initial_delay_s": 0.05,
        "reconnect_max_delay_s": 0.2,
    }
    options.update(kwargs)
    radio = build_radio("cul", str(emulator.link), **options)
    assert isinstance(radio, CulRadio)
    return radio


async def test_open_identifies_sets_the_mode_and_starts_reporting(emulator: CulEmulator) -> None:
    states: list[RadioState] = []
    radio = make_radio(emulator, on_state=states.append)
    await radio.open()
    try:
        assert states == [RadioState.CONNECTING, RadioState.CONNECTED]
        assert radio.identity == RadioIdentity(
            radio="cul",
            maker="busware / culfw",
            model="nanoCUL868",
            firmware="1.67",
            serial_number=None,
            details={"version_line": "V 1.67 nanoCUL868_r568", "build": "r568"},
        )
        assert radio.link_mode is LinkMode.C1T1
        # The line break ran the junk in culfw's line buffer; the version request came clean.
        assert emulator.requests == [
            DEFAULT_LINE_JUNK.decode("ascii", "replace"),
            "V",
            "brc",
            "X21",
            "X",
        ]
        assert emulator.mbus_mode == "c"
        assert emulator.tx_report == 0x21
        assert radio.counters["dropped_unknown_command_answers"] == 1
        assert radio.diagnostics()["culfw"]["build"] == "r568"
    finally:
        await radio.close()
    assert states[-1] is RadioState.CLOSED


@pytest.mark.parametrize("link_mode", [LinkMode.T1, LinkMode.S1])
async def test_other_link_modes(emulator: CulEmulator, link_mode: LinkMode) -> None:
    radio = make_radio(emulator, link_mode=link_mode)
    await radio.open()
    try:
        assert emulator.requests[-3:] == [LINK_MODE_COMMANDS[link_mode], "X21", "X"]
        assert emulator.link_mode is link_mode
    finally:
        await radio.close()


async def test_telegrams_arrive_with_rssi(emulator: CulEmulator) -> None:
    received: list[RadioFrame] = []
    radio = make_radio(emulator, on_frame=received.append)
    await radio.open()
    try:
        assert emulator.send_telegram(T1_TELEGRAM, "t")
        assert emulator.send_telegram(SHORT, "c")
        emulator.c_frame_format = FrameFormat.B
        assert emulator.send_telegram(LONG, "c")
        await wait_until(lambda: len(received) == 3)
        assert [frame.telegram for frame in received] == [T1_TELEGRAM, SHORT, LONG]
        assert {frame.rssi_dbm for frame in received} == {-60.0}
        assert {frame.receiver for frame in received} == {str(emulator.link)}
        assert radio.counters["frames_received"] == 3
    finally:
        await radio.close()


async def test_t1_mode_does_not_hear_c(emulator: CulEmulator) -> None:
    received: list[RadioFrame] = []
    radio = make_radio(emulator, link_mode=LinkMode.T1, on_frame=received.append)
    await radio.open()
    try:
        assert not emulator.send_telegram(SHORT, "c")
        assert emulator.send_telegram(SHORT, "t")
        await wait_until(lambda: len(received) == 1)
    finally:
        await radio.close()


async def test_lines_without_lqi_rssi(tmp_path: Path) -> None:
    emulator = CulEmulator(tmp_path / "nanocul", lqi_rssi=False)
    async with emulator:
        received: list[RadioFrame] = []
        radio = make_radio(emulator, on_frame=received.append)
        await radio.open()
        try:
            emulator.send_telegram(T1_TELEGRAM, "t")
            await wait_until(lambda: len(received) == 1)
            assert received[0].telegram == T1_TELEGRAM
            assert received[0].rssi_dbm is None
        finally:
            await radio.close()


async def test_stock_firmware_cuts_are_counted_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = CulEmulator(tmp_path / "nanocul", stock_firmware=True)
    async with emulator:
        received: list[RadioFrame] = []
        radio = make_radio(emulator, on_frame=received.append)
        await radio.open()
        try:
            for _ in range(3):
                emulator.send_telegram(T1_TELEGRAM, "t")
            emulator.send_telegram(SHORT, "t")  # fits the stock buffer
            await wait_until(lambda: len(received) == 1)
            assert received[0].telegram == SHORT
            assert emulator.lines_cut == 3
            assert radio.counters["dropped_cut_by_firmware"] == 3
            warnings = [r for r in caplog.records if "cut a telegram" in r.getMessage()]
            assert len(warnings) == 1
            message = warnings[0].getMessage()
            assert "about 60 bytes" in message
            assert "300-byte buffer" in message
            assert "nanoCUL.md" in message
            # A new connection warns once more.
            await emulator.unplug(0.2)
            await wait_until(lambda: radio.counters.get("reconnects", 0) > 0)
            emulator.send_telegram(T1_TELEGRAM, "t")
            await wait_until(lambda: radio.counters["dropped_cut_by_firmware"] == 4)
            warnings = [r for r in caplog.records if "cut a telegram" in r.getMessage()]
            assert len(warnings) == 2
        finally:
            await radio.close()


async def test_bad_crc_junk_and_unknown_answers_are_counted(
    emulator: CulEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    received: list[RadioFrame] = []
    radio = make_radio(emulator, on_frame=received.append)
    await radio.open()
    try:
        bad = bytearray(encode_telegram_line(T1_TELEGRAM))
        bad[30] = ord("0") if bad[30] != ord("0") else ord("1")
        emulator.inject_garbage(bytes(bad))
        emulator.inject_garbage(b"\xff\x00 noise\r\n? (zz is unknown) Use one of V X\r\nbQQ\r\n")
        emulator.send_telegram(SHORT, "t")
        await wait_until(lambda: len(received) == 1)
        counters = radio.counters
        assert counters["dropped_crc_mismatch"] == 1
        assert counters["dropped_junk_lines"] == 1
        assert counters["dropped_bad_hex"] == 1
        assert counters["dropped_unknown_command_answers"] == 2  # the flush's and this one
        assert radio.state is RadioState.CONNECTED
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # counted only
    finally:
        await radio.close()


async def test_build_without_c_mode_is_rejected(tmp_path: Path) -> None:
    emulator = CulEmulator(tmp_path / "nanocul", c_mode=False)
    async with emulator:
        radio = make_radio(emulator)
        with pytest.raises(LinkModeRejected, match="'OFF' to 'brc'"):
            await radio.open()
        assert radio.state is RadioState.CLOSED


async def test_another_device_is_not_this_radio(tmp_path: Path) -> None:
    emulator = CulEmulator(tmp_path / "other", version="V 2.1 SomethingElse")
    async with emulator:
        with pytest.raises(NotThisRadio):
            await identify("cul", str(emulator.link), timeout_s=TIMEOUT_S)
        with pytest.raises(NoRadioFound, match=r"cul: answered as V 2\.1 SomethingElse"):
            await detect_radio(str(emulator.link), only=["cul"], timeout_s=TIMEOUT_S)


async def test_detect_radio_finds_the_cul(emulator: CulEmulator) -> None:
    kind, identity = await detect_radio(str(emulator.link), only=["cul"], timeout_s=TIMEOUT_S)
    assert kind is KIND
    assert identity.model == "nanoCUL868"
    assert emulator.mbus_mode is None  # a probe changes nothing


async def test_unplug_and_replug_reconfigures(emulator: CulEmulator) -> None:
    states: list[RadioState] = []
    received: list[RadioFrame] = []
    radio = make_radio(emulator, on_state=states.append, on_frame=received.append)
    await radio.open()
    try:
        await emulator.unplug(0.3)
        assert emulator.mbus_mode is None  # culfw forgot everything
        await wait_until(
            lambda: states[-1] is RadioState.CONNECTED and radio.counters.get("reconnects", 0) > 0
        )
        assert RadioState.DISCONNECTED in states
        assert emulator.mbus_mode == "c"
        assert emulator.tx_report == 0x21
        emulator.send_telegram(SHORT, "c")
        await wait_until(lambda: len(received) == 1)
    finally:
        await radio.close()


async def test_health_ping_is_v_and_a_silent_radio_is_reconnected(emulator: CulEmulator) -> None:
    radio = make_radio(emulator, health_check_idle_s=0.2)
    await radio.open()
    try:
        await wait_until(lambda: emulator.requests.count("V") >= 2)
        emulator.stop_answering()
        await wait_until(lambda: radio.counters.get("health_check_failures", 0) >= 1)
        emulator.stop_answering(silent=False)
        await wait_until(
            lambda: radio.state is RadioState.CONNECTED and radio.counters.get("reconnects", 0) >= 1
        )
    finally:
        await radio.close()


async def test_send_restart_sends_nothing(emulator: CulEmulator) -> None:
    radio = make_radio(emulator)
    await radio.open()
    try:
        before = list(emulator.requests)
        await radio._send_restart()
        # A version request after it is answered: the port carried only that one line.
        await radio._ping()
        assert emulator.requests == [*before, "V"]
    finally:
        await radio.close()


def test_minimal_reader_counts_telegram_lines() -> None:
    read = minimal_reader()
    stream = (
        encode_telegram_line(TRIMMED)
        + b"CMODE\r\n"
        + encode_telegram_line(LONG, FrameFormat.B)
        + encode_telegram_line(SHORT)
    )
    assert read(stream[:50]) == 0
    assert read(stream[50:]) == 3


def test_report_flags_answer() -> None:
    assert LineDecoder().feed(b"21  250\r\n") == [CulAnswer(AnswerKind.REPORTING, "21  250")]
    assert answer_kind_of("X") is AnswerKind.REPORTING
    assert report_flags().encode() == b"X\r\n"
    assert parse_report_flags("21  250") == 0x21


class _IgnoresX21(CulEmulator):
    """A culfw that takes no report flags: X reads back 00."""

    def _run(self, line: bytes) -> None:
        if line != b"X21":
            super()._run(line)


async def test_report_flags_not_set_is_an_error(tmp_path: Path) -> None:
    emulator = _IgnoresX21(tmp_path / "nanocul")
    async with emulator:
        radio = make_radio(emulator)
        with pytest.raises(ReportingNotStarted, match="'00  250'"):
            await radio.open()
