from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.wmbus.protocol.crypto import AesCtr, crc16_en13757, ell_counter_prefix
from custom_components.wmbus.protocol.decoder import Decoder, Reading
from custom_components.wmbus.protocol.ell import open_ell
from custom_components.wmbus.protocol.errors import (
    Duplicate,
    FormatMismatch,
    PayloadCrcMismatch,
    Truncated,
    UnknownMeter,
    UnsupportedCi,
    UnsupportedEncryption,
    WmbusError,
    WrongKey,
)
from custom_components.wmbus.protocol.meters import PROFILES_BY_NAME

from .conftest import VECTORS, VECTORS_BY_ID

KEY = bytes.fromhex(VECTORS_BY_ID["op-real-long-64-61dd0320"]["key_hex"])
METER_ID = "32666857"
LONG = bytes.fromhex(VECTORS_BY_ID["op-real-long-64-61dd0320"]["telegram_hex"])
COMPACT = bytes.fromhex(VECTORS_BY_ID["op-real-compact-65-62dd0320"]["telegram_hex"])
NEIGHBOUR = bytes.fromhex(VECTORS_BY_ID["noise-real-64005012-3f"]["telegram_hex"])
ALL_TELEGRAMS = [bytes.fromhex(vector["telegram_hex"]) for vector in VECTORS]


def _decoder() -> Decoder:
    return Decoder({METER_ID: KEY})


def test_reading_shape() -> None:
    reading = _decoder().decode(LONG)
    assert isinstance(reading, Reading)
    assert reading.meter_id == METER_ID
    assert (reading.manufacturer, reading.version, reading.device_type) == ("KAM", 0x30, 0x02)
    assert (reading.profile, reading.frame, reading.access_number) == ("omnipower", "long", 100)
    assert reading.values["total_energy_consumption_kwh"] == 2.15
    assert reading.link_address is None  # its own radio: no module in between
    assert reading.status is None  # CI 78: no transport header, no status byte
    with pytest.raises(AttributeError):
        reading.profile = "x"  # type: ignore[misc]


def test_reading_carries_its_profile() -> None:
    decoder = _decoder()
    for telegram in (LONG, COMPACT):
        reading = decoder.decode(telegram)
        # The profile itself, so nothing downstream looks it up again by name.
        assert reading.meter_profile is PROFILES_BY_NAME["omnipower"]
        assert reading.meter_profile.name == reading.profile


def test_unknown_meter_is_refused_with_header_before_decryption() -> None:
    with pytest.raises(UnknownMeter) as caught:
        _decoder().decode(NEIGHBOUR)
    assert caught.value.kind == "no_key"
    assert caught.value.meter_id == "64005012"  # from the address bytes, before any parse
    assert caught.value._header is None
    assert caught.value.header.meter_id == "64005012"
    assert caught.value.header.device_type_name == "cold water"
    assert "64005012" in str(caught.value)


def test_peek_header_needs_no_key() -> None:
    assert Decoder.peek_header(NEIGHBOUR).meter_id == "64005012"


def test_duplicate_guard_and_resync() -> None:
    decoder = _decoder()
    decoder.decode(LONG)
    with pytest.raises(Duplicate) as caught:
        decoder.decode(LONG)
    assert caught.value.header is not None
    decoder.decode(COMPACT)
    # An older telegram (SN going backwards, e.g. a module restart) is accepted: resync.
    older = bytes.fromhex(VECTORS_BY_ID["op-real-compact-63-60dd0320"]["telegram_hex"])
    decoder.decode(older)
    assert Decoder({METER_ID: KEY}, duplicate_guard=False).decode(LONG)


def test_wrong_key_after_repeated_failures_and_recovery() -> None:
    decoder = Decoder({METER_ID: bytes(16)})
    captures = [bytes.fromhex(v["telegram_hex"]) for v in VECTORS if v["id"].startswith("op-real-")]
    kinds = []
    for telegram in captures[:4]:
        with pytest.raises(PayloadCrcMismatch) as caught:
            decoder.decode(telegram)
        kinds.append(caught.value.kind)
        assert bytes(16).hex() not in str(caught.value)
    assert kinds == ["payload_crc_mismatch", "payload_crc_mismatch", "wrong_key", "wrong_key"]
    assert isinstance(caught.value, WrongKey)
    decoder.set_key(METER_ID, KEY)
    assert decoder.decode(captures[4]).meter_id == METER_ID


def test_failures_are_the_one_count_of_a_wrong_key() -> None:
    decoder = Decoder({METER_ID: bytes(16)})
    address = Decoder.peek_header(LONG).address
    assert decoder.failures(address) == 0  # no state yet
    captures = [bytes.fromhex(v["telegram_hex"]) for v in VECTORS if v["id"].startswith("op-real-")]
    for count, telegram in enumerate(captures[:3], start=1):
        with pytest.raises(PayloadCrcMismatch):
            decoder.decode(telegram)
        assert decoder.failures(address) == count
    with pytest.raises(PayloadCrcMismatch):
        decoder.try_key(captures[3], bytes(15) + b"\x01")  # a probe is not counted
    assert decoder.failures(address) == 3
    decoder.set_key(address, KEY)
    decoder.decode(captures[4])
    assert decoder.failures(address) == 0


def test_pin_binds_an_id_key_to_one_address_keeping_its_state() -> None:
    decoder = _decoder()
    address = decoder.decode(LONG).address
    decoder.pin(address)
    # The guard still holds the telegram that proved the key: a repeater's copy is a duplicate.
    with pytest.raises(Duplicate):
        decoder.decode(LONG)
    assert decoder.decode(COMPACT).address == address
    # The key is the address's alone now: another address with the digits is unknown.
    other = LONG[:8] + bytes((LONG[8] ^ 0x01,)) + LONG[9:]
    with pytest.raises(UnknownMeter):
        decoder.decode(other)
    assert address in decoder
    assert decoder.meter_ids == (METER_ID,)


def test_pin_without_a_key_is_refused() -> None:
    with pytest.raises(KeyError):
        Decoder().pin(Decoder.peek_header(LONG).address)


def test_try_key_changes_no_state() -> None:
    decoder = Decoder()
    assert decoder.try_key(LONG, KEY).values["current_power_consumption_w"] == 3
    with pytest.raises(PayloadCrcMismatch):
        decoder.try_key(LONG, bytes(16))
    assert METER_ID not in decoder
    with pytest.raises(UnknownMeter):
        decoder.decode(LONG)


def test_remove_meter_and_bad_configuration() -> None:
    decoder = _decoder()
    assert METER_ID in decoder
    assert decoder.meter_ids == (METER_ID,)
    decoder.remove_meter(METER_ID)
    decoder.remove_meter(METER_ID)
    with pytest.raises(UnknownMeter):
        decoder.decode(LONG)
    with pytest.raises(ValueError, match="16 bytes"):
        decoder.set_key(METER_ID, b"\x00" * 15)
    with pytest.raises(ValueError, match="8 digits"):
        decoder.set_key("1", KEY)


def _reencrypt(plain: bytes, header: bytes) -> bytes:
    """Build an encrypted telegram from a header (L..SN) and plaintext after the CRC."""
    body = crc16_en13757(plain).to_bytes(2, "little") + plain
    header = bytes((len(header) + len(body) - 1,)) + header[1:]
    return header + AesCtr(KEY).decrypt(ell_counter_prefix(header), body)


def test_unsupported_transport_ci() -> None:
    telegram = _reencrypt(bytes.fromhex("a0010203"), LONG[:17])
    with pytest.raises(UnsupportedCi):
        _decoder().decode(telegram)


def test_unencrypted_meter_without_key_and_no_ell() -> None:
    decoder = Decoder({METER_ID: None})
    records = bytes.fromhex("0404d700000004843c00000000042b0300000004ab3c00000000")
    body = LONG[1:10] + b"\x78" + records
    reading = decoder.decode(bytes((len(body),)) + body)
    assert reading.values["total_energy_consumption_kwh"] == 2.15
    assert reading.access_number == -1
    with pytest.raises(UnknownMeter, match="no key"):
        decoder.decode(LONG)


def test_short_tpl_header_unencrypted() -> None:
    decoder = Decoder({METER_ID: None})
    records = bytes.fromhex("0404d7000000042b03000000")
    body = LONG[1:10] + bytes.fromhex("7a 2a 00 0000") + records
    reading = decoder.decode(bytes((len(body),)) + body)
    assert reading.access_number == 0x2A
    assert reading.values == {
        "total_energy_consumption_kwh": 2.15,
        "current_power_consumption_w": 3,
    }
    assert reading.profile == "generic"


def test_mode5_cbc() -> None:
    from custom_components.wmbus.protocol.crypto import aes_cbc_encrypt

    decoder = Decoder({METER_ID: KEY})
    records = b"\x2f\x2f" + bytes.fromhex("0404d7000000042b03000000") + b"\x2f\x2f"
    access = 0x11
    config = (5 << 8) | (1 << 4)
    iv = LONG[2:10] + bytes((access,)) * 8
    encrypted = aes_cbc_encrypt(KEY, iv, records)
    body = LONG[1:10] + bytes((0x7A, access, 0)) + config.to_bytes(2, "little") + encrypted
    reading = decoder.decode(bytes((len(body),)) + body)
    assert reading.values["current_power_consumption_w"] == 3
    with pytest.raises(PayloadCrcMismatch):
        Decoder({METER_ID: bytes(16)}).decode(bytes((len(body),)) + body)


def _mutations() -> st.SearchStrategy[bytes]:
    base = st.sampled_from(ALL_TELEGRAMS)

    def flip(data: bytes, position: int, bit: int) -> bytes:
        if not data:
            return data
        mutable = bytearray(data)
        mutable[position % len(data)] ^= 1 << bit
        return bytes(mutable)

    flipped = st.builds(flip, base, st.integers(0, 300), st.integers(0, 7))
    truncated = st.builds(lambda data, cut: data[: cut % (len(data) + 1)], base, st.integers())
    extended = st.builds(lambda data, extra: data + extra, base, st.binary(max_size=20))
    relengthed = st.builds(
        lambda data, cut: (
            bytes((len(data[: cut % (len(data) + 1)]) - 1,)) + data[1 : cut % (len(data) + 1)]
            if cut % (len(data) + 1)
            else b""
        ),
        base,
        st.integers(),
    )
    return st.one_of(flipped, truncated, extended, relengthed, st.binary(max_size=300))


def _configured_decoder(*, duplicate_guard: bool = False) -> Decoder:
    decoder = Decoder(duplicate_guard=duplicate_guard)
    for vector in VECTORS:
        meter_id = bytes.fromhex(vector["telegram_hex"])[7:3:-1].hex()
        if vector.get("key_hex"):
            decoder.set_key(meter_id, bytes.fromhex(vector["key_hex"]))
        elif vector.get("payload_is_plaintext"):
            decoder.set_key(meter_id, None, payload_is_plaintext=True)
        else:
            decoder.set_key(meter_id, None)
    return decoder


PROPERTY_DECODER = _configured_decoder()


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_decoder_raises_only_wmbus_errors(telegram: bytes) -> None:
    failure: WmbusError | None = None
    try:
        reading = PROPERTY_DECODER.decode(telegram)
    except WmbusError as error:
        failure = error
    if failure is not None:
        assert failure.kind
        str(failure)
        if isinstance(failure, UnknownMeter):
            assert failure.header.meter_id
        return
    assert isinstance(reading, Reading)
    for value in reading.values.values():
        assert isinstance(value, int | float)


@settings(max_examples=2000, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_try_key_and_peek_raise_only_wmbus_errors(telegram: bytes) -> None:
    with contextlib.suppress(WmbusError):
        Decoder().try_key(telegram, KEY)
    with contextlib.suppress(WmbusError):
        Decoder.peek_header(telegram)


def _replace_plaintext(telegram: bytes, plain: bytes) -> bytes:
    """Same header (ACC, SN), new plaintext after the payload CRC, re-encrypted with KEY."""
    return _reencrypt(plain, telegram[:17])


def test_duplicate_guard_repeater_copy_is_a_duplicate() -> None:
    # EN 13757-4 ELL: a repeater sets the H bit in CC (excluded from the counter block);
    # the relayed copy is the same telegram.
    decoder = _decoder()
    decoder.decode(LONG)
    relayed = bytearray(LONG)
    relayed[11] |= 0x10
    with pytest.raises(Duplicate):
        decoder.decode(bytes(relayed))


def test_duplicate_guard_accepts_new_data_under_a_repeated_access_and_session_number() -> None:
    # EN 13757-4 ELL: after a module restart SN (and ACC) can come back to values seen just
    # before; a telegram with other content is new data, not a copy: resync, never drop it.
    vector = VECTORS_BY_ID["op-real-long-64-61dd0320"]
    plain = bytearray.fromhex(vector["expected"]["decrypted_payload_hex"])[2:]
    plain[3] += 1  # A+ 215 -> 216 (x 10 Wh)
    restarted = _replace_plaintext(LONG, bytes(plain))
    decoder = _decoder()
    decoder.decode(LONG)
    reading = decoder.decode(restarted)
    assert reading.values["total_energy_consumption_kwh"] == 2.16
    with pytest.raises(Duplicate):
        decoder.decode(restarted)


def test_duplicate_guard_does_not_lock_out_a_meter_without_session_number() -> None:
    # ELL I (CI 8C, EN 13757-4) has no SN: the access number alone cannot tell a copy
    # from a new telegram of a meter that does not count it up.
    vector = VECTORS_BY_ID["op-real-long-64-61dd0320"]
    records = bytearray.fromhex(vector["expected"]["decrypted_payload_hex"])[2:]
    decoder = Decoder({METER_ID: None})
    readings = []
    for step in range(3):
        records[3] = 0xD7 + step
        body = LONG[1:10] + bytes((0x8C, 0x20, 0x07)) + bytes(records)
        readings.append(decoder.decode(bytes((len(body),)) + body))
    assert [r.values["total_energy_consumption_kwh"] for r in readings] == [2.15, 2.16, 2.17]
    with pytest.raises(Duplicate):
        decoder.decode(bytes((len(body),)) + body)


def test_every_meter_gets_the_compiled_long_frame_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # Several OmniPower meters share one record layout; each one's repeated long frames must
    # decode with the precompiled layout, not only the first meter's (README.md, Benchmarks).
    from custom_components.wmbus.protocol import decoder as decoder_module

    plain = bytes.fromhex(
        VECTORS_BY_ID["op-real-long-64-61dd0320"]["expected"]["decrypted_payload_hex"]
    )
    other = bytearray(LONG[:17])
    other[4:8] = bytes.fromhex("11223344")  # meter 44332211
    other_long = bytes(other) + AesCtr(KEY).decrypt(ell_counter_prefix(bytes(other)), plain)
    decoder = Decoder({METER_ID: KEY, "44332211": KEY}, duplicate_guard=False)
    decoder.decode(LONG)
    decoder.decode(other_long)

    def no_general_parse(_records: bytes) -> None:
        raise AssertionError("long frame of a known layout parsed from scratch")

    monkeypatch.setattr(decoder_module, "parse_records", no_general_parse)
    for telegram, meter_id in ((LONG, METER_ID), (other_long, "44332211")):
        reading = decoder.decode(telegram)
        assert (reading.meter_id, reading.profile) == (meter_id, "omnipower")
        assert reading.values["total_energy_consumption_kwh"] == 2.15


def _other_version(telegram: bytes, version: int) -> bytes:
    """The same telegram from a meter with the same digits but another version byte.

    AES-CTR's counter block holds the address, so the payload is re-encrypted for it.
    """
    plain = AesCtr(KEY).decrypt(ell_counter_prefix(telegram), telegram[17:])
    header = bytearray(telegram[:17])
    header[8] = version
    return bytes(header) + AesCtr(KEY).decrypt(ell_counter_prefix(bytes(header)), plain)


def test_meters_are_keyed_by_whole_address() -> None:
    from custom_components.wmbus.protocol.frame import MeterAddress

    address = MeterAddress("KAM", METER_ID, 0x30, 0x02)
    twin = _other_version(LONG, 0x31)
    decoder = Decoder({address: KEY})
    assert decoder.decode(LONG).address == address
    # Same 8 digits, another version: another meter, and the key is never tried on it.
    with pytest.raises(UnknownMeter) as caught:
        decoder.decode(twin)
    assert caught.value.address == MeterAddress("KAM", METER_ID, 0x31, 0x02)
    assert address in decoder
    assert MeterAddress("KAM", METER_ID, 0x31, 0x02) not in decoder
    decoder.remove_meter(address)
    with pytest.raises(UnknownMeter):
        decoder.decode(LONG)


def test_a_key_given_per_id_applies_to_each_address_with_its_own_state() -> None:
    twin = _other_version(LONG, 0x31)
    decoder = _decoder()
    first = decoder.decode(LONG)
    second = decoder.decode(twin)
    assert (first.version, second.version) == (0x30, 0x31)
    assert {address.version for address in decoder.addresses} == {0x30, 0x31}
    # Each address has its own duplicate guard.
    with pytest.raises(Duplicate):
        decoder.decode(twin)
    decoder.remove_meter(METER_ID)
    assert decoder.addresses == ()
    with pytest.raises(UnknownMeter):
        decoder.decode(twin)


def test_an_address_with_the_national_code_bit_is_the_same_meter() -> None:
    from custom_components.wmbus.protocol.frame import MeterAddress

    records = bytes.fromhex("0404d700000004843c00000000042b0300000004ab3c00000000")
    flagged = bytearray(LONG[1:10])
    flagged[2] |= 0x80  # M-field bit 15, as Apator sends it
    body = bytes(flagged) + b"\x78" + records
    decoder = Decoder({MeterAddress("KAM", METER_ID, 0x30, 0x02): None})
    assert decoder.decode(bytes((len(body),)) + body).manufacturer == "KAM"


def test_records_beside_values_and_lazily_on_the_fast_path() -> None:
    decoder = Decoder({METER_ID: KEY}, duplicate_guard=False)
    parsed = decoder.decode(LONG)
    compiled = decoder.decode(LONG)  # second time: the meter's compiled layout
    assert compiled._records is None
    assert compiled.records == parsed.records
    assert [record.header.quantity for record in compiled.records] == ["energy"] * 2 + ["power"] * 2
    compact = decoder.decode(COMPACT)
    assert [record.header.raw for record in compact.records] == [
        record.header.raw for record in parsed.records
    ]
    assert compact.records[2].value == compact.values["current_power_consumption_w"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_mutations(), max_size=8))
def test_the_decoder_resyncs_after_any_bad_input(garbage: list[bytes]) -> None:
    # Whatever came before (corrupt copies, wrong-key runs, garbage), a genuine telegram
    # that was not among it decodes, and its values are right.
    decoder = _configured_decoder(duplicate_guard=True)
    for telegram in garbage:
        with contextlib.suppress(WmbusError):
            decoder.decode(telegram)
    if any(telegram[12:] == COMPACT[12:] for telegram in garbage):
        return  # COMPACT itself or a repeater's copy of it: a duplicate, rightly
    assert decoder.decode(COMPACT) == Decoder({METER_ID: KEY}).decode(COMPACT)


def test_network_layer_in_front_of_the_transport_layer_is_skipped() -> None:
    records = bytes.fromhex("0404d7000000042b03000000")
    body = LONG[1:10] + bytes.fromhex("81 1d 7a 2a 00 0000") + records
    reading = Decoder({METER_ID: None}).decode(bytes((len(body),)) + body)
    assert (reading.access_number, reading.values["current_power_consumption_w"]) == (0x2A, 3)
    body = LONG[1:10] + bytes.fromhex("81 1d")
    with pytest.raises(Truncated):
        Decoder({METER_ID: None}).decode(bytes((len(body),)) + body)


def _profile_reading_its_own_frames(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bytes]]:
    """Give every meter a profile with layouts for CI 71, 7A and A2; return what it got."""
    from custom_components.wmbus.protocol import decoder as decoder_module
    from custom_components.wmbus.protocol.meters import FieldSpec, ManufacturerFrame, mvt
    from custom_components.wmbus.protocol.meters.profile import MeterProfile
    from custom_components.wmbus.protocol.records import Record, RecordHeader

    handed: list[tuple[int, bytes]] = []

    def layout(frame: ManufacturerFrame) -> tuple[Record, ...]:
        handed.append((frame.ci, frame.payload))
        return (Record(RecordHeader.synthetic("volume", "m3", exponent=-3), b"", 1234),)

    profile = MeterProfile(
        name="own_frames",
        model="Meter with its own frames",
        detect=(mvt("KAM", None),),
        fields=(FieldSpec("total_m3", "volume", "m3"),),
        frames={0x71: layout, 0x7A: layout, 0xA2: layout},
    )
    monkeypatch.setattr(decoder_module, "select_profile", lambda *_: profile)
    return handed


def test_frames_the_standard_cannot_read_go_to_the_profile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handed = _profile_reading_its_own_frames(monkeypatch)
    decoder = Decoder({METER_ID: None}, duplicate_guard=False)
    for tail in ("a2 0102", "71 0304", "7a 2a 00 0610 0506"):
        body = LONG[1:10] + bytes.fromhex(tail)
        reading = decoder.decode(bytes((len(body),)) + body)
        assert (reading.frame, reading.profile, reading.values) == (
            "manufacturer",
            "own_frames",
            {"total_m3": 1.234},
        )
        assert reading.records[0].header.raw == b""
    # Manufacturer CI: bytes after the CI; CI 71: the same; security mode 16: TPL header too.
    assert handed == [
        (0xA2, bytes.fromhex("0102")),
        (0x71, bytes.fromhex("0304")),
        (0x7A, bytes.fromhex("2a0006100506")),
    ]
    # A 7A telegram in a standard security mode is still read as records.
    body = LONG[1:10] + bytes.fromhex("7a 2b 00 0000 0404d7000000")
    assert decoder.decode(bytes((len(body),)) + body).frame == "long"


def test_without_a_profile_layout_manufacturer_frames_are_refused() -> None:
    decoder = Decoder({METER_ID: None})
    body = LONG[1:10] + bytes.fromhex("a2 0102")
    with pytest.raises(UnsupportedCi, match="manufacturer specific"):
        decoder.decode(bytes((len(body),)) + body)
    body = LONG[1:10] + bytes.fromhex("7a 2a 00 0610 0506")
    with pytest.raises(UnsupportedEncryption) as caught:
        decoder.decode(bytes((len(body),)) + body)
    assert caught.value.mode == 16
    body = LONG[1:10] + bytes.fromhex("71 0304")
    with pytest.raises(UnsupportedCi, match="alarm"):
        decoder.decode(bytes((len(body),)) + body)


def test_records_behind_a_radio_module_belong_to_the_long_header_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from custom_components.wmbus.protocol import decoder as decoder_module
    from custom_components.wmbus.protocol.frame import MeterAddress
    from custom_components.wmbus.protocol.meters import select_profile as real_select

    asked: list[tuple[MeterAddress, int | None]] = []

    def select(address: MeterAddress, signature: int | None) -> object:
        asked.append((address, signature))
        return real_select(address, signature)

    monkeypatch.setattr(decoder_module, "select_profile", select)
    # Link layer: a radio module (type 0x37); long TPL header: ELS gas meter 12345678.
    records = bytes.fromhex("0c1327048502")
    body = (
        LONG[1:8]
        + bytes((0x01, 0x37))
        + bytes.fromhex("72 78563412 9315 33 03 2a 00 0000")
        + records
    )
    telegram = bytes((len(body),)) + body
    decoder = Decoder({"12345678": None}, duplicate_guard=False)
    reading = decoder.decode(telegram)
    meter = MeterAddress("ELS", "12345678", 0x33, 0x03)
    assert reading.address == meter
    assert reading.link_address == MeterAddress("KAM", METER_ID, 0x01, 0x37)  # who sent it
    assert any(address == meter and signature is not None for address, signature in asked)
    assert reading.records[0].header.quantity == "volume"
    assert decoder.decode(telegram).records == reading.records  # compiled path, same owner


def test_a_meter_behind_a_radio_converter_is_decoded_as_itself() -> None:
    from custom_components.wmbus.protocol.frame import MeterAddress
    from tests.conftest import (
        CONVERTED_METER_ID,
        CONVERTED_METER_KEY,
        RADIO_MODULE_ID,
        radio_converter_telegram,
    )

    telegram = radio_converter_telegram()
    water = MeterAddress("QDS", CONVERTED_METER_ID, 0x16, 0x07)
    module = MeterAddress("QDS", RADIO_MODULE_ID, 0x01, 0x37)
    # The heard list's view, before any key: the water meter, with the module beside it.
    header = Decoder.peek_header(telegram)
    assert header.address == water
    assert header.link_address == module
    assert header.device_type_name == "water"
    # A key given for the module's id is not the meter's key.
    with pytest.raises(UnknownMeter) as caught:
        Decoder({RADIO_MODULE_ID: CONVERTED_METER_KEY}).decode(telegram)
    assert caught.value.address == water
    assert caught.value.meter_id == CONVERTED_METER_ID
    # The key given for the meter's own id (on its label) opens it: the IV is the long
    # header's address, so decrypting with the module's address would fail the 2F 2F check.
    reading = Decoder({CONVERTED_METER_ID: CONVERTED_METER_KEY}).decode(telegram)
    assert reading.address == water
    assert reading.link_address == module
    assert reading.meter_id == CONVERTED_METER_ID
    assert reading.device_type == 0x07
    assert reading.records[0].value == 12345678
    # Bound to its whole address, as the integration binds it.
    bound = Decoder({water: CONVERTED_METER_KEY}, duplicate_guard=False)
    assert bound.decode(telegram).address == water
    assert bound.try_key(telegram, CONVERTED_METER_KEY).link_address == module


def test_an_already_decrypted_mode_5_payload_is_read_only_when_it_passes_the_check() -> None:
    from tests.conftest import CONVERTED_METER_ID, CONVERTED_METER_KEY, radio_converter_telegram

    decrypted = radio_converter_telegram(already_decrypted=True)
    assert decrypted[22] & 0x1F == 5  # the configuration word still says AES-CBC (mode 5)
    for key in (None, CONVERTED_METER_KEY):
        reading = Decoder({CONVERTED_METER_ID: key}, duplicate_guard=False).decode(decrypted)
        assert reading.records[0].value == 12345678
    # The check fails (no 2F 2F): not plaintext, so without a key it stays "no key".
    corrupted = bytearray(decrypted)
    corrupted[23] = 0x2E
    with pytest.raises(UnknownMeter):
        Decoder({CONVERTED_METER_ID: None}).decode(bytes(corrupted))
    # Encrypted as usual: still decrypted, and a wrong key is still wrong.
    encrypted = radio_converter_telegram()
    with pytest.raises(PayloadCrcMismatch):
        Decoder({CONVERTED_METER_ID: bytes(16)}).decode(encrypted)


def test_an_already_decrypted_ell_payload_is_read_when_its_crc_fits() -> None:
    from custom_components.wmbus.protocol.ell import open_ell

    payload = open_ell(LONG, AesCtr(KEY)).payload
    decrypted = LONG[:17] + crc16_en13757(payload).to_bytes(2, "little") + payload
    assert decrypted[16] >> 5 == 1  # SN still says AES-CTR
    expected = _decoder().decode(LONG).values
    assert Decoder({METER_ID: None}).decode(decrypted).values == expected
    assert Decoder({METER_ID: KEY}).decode(decrypted).values == expected
    # A payload whose CRC does not fit as sent is decrypted (and fails with a wrong key).
    with pytest.raises(PayloadCrcMismatch):
        Decoder({METER_ID: bytes(16)}).decode(LONG)
    with pytest.raises(UnknownMeter):
        Decoder({METER_ID: None}).decode(LONG)


def _compact_plaintext() -> bytes:
    """COMPACT's application layer in clear: CI 79, signature, full-frame CRC, 16 data bytes."""
    return open_ell(COMPACT, AesCtr(KEY)).payload


def test_a_compact_frame_cut_before_its_signature_is_truncated() -> None:
    telegram = _replace_plaintext(COMPACT, _compact_plaintext()[:3])
    with pytest.raises(Truncated, match="without signature"):
        _decoder().decode(telegram)


def test_a_compact_frame_that_does_not_fit_its_format_is_refused() -> None:
    plain = _compact_plaintext()
    assert plain[:3] == bytes.fromhex("79138c")
    # One data byte short of the declared format's 16.
    with pytest.raises(FormatMismatch, match="needs 16"):
        _decoder().decode(_replace_plaintext(COMPACT, plain[:-1]))
    # The right size, but the full-frame CRC says these values are not that format's.
    wrong_crc = plain[:3] + bytes((plain[3] ^ 0xFF,)) + plain[4:]
    with pytest.raises(FormatMismatch, match="full-frame CRC"):
        _decoder().decode(_replace_plaintext(COMPACT, wrong_crc))
    assert _decoder().decode(_replace_plaintext(COMPACT, plain)).frame == "compact"
