"""`listen --port` detects each radio by itself, says which it is, then prints what it hears."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import sys
from typing import Any

import pytest

from custom_components.wmbus.protocol.radios import radio_kind
from tests.conftest import omnipower_captures
from tools.emulators import EMULATORS

REPO_ROOT = Path(__file__).resolve().parents[3]
CAPTURES = omnipower_captures()
KEY = f"32666857:{CAPTURES[0]['key_hex']}"
RSSI_DBM = -71.0  # exact in every radio's RSSI coding


async def _listen(*arguments: str, status: int = 0) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "custom_components.wmbus.protocol",
        "listen",
        *arguments,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == status, stdout
    return [json.loads(line) for line in stdout.splitlines()]


@pytest.mark.parametrize("radio", sorted(set(EMULATORS) - {"im871a"}))
async def test_listen_detects_the_radio_and_hears_every_telegram(
    tmp_path: Path, radio: str
) -> None:
    telegrams = [bytes.fromhex(vector["telegram_hex"]) for vector in CAPTURES[:6]]
    async with EMULATORS[radio](
        tmp_path / radio, telegrams=telegrams, interval_s=0.2, rssi_dbm=RSSI_DBM
    ) as emulator:
        lines = await _listen("--port", str(emulator.link), "--seconds", "5", "--key", KEY)
    first, *heard, counts = lines
    kind = radio_kind(radio)
    assert first["radio"]["radio"] == radio
    assert first["radio"]["maker"]
    assert first["radio"]["model"]
    assert first["radio"]["firmware"]
    assert first["radio"]["link_mode"] == str(kind.default_link_mode)
    assert len(heard) >= 6
    assert {line["id"] for line in heard} == {"32666857"}
    assert {line["rssi_dbm"] for line in heard} == {RSSI_DBM}
    assert all("values" in line for line in heard[:6]), heard[:6]
    assert counts["radio"]["frames_received"] == len(heard)


async def test_listen_with_a_forced_radio_that_is_not_there_says_so(tmp_path: Path) -> None:
    async with EMULATORS["im871a"](tmp_path / "im871a") as emulator:
        lines = await _listen("--port", str(emulator.link), "--radio", "cul", status=1)
    assert lines[0]["error"] == "radio"
