"""ReCalc's protocol side works on a machine without Home Assistant.

The package ``recalc/`` holds both sides; what it exports (commands, channel plans, messages,
outbox) must import with every ``homeassistant`` import failing, as the tasmota/hatasmota split
keeps its library testable without Home Assistant.
"""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[1]

# Make every homeassistant import fail, as on a machine where it is not installed.
BLOCK_HA = "import sys; sys.modules['homeassistant'] = None; "


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_HA + code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_recalc_protocol_imports_without_home_assistant() -> None:
    result = _run(
        "from custom_components.wmbus.recalc import load_shipped_plans, parse_command, Outbox;"
        "assert 'omnipower' in load_shipped_plans();"
        "assert parse_command(b'[]').valid"
    )
    assert result.returncode == 0, result.stderr


def test_the_bridge_needs_home_assistant() -> None:
    # The check above can fail: the Home Assistant side does not import without it.
    result = _run("import custom_components.wmbus.recalc.bridge")
    assert result.returncode != 0
    assert "homeassistant" in result.stderr
