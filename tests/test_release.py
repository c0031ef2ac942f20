"""Releases: tag, manifest version, CHANGELOG.md, hacs.json and the release workflow agree.

A tag ``vX.Y.Z`` publishes ``wmbus.zip`` (``.github/workflows/release.yml``); these checks keep
the repository in a state where the manifest's version can be tagged as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tools.release import (
    CHANGELOG,
    ReleaseError,
    changelog_sections,
    manifest_version,
    release_notes,
    version_of_tag,
)

REPO = Path(__file__).resolve().parents[1]
HACS = json.loads((REPO / "hacs.json").read_text(encoding="utf-8"))
WORKFLOW = REPO / ".github" / "workflows" / "release.yml"
# The keys HACS reads from hacs.json (https://hacs.xyz/docs/publish/start/#hacsjson).
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}


def test_the_manifest_version_has_a_dated_changelog_section() -> None:
    version = manifest_version()
    text = CHANGELOG.read_text(encoding="utf-8")

    assert release_notes(f"v{version}")
    assert any(line.startswith(f"## [{version}] - 20") for line in text.splitlines())
    assert f"[{version}]: https://github.com/wmbus-developers/wmbus/" in text


def test_the_changelog_has_an_unreleased_section_first() -> None:
    sections = list(changelog_sections(CHANGELOG.read_text(encoding="utf-8")))
    assert sections[0] == "Unreleased"
    assert manifest_version() in sections


def test_a_tag_other_than_the_manifest_version_is_refused() -> None:
    major, minor, patch = (int(part) for part in manifest_version().split("."))
    with pytest.raises(ReleaseError, match=r"manifest\.json says"):
        release_notes(f"v{major}.{minor}.{patch + 1}")


@pytest.mark.parametrize("tag", ["0.1.0", "v0.1", "v0.1.0-rc1", "release-0.1.0"])
def test_release_tags_are_v_and_three_numbers(tag: str) -> None:
    with pytest.raises(ReleaseError, match="not a release tag"):
        version_of_tag(tag)


def test_a_version_without_changelog_section_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"version": "9.9.9"}))
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## [Unreleased]\n\n- something\n")

    with pytest.raises(ReleaseError, match=r"no section '## \[9.9.9\]"):
        release_notes("v9.9.9", manifest, changelog)


def test_hacs_installs_the_release_zip_the_workflow_publishes() -> None:
    assert set(HACS) <= HACS_KEYS
    assert HACS["zip_release"] is True
    assert HACS["filename"] == "wmbus.zip"
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # PyYAML reads the key "on" as True (YAML 1.1).
    assert workflow[True] == {"push": {"tags": ["v*"]}}
    steps = workflow["jobs"]["release"]["steps"]
    commands = "\n".join(step.get("run", "") for step in steps)
    assert 'python -m tools.release check "$GITHUB_REF_NAME"' in commands
    assert f'zip -r -X "$GITHUB_WORKSPACE/{HACS["filename"]}" .' in commands
    assert f'gh release create "$GITHUB_REF_NAME" {HACS["filename"]}' in commands
