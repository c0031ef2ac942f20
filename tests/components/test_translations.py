"""Translation and icon files stay in step with strings.json."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

from tools import entity_names

COMPONENT = Path(__file__).resolve().parents[2] / "custom_components" / "wmbus"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _load(relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((COMPONENT / relative).read_text(encoding="utf-8"))
    return loaded


def _leaves(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every leaf of a nested dict, keyed by its path."""
    leaves: dict[tuple[str, ...], Any] = {}
    for key, value in tree.items():
        path = (*prefix, key)
        if isinstance(value, dict):
            leaves.update(_leaves(value, path))
        else:
            leaves[path] = value
    return leaves


STRINGS = _load("strings.json")
ENGLISH = _load("translations/en.json")
ICONS = _load("icons.json")
# Every translation but English (a copy of strings.json): Danish, German, and any added later.
LANGUAGES = sorted(
    path.stem for path in (COMPONENT / "translations").glob("*.json") if path.stem != "en"
)


def test_english_translation_is_a_copy_of_strings_json() -> None:
    """Custom integrations are read from translations/ only, so en.json must not drift."""
    assert ENGLISH == STRINGS


def test_the_translations_include_danish_and_german() -> None:
    assert {"da", "de"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_has_exactly_the_keys_of_strings_json(language: str) -> None:
    english_paths = set(_leaves(STRINGS))
    paths = set(_leaves(_load(f"translations/{language}.json")))
    missing = sorted(english_paths - paths)
    unknown = sorted(paths - english_paths)
    assert not missing, f"missing in {language}.json: {missing}"
    assert not unknown, f"unknown in {language}.json: {unknown}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_keeps_every_placeholder(language: str) -> None:
    english = _leaves(STRINGS)
    for path, text in _leaves(_load(f"translations/{language}.json")).items():
        assert isinstance(text, str), path
        expected = set(PLACEHOLDER.findall(english[path]))
        assert set(PLACEHOLDER.findall(text)) == expected, ".".join(path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translation_has_no_empty_strings(language: str) -> None:
    for path, text in _leaves(_load(f"translations/{language}.json")).items():
        assert text.strip(), ".".join(path)


def test_field_names_are_written_from_the_tables_in_every_language() -> None:
    """strings.json and every translation carry the names tools/entity_names.py makes."""
    assert set(entity_names.WORDINGS) == {"en", *LANGUAGES}
    assert entity_names.stale_files() == []


def test_icons_belong_to_translated_entities() -> None:
    entities = STRINGS["entity"]
    for platform, keys in ICONS["entity"].items():
        for key in keys:
            assert key in entities.get(platform, {}), f"{platform}.{key} is not in strings.json"


def test_state_icons_differ_from_the_default_icon() -> None:
    """hassfest rejects a state icon equal to the default; only the differing state is listed."""
    for platform, keys in ICONS["entity"].items():
        for key, section in keys.items():
            assert section["default"].startswith("mdi:"), f"{platform}.{key}"
            for state, icon in section.get("state", {}).items():
                assert icon.startswith("mdi:"), f"{platform}.{key}.{state}"
                assert icon != section["default"], f"{platform}.{key}.{state}"
