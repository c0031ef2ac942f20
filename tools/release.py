"""Release checks: a tag ``vX.Y.Z`` is the manifest's version and has a CHANGELOG section.

    python -m tools.release check v0.1.0     # exit 1 with the reason unless all agree
    python -m tools.release notes v0.1.0     # that version's CHANGELOG.md section (the notes)

The release workflow (``.github/workflows/release.yml``) runs both on a pushed tag before it
publishes ``wmbus.zip``; ``tests/test_release.py`` keeps the repository in a state where the
manifest's version could be tagged. Standard library only: the workflow runs it on a bare
runner's Python.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import json
from pathlib import Path
import re
import sys
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
MANIFEST: Final = REPO_ROOT / "custom_components" / "wmbus" / "manifest.json"
CHANGELOG: Final = REPO_ROOT / "CHANGELOG.md"
TAG_PATTERN: Final = re.compile(r"v(\d+\.\d+\.\d+)")
# Keep a Changelog's release heading: "## [0.1.0] - 2026-12-07" (or "## [Unreleased]").
SECTION_HEADING: Final = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?\s*$")


class ReleaseError(ValueError):
    """The tag, the manifest and the changelog do not agree; the message says how."""


def manifest_version(manifest: Path = MANIFEST) -> str:
    """The integration's version as Home Assistant and HACS read it."""
    version: str = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return version


def changelog_sections(text: str) -> dict[str, str]:
    """Version (or "Unreleased") -> the text of its section, without the heading."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if match := SECTION_HEADING.match(line):
            current = sections.setdefault(match["version"], [])
        elif line.startswith("[") and "]: " in line:
            current = None  # the link definitions at the end belong to no section
        elif current is not None:
            current.append(line)
    return {version: "\n".join(lines).strip() for version, lines in sections.items()}


def version_of_tag(tag: str) -> str:
    """``v1.2.3`` -> ``1.2.3``; anything else is no release tag."""
    match = TAG_PATTERN.fullmatch(tag)
    if match is None:
        raise ReleaseError(f"{tag!r} is not a release tag: they are vX.Y.Z, e.g. v0.1.0")
    return match[1]


def release_notes(tag: str, manifest: Path = MANIFEST, changelog: Path = CHANGELOG) -> str:
    """The notes for ``tag``; raises ReleaseError unless tag, manifest and changelog agree."""
    version = version_of_tag(tag)
    in_manifest = manifest_version(manifest)
    if version != in_manifest:
        raise ReleaseError(f"tag {tag} but manifest.json says version {in_manifest}")
    notes = changelog_sections(changelog.read_text(encoding="utf-8")).get(version)
    if not notes:
        raise ReleaseError(f"{changelog.name} has no section '## [{version}] - YYYY-MM-DD'")
    return notes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.release",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=("check", "notes"))
    parser.add_argument("tag", help="the release tag, vX.Y.Z")
    args = parser.parse_args(argv)
    try:
        notes = release_notes(args.tag)
    except ReleaseError as err:
        print(f"release: {err}", file=sys.stderr)
        return 1
    print(notes if args.action == "notes" else f"{args.tag}: manifest and changelog agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
