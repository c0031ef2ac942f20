"""Names of meter fields in every language, written into strings.json and translations/.

A field's name is made of parts (``meter_fields.NameParts``): its quantity, function,
direction of flow, the role its profile declares, and whether a tariff, subunit, storage
or phase number sets it apart. Home Assistant needs one literal string per translation
key and language, and a placeholder cannot carry a translated word, so every combination
a field can get is a key of its own: close to a thousand. They are written from the small
tables below rather than by hand, so that a new part (a role, a function) reaches every
combination in every language at once.

``python -m tools.entity_names`` rewrites the files; ``--check`` exits 1 if one is out of
date (``tests/components/test_translations.py`` runs the check). Names that are not field
names (energy imported, signal strength, ...) are written by hand and kept as they are.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from itertools import product
import json
from pathlib import Path
import sys
from typing import Any, Final

from custom_components.wmbus.meter_fields import (
    BACKWARD_QUANTITIES,
    DIRECTIONS,
    FUNCTION_PREFIXES,
    NAMED_QUANTITIES,
    NameParts,
    _profile_fields,
    flow_direction,
    name_parts,
)
from custom_components.wmbus.protocol.meters import FIELD_ROLES, PROFILES, PROFILES_BY_NAME

COMPONENT: Final = Path(__file__).resolve().parents[1] / "custom_components" / "wmbus"
FUNCTIONS: Final = ("instantaneous", *FUNCTION_PREFIXES)
# The order names are listed in: as a user would look for them.
QUANTITY_ORDER: Final = (
    "energy",
    "volume",
    "mass",
    "hca_units",
    "power",
    "volume_flow",
    "mass_flow",
    "flow_temperature",
    "return_temperature",
    "temperature_difference",
    "external_temperature",
    "pressure",
    "voltage",
    "current",
    "frequency",
    "humidity",
    "on_time",
    "operating_time",
    "averaging_duration",
    "actuality_duration",
)


@dataclass(frozen=True, slots=True)
class Wording:
    """How one language names a field: nouns, qualifiers and the phrases around them."""

    quantities: Mapping[str, str]
    qualifiers: Mapping[str, str]
    """Words for directions and roles, shown in parentheses after the quantity."""
    function: Callable[[str, str, str], str]
    """(function, quantity, quantity with its qualifiers) -> the name's head."""
    tariff: str
    subunit: str
    storage: str
    phase: str

    def name(self, parts: NameParts) -> str:
        """The name of a field with these parts."""
        head = self.quantities[parts.quantity]
        qualifiers = [self.qualifiers[word] for word in (parts.direction, parts.role) if word]
        if qualifiers:
            head += f" ({', '.join(qualifiers)})"
        text = self.function(parts.function, parts.quantity, head)
        if parts.phase:
            return text + self.phase
        if parts.tariff:
            text += self.tariff
        if parts.subunit:
            text += self.subunit
        if parts.storage:
            text += self.storage
        return text


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _english_function(function: str, _quantity: str, head: str) -> str:
    if function == "maximum":
        return f"Maximum {_lower_first(head)}"
    if function == "minimum":
        return f"Minimum {_lower_first(head)}"
    if function == "error_state":
        return f"{head} in error state"
    return head


ENGLISH: Final = Wording(
    quantities={
        "energy": "Energy",
        "volume": "Volume",
        "mass": "Mass",
        "hca_units": "Heat cost units",
        "power": "Power",
        "volume_flow": "Volume flow",
        "mass_flow": "Mass flow",
        "flow_temperature": "Flow temperature",
        "return_temperature": "Return temperature",
        "temperature_difference": "Temperature difference",
        "external_temperature": "External temperature",
        "pressure": "Pressure",
        "voltage": "Voltage",
        "current": "Current",
        "frequency": "Frequency",
        "humidity": "Humidity",
        "on_time": "On time",
        "operating_time": "Operating time",
        "averaging_duration": "Averaging duration",
        "actuality_duration": "Age of the reading",
    },
    qualifiers={
        "backward": "backward",
        "forward": "forward",
        "heating": "heating",
        "cooling": "cooling",
        "active": "active",
        "reactive": "reactive",
        "active_export": "active, exported",
        "reactive_import": "reactive, imported",
        "reactive_export": "reactive, exported",
        "apparent_import": "apparent, imported",
        "apparent_export": "apparent, exported",
        "net": "net",
        "net_reactive": "net, reactive",
        "net_apparent": "net, apparent",
    },
    function=_english_function,
    tariff=", tariff {tariff}",
    subunit=", subunit {subunit}",
    storage=", stored value {storage}",
    phase=", phase {phase}",
)

# Danish adjectives agree with the noun: common gender, neuter (-t) or plural (-e).
_DANISH_NEUTER: Final = frozenset({"volume", "pressure"})
_DANISH_PLURAL: Final = frozenset({"hca_units"})
# A noun phrase with a genitive takes no adjective in front: "alder af aflæsningen".
_DANISH_WITH_ADJECTIVE: Final = {"actuality_duration": "alder af aflæsningen"}


def _danish_function(function: str, quantity: str, head: str) -> str:
    if function in {"maximum", "minimum"}:
        stem = "Maksimal" if function == "maximum" else "Minimal"
        ending = "t" if quantity in _DANISH_NEUTER else "e" if quantity in _DANISH_PLURAL else ""
        noun = DANISH.quantities[quantity]
        if quantity in _DANISH_WITH_ADJECTIVE:
            head = head.replace(noun, _DANISH_WITH_ADJECTIVE[quantity], 1)
        return f"{stem}{ending} {head[:1].lower()}{head[1:]}"
    if function == "error_state":
        return f"{head} i fejltilstand"
    return head


DANISH: Final = Wording(
    quantities={
        "energy": "Energi",
        "volume": "Volumen",
        "mass": "Masse",
        "hca_units": "Varmefordelingsenheder",
        "power": "Effekt",
        "volume_flow": "Volumenstrøm",
        "mass_flow": "Massestrøm",
        "flow_temperature": "Fremløbstemperatur",
        "return_temperature": "Returtemperatur",
        "temperature_difference": "Temperaturforskel",
        "external_temperature": "Ekstern temperatur",
        "pressure": "Tryk",
        "voltage": "Spænding",
        "current": "Strøm",
        "frequency": "Frekvens",
        "humidity": "Luftfugtighed",
        "on_time": "Tændt tid",
        "operating_time": "Driftstid",
        "averaging_duration": "Middelværdiperiode",
        "actuality_duration": "Aflæsningens alder",
    },
    qualifiers={
        "backward": "retur",
        "forward": "frem",
        "heating": "opvarmning",
        "cooling": "køling",
        "active": "aktiv",
        "reactive": "reaktiv",
        "active_export": "aktiv, eksporteret",
        "reactive_import": "reaktiv, importeret",
        "reactive_export": "reaktiv, eksporteret",
        "apparent_import": "tilsyneladende, importeret",
        "apparent_export": "tilsyneladende, eksporteret",
        "net": "netto",
        "net_reactive": "netto, reaktiv",
        "net_apparent": "netto, tilsyneladende",
    },
    function=_danish_function,
    tariff=", tarif {tariff}",
    subunit=", underenhed {subunit}",
    storage=", gemt værdi {storage}",
    phase=", fase {phase}",
)

# German adjectives in front of a noun without article: -e (feminine, plural), -er
# (masculine), -es (neuter): "Maximale Energie", "Maximaler Druck", "Maximales Volumen".
_GERMAN_GENDERS: Final[Mapping[str, str]] = {
    "volume": "n",
    "volume_flow": "m",
    "mass_flow": "m",
    "pressure": "m",
    "actuality_duration": "n",
}
_GERMAN_ENDINGS: Final[Mapping[str, str]] = {"f": "e", "m": "er", "n": "es"}


def _german_function(function: str, quantity: str, head: str) -> str:
    if function in {"maximum", "minimum"}:
        stem = "Maximal" if function == "maximum" else "Minimal"
        ending = _GERMAN_ENDINGS[_GERMAN_GENDERS.get(quantity, "f")]
        return f"{stem}{ending} {head}"  # nouns keep their capital
    if function == "error_state":
        return f"{head} im Fehlerzustand"
    return head


GERMAN: Final = Wording(
    quantities={
        "energy": "Energie",
        "volume": "Volumen",
        "mass": "Masse",
        "hca_units": "Heizkosteneinheiten",
        "power": "Leistung",
        "volume_flow": "Volumenstrom",
        "mass_flow": "Massenstrom",
        "flow_temperature": "Vorlauftemperatur",
        "return_temperature": "Rücklauftemperatur",
        "temperature_difference": "Temperaturdifferenz",
        "external_temperature": "Außentemperatur",
        "pressure": "Druck",
        "voltage": "Spannung",
        "current": "Stromstärke",
        "frequency": "Frequenz",
        "humidity": "Luftfeuchtigkeit",
        "on_time": "Einschaltdauer",
        "operating_time": "Betriebsdauer",
        "averaging_duration": "Mittelungsdauer",
        "actuality_duration": "Alter des Messwerts",
    },
    qualifiers={
        "backward": "rückwärts",
        "forward": "vorwärts",
        "heating": "Heizen",
        "cooling": "Kühlen",
        "active": "Wirkanteil",
        "reactive": "Blindanteil",
        "active_export": "Wirkanteil, Einspeisung",
        "reactive_import": "Blindanteil, Bezug",
        "reactive_export": "Blindanteil, Einspeisung",
        "apparent_import": "Scheinanteil, Bezug",
        "apparent_export": "Scheinanteil, Einspeisung",
        "net": "netto",
        "net_reactive": "netto, Blindanteil",
        "net_apparent": "netto, Scheinanteil",
    },
    function=_german_function,
    tariff=", Tarif {tariff}",
    subunit=", Untereinheit {subunit}",
    storage=", gespeicherter Wert {storage}",
    phase=", Phase {phase}",
)

WORDINGS: Final[Mapping[str, Wording]] = {"en": ENGLISH, "da": DANISH, "de": GERMAN}
"""Language code -> wording; "en" is also strings.json."""


def _generic_parts() -> Iterator[NameParts]:
    """Every name a record of a meter without a profile can get."""
    for quantity, function, direction, tariff, subunit, storage, phase in product(
        QUANTITY_ORDER, FUNCTIONS, (None, *DIRECTIONS), (0, 1), (0, 1), (0, 1), (0, 1)
    ):
        if direction and quantity not in BACKWARD_QUANTITIES:
            continue
        yield name_parts(
            quantity,
            storage=storage,
            tariff=tariff,
            function=function,
            direction=direction,
            phase=phase,
            subunit=subunit,
        )


def _profile_parts() -> Iterator[NameParts]:
    """The names of the profiles' fields (roles are only where a profile declares one)."""
    for profile in PROFILES:
        specs = {spec.key: spec for spec in PROFILES_BY_NAME[profile.name].fields}
        for meter_field in _profile_fields(profile, None).values():
            spec = specs[meter_field.key]
            if meter_field.kind != "sensor" or spec.quantity not in NAMED_QUANTITIES:
                continue
            yield name_parts(
                spec.quantity,
                storage=spec.storage,
                tariff=spec.tariff,
                function=spec.function.name.lower(),
                direction=flow_direction(spec.vifes),
                phase=meter_field.phase,
                subunit=spec.subunit,
                role=spec.role,
            )


def _order(parts: NameParts) -> tuple[int, ...]:
    roles = (None, *FIELD_ROLES)
    return (
        QUANTITY_ORDER.index(parts.quantity),
        (None, *DIRECTIONS).index(parts.direction),
        roles.index(parts.role),
        parts.phase,
        FUNCTIONS.index(parts.function),
        parts.tariff,
        parts.subunit,
        parts.storage,
    )


def field_names() -> list[NameParts]:
    """Every field name, each once, in the order the files list them."""
    unique = {parts.key: parts for parts in (*_generic_parts(), *_profile_parts())}
    return sorted(unique.values(), key=_order)


def _with_field_names(document: dict[str, Any], wording: Wording) -> dict[str, Any]:
    """``document`` with its field names rewritten; hand-written names stay first."""
    generated = field_names()
    keys = {parts.key for parts in generated}
    sensors = document["entity"]["sensor"]
    names = {key: value for key, value in sensors.items() if key not in keys}
    names.update({parts.key: {"name": wording.name(parts)} for parts in generated})
    document["entity"]["sensor"] = names
    return document


def _files() -> Iterator[tuple[Path, Wording]]:
    yield COMPONENT / "strings.json", ENGLISH
    for language, wording in WORDINGS.items():
        yield COMPONENT / "translations" / f"{language}.json", wording


def _render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def stale_files() -> list[Path]:
    """The files whose field names differ from what the tables say."""
    stale = []
    for path, wording in _files():
        text = path.read_text(encoding="utf-8")
        if _render(_with_field_names(json.loads(text), wording)) != text:
            stale.append(path)
    return stale


def main(argv: list[str] | None = None) -> int:
    """Rewrite the field names, or with --check only say which files are out of date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    arguments = parser.parse_args(argv)
    if arguments.check:
        stale = stale_files()
        for path in stale:
            print(f"{path} is out of date: run python -m tools.entity_names")
        return 1 if stale else 0
    for path, wording in _files():
        document = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(_render(_with_field_names(document, wording)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
