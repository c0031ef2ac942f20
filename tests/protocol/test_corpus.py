"""Every corpus telegram through the Decoder, its records checked against wmbusmeters' values.

The corpus (tests/data/vectors/wmbusmeters_corpus.json: 225 driver-test telegrams of 72 meter
types) gives, per telegram, the values wmbusmeters reads. Each vector is decoded with a fresh
decoder (prior telegrams first, as on a stick), and every numeric record is matched against the
expected values by unit, each record standing for one expected value at most, as the corpus's
``about`` text defines a matched value. The tests fail when the share of matched values drops below
what the decoder reads today, or when a meter type whose profile reads a manufacturer
layout loses a single value.
"""

from __future__ import annotations

from fractions import Fraction
import json
from typing import Any

import pytest

from custom_components.wmbus.protocol.decoder import Decoder
from custom_components.wmbus.protocol.errors import WmbusError
from custom_components.wmbus.protocol.records import Record
from tests.data import CORPUS_PATH

CORPUS: list[dict[str, Any]] = json.loads(CORPUS_PATH.read_text(encoding="utf-8"))["vectors"]

MIN_MATCHED_SHARE = 0.95
"""Issue 12's acceptance bar is 85 %; the decoder reads 97 % today, so a drop shows here."""
COMPLETE_DRIVERS = frozenset(
    {
        "apator08",
        "apator162",
        "apatoreitn",
        "apatorna1",
        "bfw240radio",
        "fhkvdataiii",
        "hydroclimav2",
        "izarv2",
        "omnipower",
        "q400",
        "rfmtx1",
    }
)
"""Meter types whose every expected value must come out (manufacturer layouts and OmniPower)."""

# Record unit -> (canonical unit of the corpus, factor), as the checker converts them.
CANONICAL: dict[str, tuple[str, Fraction]] = {
    "Wh": ("kWh", Fraction(1, 1000)),
    "kWh": ("kWh", Fraction(1)),
    "MWh": ("kWh", Fraction(1000)),
    "J": ("kWh", Fraction(1, 3_600_000)),
    "GJ": ("kWh", Fraction(10**6, 3600)),
    "W": ("W", Fraction(1)),
    "kW": ("W", Fraction(1000)),
    "J/h": ("W", Fraction(1, 3600)),
    "m3": ("m3", Fraction(1)),
    "L": ("m3", Fraction(1, 1000)),
    "m3/h": ("m3/h", Fraction(1)),
    "m3/min": ("m3/h", Fraction(60)),
    "m3/s": ("m3/h", Fraction(3600)),
    "C": ("C", Fraction(1)),
    "K": ("C", Fraction(1)),
    "V": ("V", Fraction(1)),
    "A": ("A", Fraction(1)),
    "Hz": ("Hz", Fraction(1)),
    "bar": ("bar", Fraction(1)),
    "%RH": ("%RH", Fraction(1)),
    "HCA": ("HCA", Fraction(1)),
    "%": ("%", Fraction(1)),
    "ppm": ("ppm", Fraction(1)),
    "s": ("h", Fraction(1, 3600)),
    "min": ("h", Fraction(1, 60)),
    "h": ("h", Fraction(1)),
    "d": ("h", Fraction(24)),
}


def decoded_numbers(records: tuple[Record, ...]) -> dict[str, list[float]]:
    """Canonical unit -> the numeric record values of one reading."""
    found: dict[str, list[float]] = {}
    for item in records:
        scaled = item.scaled
        unit = "HCA" if item.header.quantity == "hca_units" else item.header.unit
        if scaled is None or isinstance(scaled, bool) or unit not in CANONICAL:
            continue
        canonical, factor = CANONICAL[unit]
        found.setdefault(canonical, []).append(float(Fraction(scaled) * factor))
    return found


def take(found: dict[str, list[float]], expected: dict[str, Any]) -> bool:
    """Use up a decoded number equal to ``expected`` (relative 1e-9 or the vector's abs_tol)."""
    value = float(expected["value"])
    tolerance = float(expected.get("abs_tol", 0.0))
    unit = "C" if expected["quantity_unit"] == "K" else expected["quantity_unit"]
    numbers = found.get(unit, [])
    for index, have in enumerate(numbers):
        if abs(value - have) <= max(1e-9 * max(abs(value), abs(have)), tolerance):
            del numbers[index]
            return True
    return False


def decode_vector(vector: dict[str, Any]) -> tuple[int, str | None]:
    """(expected values matched, error kind of the last telegram or None)."""
    telegrams = [bytes.fromhex(text) for text in vector.get("prior_telegrams_hex", [])]
    telegrams.append(bytes.fromhex(vector["telegram_hex"]))
    key_hex = vector.get("key_hex")
    key = bytes.fromhex(key_hex) if key_hex and len(key_hex) == 32 else None
    decoder = Decoder(duplicate_guard=False)
    for meter_id in {telegram[7:3:-1].hex() for telegram in telegrams}:
        decoder.set_key(meter_id, key, payload_is_plaintext=bool(vector.get("needs_plaintext")))
    earlier: dict[str, list[float]] = {}
    found: dict[str, list[float]] = {}
    error: str | None = None
    for position, telegram in enumerate(telegrams):
        last = position == len(telegrams) - 1
        try:
            reading = decoder.decode(telegram)
        except WmbusError as err:
            if last:
                error = err.kind
            continue
        numbers = decoded_numbers(reading.records)
        if last:
            found = numbers
        else:
            for unit, values in numbers.items():
                earlier.setdefault(unit, []).extend(values)
    if error is not None:
        return 0, error
    matched = sum(
        1
        for expected in vector["expected_values"]
        if take(found, expected) or take(earlier, expected)
    )
    return matched, None


RESULTS = {vector["id"]: decode_vector(vector) for vector in CORPUS}


def test_the_corpus_is_the_whole_one() -> None:
    assert len(CORPUS) >= 200
    assert len({vector["driver"] for vector in CORPUS}) >= 70


def test_corpus_values_matched_meet_the_bar() -> None:
    total = sum(len(vector["expected_values"]) for vector in CORPUS)
    matched = sum(RESULTS[vector["id"]][0] for vector in CORPUS)
    assert matched / total >= MIN_MATCHED_SHARE, f"{matched}/{total}"


@pytest.mark.parametrize(
    "vector",
    [vector for vector in CORPUS if vector["driver"] in COMPLETE_DRIVERS],
    ids=lambda vector: vector["id"],
)
def test_meter_types_with_a_layout_read_every_value(vector: dict[str, Any]) -> None:
    matched, error = RESULTS[vector["id"]]
    assert error is None
    assert matched == len(vector["expected_values"])
