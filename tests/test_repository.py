"""The repository stands on its own: what a clone from GitHub has is all anything reads or cites.

Docstrings and comments cite public sources (EN 13757-3/-4/-7, OMS Volume 2, wmbusmeters'
source and driver files, IMST's HCI user guide, ReMoni's ReCalc MQTT API, Home Assistant's
developer docs) or files in the repository, never the project's private notes; and no code,
test, script or workflow reads the folder of shared notes beside a working copy (its name is
:data:`OUTSIDE`), which a clone does not have.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
import re

from tests.data import CORPUS_PATH, DATA_DIR, OMNIPOWER_PATH

REPO = Path(__file__).resolve().parents[1]
THIS_FILE = Path(__file__).resolve()

# Folders that are not the project's own text: version control, virtual environments, caches,
# Home Assistant's runtime state under config/ and the browser test's screenshots.
SKIPPED_DIRS = frozenset({".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})
SKIPPED_PREFIXES = (".venv", ".hypothesis")
SKIPPED_PATHS = (REPO / "config" / ".storage", REPO / "tests" / "browser" / "output")

PRIVATE_DOCUMENTS = re.compile(
    r"\b(?:PROTOCOL(?:-GENERIC)?|DESIGN|RECALC|RADIOS|HA-NOTES|KEM|STYLE)\.md\b"
    r"|\b(?:PROTOCOL(?:-GENERIC)?|DESIGN|RECALC|RADIOS) (?:§|section|budgets?\b)"
)
OUTSIDE = "sha" + "red"
"""The folder beside the checkout; spelt in two pieces so this guard does not match itself."""
SHARED_FOLDER = re.compile(
    rf"\.\./{OUTSIDE}\b|[\"']{OUTSIDE}[\"']\s*/|parents\[\d\]\s*/\s*[\"']{OUTSIDE}"
)


def _text_files() -> Iterator[Path]:
    stack = [REPO]
    while stack:
        folder = stack.pop()
        for path in folder.iterdir():
            if path.is_dir():
                if (
                    path.name in SKIPPED_DIRS
                    or path.name.startswith(SKIPPED_PREFIXES)
                    or path in SKIPPED_PATHS
                ):
                    continue
                stack.append(path)
            elif path.is_file() and path != THIS_FILE:
                try:
                    path.read_text(encoding="utf-8")
                except UnicodeDecodeError:  # images, zips: no citations in there
                    continue
                yield path


def _hits(pattern: re.Pattern[str]) -> list[str]:
    hits = []
    for path in _text_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    return hits


def test_the_scan_sees_the_code_tests_scripts_and_workflows() -> None:
    scanned = {path.relative_to(REPO).as_posix() for path in _text_files()}
    for expected in (
        "custom_components/wmbus/protocol/decoder.py",
        "tests/conftest.py",
        "tools/soak.py",
        "scripts/test",
        ".github/workflows/tests.yml",
        "README.md",
    ):
        assert expected in scanned
    assert "tests/test_repository.py" not in scanned


def test_the_patterns_catch_what_they_are_for() -> None:
    assert PRIVATE_DOCUMENTS.search("(PROTOCOL-GENERIC.md 8.3)")
    assert PRIVATE_DOCUMENTS.search("see RECALC.md section 2")
    assert PRIVATE_DOCUMENTS.search("(DESIGN budgets)")
    assert not PRIVATE_DOCUMENTS.search("EN 13757-4 section 12, README.md, CHANGELOG.md")
    assert SHARED_FOLDER.search(f'Path(__file__).parents[3] / "{OUTSIDE}" / "vectors"')
    assert SHARED_FOLDER.search(f"--replay ../{OUTSIDE}/vectors/omnipower.json")
    assert not SHARED_FOLDER.search("a stick shared with ser2net; shared_by_meters")


def test_nothing_cites_documents_outside_the_repository() -> None:
    assert _hits(PRIVATE_DOCUMENTS) == []


def test_nothing_reads_the_shared_folder_beside_the_checkout() -> None:
    assert _hits(SHARED_FOLDER) == []


def test_the_test_data_is_inside_the_repository() -> None:
    for path in (OMNIPOWER_PATH, CORPUS_PATH):
        assert path.is_file()
        assert path.is_relative_to(REPO)
    assert (DATA_DIR / "README.md").is_file()
