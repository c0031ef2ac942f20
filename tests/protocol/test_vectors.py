"""Every vector of tests/data/vectors/omnipower.json, decoded as the vector file prescribes.

HCI envelopes (``hci_frame_hex``/``expected_hci``/``expected_hci_error``, including the
HCI-only vector neg-seed-hci-crc) are checked by
tests/protocol/test_im871a_frames.py::test_frame_vector.
"""

from __future__ import annotations

from typing import Any

import pytest

from custom_components.wmbus.protocol.crypto import AesCtr, ell_counter_prefix
from custom_components.wmbus.protocol.decoder import Decoder, Reading
from custom_components.wmbus.protocol.ell import open_ell
from custom_components.wmbus.protocol.errors import WmbusError
from custom_components.wmbus.protocol.frame import manufacturer_id_from_code
from custom_components.wmbus.protocol.records import registry_key
from custom_components.wmbus.protocol.tpl import CI_COMPACT

from .conftest import VECTOR_FILE, VECTORS, VECTORS_BY_ID

OMNIPOWER_FIELDS = (
    "total_energy_consumption_kwh",
    "total_energy_production_kwh",
    "current_power_consumption_w",
    "current_power_production_w",
)
HCI_ONLY = {
    vector["id"] for vector in VECTORS if vector.get("expected_error") == "hci_crc_mismatch"
}


def _configure(decoder: Decoder, vector: dict[str, Any]) -> None:
    meter_id = bytes.fromhex(vector["telegram_hex"])[7:3:-1].hex()
    if vector.get("payload_is_plaintext"):
        decoder.set_key(meter_id, None, payload_is_plaintext=True)
    elif vector.get("key_hex"):
        decoder.set_key(meter_id, bytes.fromhex(vector["key_hex"]))


def _decoder_for(vector: dict[str, Any], *, with_requirements: bool = True) -> Decoder:
    decoder = Decoder()
    if with_requirements:
        for required_id in vector.get("requires", []):
            required = VECTORS_BY_ID[required_id]
            _configure(decoder, required)
            decoder.decode(bytes.fromhex(required["telegram_hex"]))
    _configure(decoder, vector)
    return decoder


def _check_header(facts: Any, expected: dict[str, Any]) -> None:
    assert facts.meter_id == expected["meter_id"]
    assert facts.manufacturer == expected["manufacturer"]
    assert facts.version == expected["version"]
    assert facts.device_type == expected["medium"]


def _check_values(reading: Reading, expected: dict[str, Any]) -> None:
    _check_header(reading, expected)
    assert reading.access_number == expected["access_number"]
    assert reading.frame == expected["frame_kind"]
    for key in OMNIPOWER_FIELDS:
        if key in expected:
            assert key in reading.values, key
            if key.endswith("_kwh"):
                assert reading.values[key] == pytest.approx(expected[key], abs=1e-9)
                assert isinstance(reading.values[key], float)
                exact_wh = expected[key.removesuffix("_kwh") + "_wh"]
                assert round(reading.values[key] * 1000) == exact_wh
            else:
                assert reading.values[key] == expected[key]
                assert isinstance(reading.values[key], int)
        else:
            assert key not in reading.values, f"{key} must be absent, not 0"


DECODABLE = [vector for vector in VECTORS if vector["id"] not in HCI_ONLY]


@pytest.mark.parametrize("vector", DECODABLE, ids=lambda vector: vector["id"])
def test_vector(vector: dict[str, Any]) -> None:
    telegram = bytes.fromhex(vector["telegram_hex"])
    decoder = _decoder_for(vector)
    expected = vector.get("expected", {})
    if "expected_error" in vector:
        acceptable = vector.get("acceptable_errors", [vector["expected_error"]])
        with pytest.raises(WmbusError) as caught:
            decoder.decode(telegram)
        assert caught.value.kind in acceptable
        if expected:
            # expected_header: the header must still be decodable from the error.
            assert caught.value.header is not None
            _check_header(caught.value.header, expected)
            _check_header(decoder.peek_header(telegram), expected)
        return
    reading = decoder.decode(telegram)
    _check_values(reading, expected)
    if vector.get("not_omnipower") or vector["id"] == "wmbm-plain-kam-v33-other-datagram":
        assert reading.profile != "omnipower"
    else:
        assert reading.profile == "omnipower"
        assert reading.model == "Kamstrup OmniPower"
    if "wmbusmeters_json" in expected:
        # A meter with a profile gets wmbusmeters' field names, one without the generic ones.
        key = "total_volume_m3" if reading.profile == "generic" else "total_m3"
        assert reading.values[key] == pytest.approx(expected["wmbusmeters_json"]["total_m3"])


@pytest.mark.parametrize(
    "vector",
    [vector for vector in VECTORS if "expected_error_if_format_unknown" in vector],
    ids=lambda vector: vector["id"],
)
def test_vector_without_its_requirements(vector: dict[str, Any]) -> None:
    decoder = _decoder_for(vector, with_requirements=False)
    telegram = bytes.fromhex(vector["telegram_hex"])
    if _format_declared_by_a_profile(decoder, telegram):
        # A profile declares the compact format: it decodes before any long frame.
        assert decoder.decode(telegram).frame == "compact"
        return
    with pytest.raises(WmbusError) as caught:
        decoder.decode(telegram)
    assert caught.value.kind == vector["expected_error_if_format_unknown"]


def _format_declared_by_a_profile(decoder: Decoder, telegram: bytes) -> bool:
    payload = open_ell(telegram, None, plaintext=True).payload
    if payload[0] != CI_COMPACT:
        return False
    signature = payload[1] | (payload[2] << 8)
    key = registry_key(telegram[2] | (telegram[3] << 8), telegram[9], signature)
    return decoder.formats.lookup(key) is not None


@pytest.mark.parametrize(
    "vector",
    [vector for vector in VECTORS if "format_if_known_hex" in vector],
    ids=lambda vector: vector["id"],
)
def test_vector_with_format_declared(vector: dict[str, Any]) -> None:
    decoder = _decoder_for(vector)
    expected = vector["expected_if_format_known"]
    decoder.formats.declare(
        manufacturer_id_from_code(expected["manufacturer"]),
        expected["medium"],
        bytes.fromhex(vector["format_if_known_hex"]),
    )
    reading = decoder.decode(bytes.fromhex(vector["telegram_hex"]))
    _check_values(reading, expected)


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS if "decrypted_payload_hex" in v.get("expected", {}) and v["key_hex"]],
    ids=lambda vector: vector["id"],
)
def test_decrypted_payload(vector: dict[str, Any]) -> None:
    telegram = bytes.fromhex(vector["telegram_hex"])
    plain = AesCtr(bytes.fromhex(vector["key_hex"])).decrypt(
        ell_counter_prefix(telegram), telegram[17:]
    )
    assert plain.hex() == vector["expected"]["decrypted_payload_hex"]


def test_known_format_signatures_are_preloaded() -> None:
    decoder = Decoder()
    for signature_hex, format_hex in VECTOR_FILE["known_format_signatures"].items():
        signature = int.from_bytes(bytes.fromhex(signature_hex), "little")
        key = (manufacturer_id_from_code("KAM") << 24) | (0x02 << 16) | signature
        layout = decoder.formats.lookup(key)
        assert layout is not None
        assert layout.format_bytes.hex() == format_hex


def test_all_real_captures_in_order_through_one_decoder() -> None:
    """The real OmniPower captures, fed in capture order as a stick would deliver them."""
    decoder = Decoder()
    captures = [v for v in VECTORS if v["id"].startswith("op-real-")]
    _configure(decoder, captures[0])
    for vector in captures:
        reading = decoder.decode(bytes.fromhex(vector["telegram_hex"]))
        _check_values(reading, vector["expected"])
