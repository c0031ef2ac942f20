"""`listen --iq`, `--rtl-tcp` and `--format rtlwmbus`: an SDR on the command line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import re
import sys
from typing import Any

import pytest

from custom_components.wmbus.protocol.__main__ import main
from tests.conftest import omnipower_captures
from tools.emulators import EMULATORS
from tools.rtl_tcp_emulator import RtlTcpEmulator, SynthesisedAir
from tools.simulated_meters import OmniPower

REPO_ROOT = Path(__file__).resolve().parents[3]
IQ = REPO_ROOT / "tests" / "data" / "iq"
ISSUE48 = IQ / "rtlsdr_868.625M_2M4_issue48.cu8"
SAMPLES2 = IQ / "rtlsdr_868.950M_1M6_samples2.cu8"
TECHEM_71200023 = (
    "294468502300207172f0a0009f21000000a07d2202000100000000000000000000000400030203020000"
)
RTLWMBUS_LINE = re.compile(
    r"^(T1|C1);1;1;\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6};-?\d+;-?\d+;[0-9A-F]{8};0x[0-9a-f]+$"
)


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, list[str], list[str]]:
    status = main(["listen", *arguments])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err.splitlines()


def test_iq_issue48_at_2_4_ms_tuned_868_625(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "--iq", str(ISSUE48), "--sample-rate", "2.4e6", "--center", "868.625e6"
    )
    assert status == 0
    frame, counts = (json.loads(line) for line in out)
    assert (frame["id"], frame["manufacturer"], frame["error"]) == ("60168569", "TCH", "no_key")
    assert frame["sdr"]["mode"] == "T1"
    assert -50e3 < frame["sdr"]["offset_hz"] < -40e3
    assert counts == {"counts": {"no_key": 1}, "radio": {"dropped_crc": 0}}


def test_iq_samples2_two_meters(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--iq", str(SAMPLES2), "--sample-rate", "1.6e6")
    assert status == 0
    *frames, _counts = (json.loads(line) for line in out)
    # The second telegram's link layer names a Diehl (HYD) radio part, 64700082 (what
    # rtl_wmbus prints); its long transport header names the meter behind it, which the
    # decoder reports as itself, with the radio part beside it.
    assert [(f["id"], f["manufacturer"]) for f in frames] == [
        ("71200023", "TCH"),
        ("84002112", "ITR"),
    ]
    assert frames[1]["link_address"]["id"] == "64700082"


def test_iq_in_rtl_wmbus_format(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "--iq", str(SAMPLES2), "--format", "rtlwmbus")
    assert status == 0
    assert len(out) == 2
    assert all(RTLWMBUS_LINE.match(line) for line in out), out
    assert out[0].startswith("T1;1;1;")
    assert out[0].endswith(";71200023;0x" + TECHEM_71200023)
    assert out[1].split(";")[6] == "64700082"
    assert json.loads(err[-1])["radio"] == {"dropped_crc": 0}  # the JSON went to stderr


def test_iq_a_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--iq", str(IQ / "nothing.cu8"))
    assert status == 1
    assert json.loads(out[0])["error"] == "iq"


def test_iq_a_tuning_that_misses_the_channel_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--iq", str(SAMPLES2), "--center", "868.3e6")
    assert status == 1
    assert "outside" in json.loads(out[0])["message"]


async def _listen(*arguments: str) -> tuple[list[str], list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "custom_components.wmbus.protocol",
        "listen",
        *arguments,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr
    # stderr: the JSON lines about the radio; a warning a tool prints there (coverage's, when
    # it measures the subprocess) is not one of them.
    json_lines = [line for line in stderr.decode().splitlines() if line.startswith("{")]
    return stdout.decode().splitlines(), json_lines


@pytest.mark.usefixtures("socket_enabled")
async def test_rtl_tcp_decodes_the_omnipower() -> None:
    key = omnipower_captures()[0]["key_hex"]
    air = SynthesisedAir(meters=[OmniPower(interval_s=0.5)], first_after_s=0.1)
    async with RtlTcpEmulator(air) as emulator:
        host_port = emulator.address.removeprefix("rtl_tcp://")
        out, _ = await _listen("--rtl-tcp", host_port, "--seconds", "3", "--key", key)
    first, *heard, counts = (json.loads(line) for line in out)
    assert first["radio"]["radio"] == "rtl_tcp"
    assert first["radio"]["link_mode"] == "c1t1"
    assert len(heard) >= 2
    assert {line["id"] for line in heard} == {"32666857"}
    assert all("values" in line for line in heard)
    assert all(line["rssi_dbm"] < 0 for line in heard)  # dBFS
    assert counts["radio"]["frames_received"] == len(heard)


async def test_a_stick_in_rtl_wmbus_format(tmp_path: Path) -> None:
    telegrams = [bytes.fromhex(vector["telegram_hex"]) for vector in omnipower_captures()[:3]]
    async with EMULATORS["im871a"](
        tmp_path / "im871a", telegrams=telegrams, interval_s=0.2, rssi_dbm=-71.0
    ) as emulator:
        out, err = await _listen(
            "--port", str(emulator.link), "--seconds", "2", "--format", "rtlwmbus"
        )
    assert len(out) >= 3
    assert all(RTLWMBUS_LINE.match(line) for line in out), out
    fields: list[Any] = out[0].split(";")
    assert (fields[0], fields[4], fields[6]) == ("C1", "-71", "32666857")
    assert {line.split(";")[7] for line in out} <= {"0x" + t.hex() for t in telegrams}
    assert json.loads(err[0])["radio"]["radio"] == "im871a"
