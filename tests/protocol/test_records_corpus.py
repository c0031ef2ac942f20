"""Records from real telegrams: the plain-text part of the wmbusmeters driver-test corpus.

Every unencrypted (or already decrypted) full frame of the corpus is cut down to its
records by fixed header sizes (no decoder involved) and parsed: the damaged ones lose
only their damaged tail, and the values wmbusmeters reads from standard records come out
of the records alone, in their units.
"""

from __future__ import annotations

from fractions import Fraction
import json
from typing import Any

import pytest

from custom_components.wmbus.protocol.errors import MalformedRecords
from custom_components.wmbus.protocol.records import RecordSet, parse_records, record_json
from tests.data import CORPUS_PATH

CORPUS: list[dict[str, Any]] = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))["vectors"]

_LINK_HEADER = 10
_ELL_SIZES = {0x8C: 2, 0x8D: 8}  # CC ACC / CC ACC SN CRC
_TPL_SIZES = {0x78: 0, 0x7A: 4, 0x72: 12}  # (ACC STS CFG) / (id M version type ACC STS CFG)
_MODE_7 = 7


def apl(vector: dict[str, Any]) -> bytes | None:
    """The record bytes of a plain-text full frame, or None for any other telegram."""
    if vector["features"].get("payload") not in ("clear", "plaintext"):
        return None
    telegram = bytes.fromhex(vector["telegram_hex"])
    position = _LINK_HEADER
    ci = telegram[position]
    if ci in _ELL_SIZES:
        position += 1 + _ELL_SIZES[ci]
        ci = telegram[position]
    if ci not in _TPL_SIZES:
        return None
    size = _TPL_SIZES[ci]
    if size and vector["features"].get("security_mode") == _MODE_7:
        size += 1  # the configuration extension byte of mode 7
    return telegram[position + 1 + size :]


PLAIN = [(vector["id"], payload) for vector in CORPUS if (payload := apl(vector)) is not None]
PLAIN_BY_ID = dict(PLAIN)
EXPECTED = {vector["id"]: vector["expected_values"] for vector in CORPUS}

# Not DIF/VIF records at all (a manufacturer format after 2F 2F): the meter profile reads it.
NOT_RECORDS = {"bfw240radio-05"}
# Damage wmbusmeters also reads around, as the problem this parser reports.
DAMAGED = {
    "bfw240radio-01": "variable-length text needs 2 bytes, 1 left",
    "bfw240radio-02": "variable-length text needs 33 bytes, 0 left",
    "bfw240radio-03": "cut-off last record 0221 at offset 38",
    "bfw240radio-06": "cut-off last record 0403 at offset 37",
    "evo868-01": "reserved special DIF 0xff at offset 158: 2 bytes not read",
    "hcae2-03": "record header ends inside its VIFEs: 0186 at offset 31",
    "hcae2-04": "record header ends before its VIF: bb6d at offset 189",
    "qcaloric-06": "record header ends before its VIF: dd2f at offset 24",
    "unismart-01": "cut-off last record 5208 at offset 80",
}


def test_the_corpus_has_plain_records() -> None:
    assert len(PLAIN) >= 140


@pytest.mark.parametrize(("vector_id", "payload"), PLAIN, ids=[i for i, _ in PLAIN])
def test_corpus_telegram_parses(vector_id: str, payload: bytes) -> None:
    if vector_id in NOT_RECORDS:
        with pytest.raises(MalformedRecords):
            parse_records(payload)
        return
    record_set = parse_records(payload)
    for record in record_set.records:
        json.dumps(record_json(record), allow_nan=False)
    if vector_id in DAMAGED:
        (problem,) = record_set.problems
        assert problem.startswith(DAMAGED[vector_id])
        assert record_set.records
    else:
        assert record_set.problems == ()


# Record unit -> (corpus unit, factor): the conversions the corpus' canonical units need.
_TO_CORPUS: dict[str, tuple[str, Fraction]] = {
    "Wh": ("kWh", Fraction(1, 1000)),
    "J": ("kWh", Fraction(1, 3_600_000)),
    "W": ("W", Fraction(1)),
    "J/h": ("W", Fraction(1, 3600)),
    "Hz": ("Hz", Fraction(1)),
    "m3": ("m3", Fraction(1)),
    "m3/h": ("m3/h", Fraction(1)),
    "C": ("C", Fraction(1)),
    "K": ("C", Fraction(1)),
    "HCA": ("HCA", Fraction(1)),
    "%RH": ("%RH", Fraction(1)),
    "V": ("V", Fraction(1)),
    "A": ("A", Fraction(1)),
    "kvarh": ("kvarh", Fraction(1)),
    "s": ("h", Fraction(1, 3600)),
    "min": ("h", Fraction(1, 60)),
    "h": ("h", Fraction(1)),
    "d": ("h", Fraction(24)),
}


def unmatched(record_set: RecordSet, expected: list[dict[str, Any]]) -> list[str]:
    """Expected values no record holds; each record stands for one expected value only."""
    numbers: list[tuple[str, float]] = []
    for record in record_set.records:
        rendered = record_json(record)
        unit, value = rendered["unit"], rendered["value"]
        if isinstance(unit, str) and unit in _TO_CORPUS and isinstance(value, int | float):
            corpus_unit, factor = _TO_CORPUS[unit]
            numbers.append((corpus_unit, float(Fraction(value) * factor)))
    missing = []
    for value in expected:
        unit = "C" if value["quantity_unit"] == "K" else value["quantity_unit"]
        tolerance = max(float(value.get("abs_tol", 0.0)), 1e-9 * abs(value["value"]))
        hit = next(
            (
                index
                for index, (have_unit, number) in enumerate(numbers)
                if have_unit == unit and abs(number - value["value"]) <= tolerance
            ),
            None,
        )
        if hit is None:
            missing.append(value["field"])
        else:
            del numbers[hit]
    return missing


# Telegrams whose every expected value wmbusmeters takes from standard records; meters
# whose values come from manufacturer data, or from a driver's own reading of a standard
# record (q400 FD 74 as percent, em24 reactive energy without its x0.1 VIFE), are the
# profiles' business (tests/protocol/test_meters*.py).
FROM_STANDARD_RECORDS = sorted(
    vector_id
    for vector_id, _ in PLAIN
    if vector_id.split("-")[0]
    not in {
        "bfw240radio",
        "hydrodigit",
        "hydroclimav2",
        "apator162",
        "qcaloric",
        "hcae2",
        "q400",
        "em24",
        "elvsense",
    }
)


def test_most_plain_telegrams_are_standard_records() -> None:
    assert len(FROM_STANDARD_RECORDS) >= 95


@pytest.mark.parametrize("vector_id", FROM_STANDARD_RECORDS)
def test_records_hold_every_value_wmbusmeters_reads(vector_id: str) -> None:
    record_set = parse_records(PLAIN_BY_ID[vector_id])
    assert unmatched(record_set, EXPECTED[vector_id]) == []


def records_of(vector_id: str) -> dict[str, dict[str, object]]:
    rendered = (record_json(r) for r in parse_records(PLAIN_BY_ID[vector_id]).records)
    return {f"{r['dif_vif']}/{r['storage']}": r for r in rendered}


def test_forward_backward_and_set_date_volumes() -> None:
    records = records_of("q400-02")
    assert records["04933b/0"]["quantity"] == "volume"
    assert records["44933c/1"]["storage"] == 1
    assert records["0413/0"]["value"] == pytest.approx(8.704)
    assert records["446d/1"]["value"] == "2021-07-01 00:00"
    assert records["0259/0"] == {
        "quantity": "flow_temperature",
        "unit": "C",
        "value": pytest.approx(26.02),
        "storage": 0,
        "tariff": 0,
        "subunit": 0,
        "function": "instantaneous",
        "dif_vif": "0259",
    }


def test_half_month_history_to_storage_31_with_a_negative_delta() -> None:
    records = records_of("hcae2-05")
    assert records["820c6e/24"]["value"] == -335  # type B: signed
    assert records["c20f6e/31"]["value"] == 7
    assert records["346d/0"]["function"] == "error_state"


def test_tariff_and_subunit_records() -> None:
    records = records_of("supercom587-01")
    assert (records["8c4079/0"]["quantity"], records["8c4079/0"]["subunit"]) == ("enhanced_id", 1)
    assert records["8310fd31/0"]["tariff"] == 1
    assert records["82206c/0"]["tariff"] == 2
    assert records["03fd6c/0"]["unit"] == "h"


def test_plain_text_humidity_and_voltage() -> None:
    records = records_of("elvsense-03")
    assert records["027c03324f43/0"]["unit"] == "CO2"
    assert records["027c03324f43/0"]["quantity"] is None
    assert records["02fb1a/0"]["value"] == pytest.approx(0.7)
    assert records["02fd46/0"]["value"] == pytest.approx(3.683)
