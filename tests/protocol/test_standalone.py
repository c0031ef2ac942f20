"""The protocol package and its command line work on a machine without Home Assistant."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).resolve().parents[2]

# Make every homeassistant import fail, as on a machine where it is not installed.
BLOCK_HA = "import sys; sys.modules['homeassistant'] = None; "


def test_protocol_imports_without_home_assistant() -> None:
    code = BLOCK_HA + (
        "import custom_components.wmbus.protocol.decoder, importlib;"
        "from custom_components.wmbus.protocol.radios.registry import RADIO_PACKAGES;"
        "[importlib.import_module(f'custom_components.wmbus.protocol.radios.{name}.radio')"
        " for name in RADIO_PACKAGES];"
        "import custom_components.wmbus.protocol.__main__"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_cli_runs_without_home_assistant() -> None:
    code = BLOCK_HA + (
        "import runpy; sys.argv = ['wmbus', 'decode', 'zz'];"
        "runpy.run_module('custom_components.wmbus.protocol', run_name='__main__')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stderr
    assert '"error": "invalid_hex"' in result.stdout
