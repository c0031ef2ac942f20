"""The emulator's meters send what real meters send, and the emulator replays telegram files.

The simulated meters build their telegrams with their own CRC and AES code, so decoding them
with the integration's command line checks both sides against each other; reproducing the real
captures byte for byte checks the simulation against the meter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
import json
from pathlib import Path
import subprocess
import sys
from typing import Any

import pytest

from custom_components.wmbus.protocol.radios import RadioFrame
from custom_components.wmbus.protocol.radios.im871a.radio import Im871aRadio
from tests.data import CORPUS_PATH, OMNIPOWER_PATH
from tests.helpers import wait_until
from tools import simulated_meters
from tools.emulators.im871a import Im871aEmulator
from tools.emulators.telegrams import TelegramFileError, load_telegrams
from tools.simulated_meters import (
    HEAT_ID,
    HEAT_KEY,
    OMNIPOWER_ID,
    OMNIPOWER_KEY,
    WATER_ID,
    WATER_KEY,
    HeatMeter,
    HouseholdLoad,
    OmniPower,
    WaterMeter,
)

from ..conftest import vector

REPO = Path(__file__).resolve().parents[2]


def _number(reading: Mapping[str, float | int | str], key: str) -> float:
    """A numeric value of a simulated meter's reading (readings may also hold text)."""
    value = reading[key]
    assert isinstance(value, int | float), f"{key} is {value!r}, not a number"
    return value


def _decode(*telegrams: bytes) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "custom_components.wmbus.protocol",
            "decode",
            "--key",
            f"{OMNIPOWER_ID}:{OMNIPOWER_KEY.hex()}",
            "--key",
            f"{WATER_ID}:{WATER_KEY.hex()}",
            "--key",
            f"{HEAT_ID}:{HEAT_KEY.hex()}",
            *(telegram.hex() for telegram in telegrams),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize(
    ("vector_id", "access_number", "sn_minutes", "sn_session"),
    [
        ("op-real-long-64-61dd0320", 0x64, 15830, 1),
        ("op-real-compact-8a-41da0320", 0x8A, 15780, 1),
        ("op-real-compact-8b-42da0320", 0x8B, 15780, 2),
    ],
)
def test_omnipower_at_a_captures_counters_sends_that_capture(
    vector_id: str, access_number: int, sn_minutes: int, sn_session: int
) -> None:
    meter = OmniPower(
        load=HouseholdLoad(fixed_w=3),
        energy_imported_wh=2150,
        access_number=access_number,
        sn_minutes=sn_minutes,
        sn_session=sn_session,
    )
    assert meter.telegram(0.0).hex() == vector(vector_id)["telegram_hex"]
    assert meter.reading["energy_imported_kwh"] == 2.15
    assert meter.reading["power_imported_w"] == 3


def test_omnipower_telegrams_decode_to_its_readings_with_rising_totals() -> None:
    meter = OmniPower(load=HouseholdLoad(seed=7))
    telegrams, readings = [], []
    for _ in range(24):  # six minutes of a real meter
        telegrams.append(meter.telegram(15.0))
        readings.append(meter.reading)
    decoded = _decode(*telegrams)
    assert [line["frame"] for line in decoded] == (["long"] + ["compact"] * 7) * 3
    for line, reading in zip(decoded, readings, strict=True):
        assert line["values"]["total_energy_consumption_kwh"] == reading["energy_imported_kwh"]
        assert line["values"]["current_power_consumption_w"] == reading["power_imported_w"]
    totals = [_number(reading, "energy_imported_kwh") for reading in readings]
    assert totals == sorted(totals)
    assert totals[-1] > totals[0]
    # The SN counts 4 telegrams a minute; ACC one a telegram.
    assert [line["access_number"] for line in decoded] == list(range(4, 28))


def test_omnipower_totals_continue_from_one_run_to_the_next() -> None:
    earlier = OmniPower()
    earlier.telegram(15.0)
    later = OmniPower()
    later.telegram(15.0)
    later_kwh = _number(later.reading, "energy_imported_kwh")
    assert later_kwh >= _number(earlier.reading, "energy_imported_kwh") > 1000


@pytest.mark.parametrize(
    ("meter_type", "total"),
    [(OmniPower, "energy_imported_kwh"), (WaterMeter, "volume_m3"), (HeatMeter, "energy_kwh")],
)
def test_a_restarted_emulator_never_sends_a_lower_total(
    monkeypatch: pytest.MonkeyPatch,
    meter_type: Callable[[], OmniPower | WaterMeter | HeatMeter],
    total: str,
) -> None:
    """A run of an hour, then a restart a minute later: the new run starts at or above.

    The water and heat meters started from fixed totals, and every meter could meter more in
    a run than its clock average: after a restart of scripts/develop Home Assistant restored
    the higher total and reported "a total went down" until the meter caught up.
    """
    now_s = [1_765_000_000.0]
    monkeypatch.setattr(simulated_meters, "wall_clock_s", lambda: now_s[0])
    earlier = meter_type()
    for _ in range(240):
        earlier.telegram(15.0)
    now_s[0] += 240 * 15.0 + 60.0
    later = meter_type()
    later.telegram(15.0)
    assert _number(later.reading, total) >= _number(earlier.reading, total) > 0


def test_wrong_key_only_on_request() -> None:
    meter = OmniPower(wrong_key_every=3)
    decoded = _decode(*(meter.telegram(15.0) for _ in range(6)))
    errors = [line.get("error") for line in decoded]
    assert errors == [None, None, "payload_crc_mismatch", None, None, "payload_crc_mismatch"]
    plain = OmniPower()
    assert all("error" not in line for line in _decode(*(plain.telegram(15.0) for _ in range(6))))


def test_water_meter_mode_5_decodes_with_its_key() -> None:
    meter = WaterMeter()
    decoded = _decode(meter.telegram(16.0), meter.telegram(16.0))
    assert [line["id"] for line in decoded] == [WATER_ID, WATER_ID]
    assert decoded[-1]["values"]["total_volume_m3"] == meter.reading["volume_m3"]


def test_heat_meter_mode_5_decodes_with_its_key() -> None:
    meter = HeatMeter()
    telegrams, readings = [], []
    for _ in range(5):
        telegrams.append(meter.telegram(3600.0))  # an hour apart: the energy moves
        readings.append(meter.reading)
    decoded = _decode(*telegrams)
    assert [line["id"] for line in decoded] == [HEAT_ID] * 5
    for line, reading in zip(decoded, readings, strict=True):
        numbers = set(line["values"].values())
        assert {reading["energy_kwh"], reading["volume_m3"], reading["power_w"]} <= numbers
    energies = [_number(reading, "energy_kwh") for reading in readings]
    assert energies == sorted(energies)
    assert energies[-1] > energies[0]


def test_load_telegrams_of_the_vectors_and_the_corpus() -> None:
    vectors = json.loads(OMNIPOWER_PATH.read_text())["vectors"]
    assert load_telegrams(OMNIPOWER_PATH) == [
        bytes.fromhex(v["telegram_hex"]) for v in vectors if "telegram_hex" in v
    ]
    corpus = json.loads(CORPUS_PATH.read_text())["vectors"]
    expected = []
    for v in corpus:
        expected += [bytes.fromhex(h) for h in v.get("prior_telegrams_hex") or []]
        expected.append(bytes.fromhex(v["telegram_hex"]))
    assert load_telegrams(CORPUS_PATH) == expected
    assert any(v.get("prior_telegrams_hex") for v in corpus)


def test_load_telegrams_of_a_hex_text_file(tmp_path: Path) -> None:
    path = tmp_path / "telegrams.txt"
    path.write_text("# captured at home\n27 44 2d 2c  # spaces and comments\n\n0102\n")
    assert load_telegrams(path) == [bytes.fromhex("27442d2c"), bytes.fromhex("0102")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("zz11\n", "not hex"),
        ("# nothing\n", "no telegrams"),
        ('{"vectors": 3}', "needs a 'vectors' list"),
        ('{"vectors": [{"id": "a"}]}', "no vector has a telegram_hex"),
        ('{"vectors": [{"id": "a", "telegram_hex": 5}]}', "must be a hex string"),
        ('{"vectors": [{"telegram_hex": "00", "prior_telegrams_hex": "00"}]}', "must be a list"),
        ("{broken", "not JSON"),
        ("01\n", "2 to 256 bytes"),
    ],
)
def test_load_telegrams_rejects_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad"
    path.write_text(content)
    with pytest.raises(TelegramFileError, match=message):
        load_telegrams(path)


def test_replay_command_line_names_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("not a telegram\n")
    link = tmp_path / "link"
    result = subprocess.run(
        [sys.executable, "-m", "tools.emulator", "--link", str(link), "--replay", str(bad)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"{bad}:1: not hex" in result.stderr
    assert not link.exists()


async def test_emulated_stick_delivers_the_simulated_meter(tmp_path: Path) -> None:
    meter = OmniPower(interval_s=0.05)
    frames: list[RadioFrame] = []
    async with Im871aEmulator(tmp_path / "im871a", meters=[meter]) as emulator:
        stick = Im871aRadio(str(emulator.link), on_frame=frames.append)
        await stick.open()
        try:
            await wait_until(lambda: len(frames) >= 3)
        finally:
            await stick.close()
    assert len(frames) >= 3
    # The command line runs outside the event loop: waiting for it would block the loop.
    decoded = await asyncio.to_thread(_decode, *(frame.telegram for frame in frames))
    assert all(line["id"] == OMNIPOWER_ID and "error" not in line for line in decoded)
