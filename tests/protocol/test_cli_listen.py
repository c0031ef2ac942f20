"""`python -m custom_components.wmbus.protocol listen` against the emulator on a pty."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import signal
import sys
from typing import Any

import pytest

from tests.data import OMNIPOWER_PATH
from tools.emulators.im871a import Im871aEmulator

VECTORS: list[dict[str, Any]] = json.loads(OMNIPOWER_PATH.read_text())["vectors"]
REPO_ROOT = Path(__file__).resolve().parents[2]


def _keys() -> list[str]:
    keys = {
        v["expected"]["meter_id"]: v["key_hex"]
        for v in VECTORS
        if v.get("key_hex") and "meter_id" in v.get("expected", {})
    }
    return [f"{meter_id}:{key}" for meter_id, key in keys.items()]


async def _read_json_line(stream: asyncio.StreamReader) -> dict[str, Any]:
    async with asyncio.timeout(10):
        line = await stream.readline()
    assert line, "listen ended early"
    record: dict[str, Any] = json.loads(line)
    return record


def _ignore_sigint() -> None:
    """As in a process a non-interactive shell starts in the background."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
async def test_listen_decodes_the_vectors_heard_by_the_stick(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    async with Im871aEmulator(tmp_path / "im871a", rssi_dbm=-70.0) as emulator:
        arguments = ["listen", "--port", str(emulator.link), "--seconds", "60"]
        for key in _keys():
            arguments += ["--key", key]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "custom_components.wmbus.protocol",
            *arguments,
            cwd=REPO_ROOT,
            stdout=asyncio.subprocess.PIPE,
            preexec_fn=_ignore_sigint,
        )
        assert process.stdout is not None
        try:
            # The radio is detected, not named: its identity comes first.
            radio = (await _read_json_line(process.stdout))["radio"]
            assert radio["radio"] == "im871a"
            assert (radio["maker"], radio["model"], radio["firmware"]) == ("IMST", "iM871A", "0x15")
            assert radio["link_mode"] == "c1a"
            records = []
            for vector in VECTORS:
                assert emulator.send_telegram(bytes.fromhex(vector["telegram_hex"]))
                records.append(await _read_json_line(process.stdout))
            process.send_signal(stop_signal)  # ends it cleanly with the counts
            counts = await _read_json_line(process.stdout)
            async with asyncio.timeout(10):
                assert await process.wait() == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    keyed_meters = {key.split(":")[0] for key in _keys()}
    decoded = 0
    for vector, record in zip(VECTORS, records, strict=True):
        assert record["rssi_dbm"] == pytest.approx(-70.0)
        assert "received_at" in record
        expected = vector.get("expected", {})
        if "meter_id" in expected:
            assert record["id"] == expected["meter_id"]
        if "meter_id" in expected and expected["meter_id"] not in keyed_meters:
            assert record["error"] == "no_key"
            assert set(record) >= {"id", "manufacturer", "version", "device_type"}
            continue
        if (
            "total_energy_consumption_kwh" in expected
            and "expected_error" not in vector
            and "values" in record
        ):
            decoded += 1
            values = record["values"]
            # Every record of the telegram is printed beside the profile's values.
            assert [line["dif_vif"] for line in record["records"]] == [
                "0404",
                "04843c",
                "042b",
                "04ab3c",
            ], vector["id"]
            for name in (
                "total_energy_consumption_kwh",
                "total_energy_production_kwh",
                "current_power_consumption_w",
                "current_power_production_w",
            ):
                if name in expected:
                    assert values[name] == pytest.approx(expected[name], abs=1e-9), vector["id"]
    # Every real OmniPower capture with its key decodes (compact ones after a long one).
    assert decoded >= 25
    assert counts["counts"]["decoded"] >= decoded
    assert counts["counts"]["no_key"] >= 4
    assert counts["radio"]["frames_received"] == len(VECTORS)
