from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys
from typing import Any

from .conftest import VECTORS_BY_ID

REPO = Path(__file__).resolve().parents[2]
KEY = VECTORS_BY_ID["op-real-long-64-61dd0320"]["key_hex"]


def _run(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = subprocess.run(
        [sys.executable, "-m", "custom_components.wmbus.protocol", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result.returncode, lines


def _hex(vector_id: str) -> str:
    return str(VECTORS_BY_ID[vector_id]["telegram_hex"])


def test_decode_success_lines() -> None:
    code, lines = _run(
        "decode",
        "--key",
        KEY,
        _hex("op-real-long-64-61dd0320"),
        _hex("op-real-compact-65-62dd0320"),
    )
    assert code == 0
    assert [line["frame"] for line in lines] == ["long", "compact"]
    first = lines[0]
    assert (first["id"], first["manufacturer"], first["version"], first["device_type"]) == (
        "32666857",
        "KAM",
        48,
        2,
    )
    assert first["access_number"] == 100
    assert first["values"] == {
        "total_energy_consumption_kwh": 2.15,
        "total_energy_production_kwh": 0.0,
        "current_power_consumption_w": 3,
        "current_power_production_w": 0,
    }


def test_decode_failures_and_exit_code() -> None:
    code, lines = _run(
        "decode",
        "--key",
        f"32666857:{KEY}",
        _hex("noise-real-64005012-3f"),
        "xyz",
        _hex("op-real-long-64-61dd0320")[:-2],
        _hex("op-real-long-64-61dd0320"),
        _hex("op-real-long-64-61dd0320"),
    )
    assert code == 1
    assert [line.get("error") for line in lines] == [
        "no_key",
        "invalid_hex",
        "truncated",
        None,
        "duplicate",
    ]
    assert lines[0]["id"] == "64005012"
    assert lines[0]["device_type"] == 0x16
    assert all("message" in line for line in lines if "error" in line)


def test_decode_plaintext_and_unknown_signature() -> None:
    code, lines = _run("decode", "--plaintext", _hex("wmbm-plain-long"), _hex("wmbm-plain-compact"))
    assert code == 0
    assert lines[1]["values"]["total_energy_consumption_kwh"] == 7.94
    code, lines = _run("decode", "--key", KEY, _hex("syn-op-compact-unknown-signature"))
    assert code == 1
    assert lines[0]["error"] == "unknown_format_signature"


def test_absent_values_are_absent() -> None:
    code, lines = _run("decode", "--plaintext", _hex("wmbm-plain-kam-v33-other-datagram"))
    assert code == 0
    assert "current_power_consumption_w" not in lines[0]["values"]


def test_frames_subcommand() -> None:
    rssi = VECTORS_BY_ID["syn-hci-rssi-op-63"]
    bad = VECTORS_BY_ID["neg-seed-hci-crc"]
    code, lines = _run("frames", rssi["hci_frame_hex"] + bad["hci_frame_hex"])
    assert code == 1
    good, failed = lines
    assert (good["endpoint"], good["msg_id"], good["crc_ok"]) == (2, 3, True)
    assert good["telegram_hex"] == rssi["telegram_hex"]
    assert abs(good["rssi_dbm"] - rssi["expected_hci"]["rssi_dbm_approx"]) <= 3
    assert failed["crc_ok"] is False
    assert "telegram_hex" not in failed
    code, lines = _run("frames", VECTORS_BY_ID["op-real-long-64-61dd0320"]["hci_frame_hex"])
    assert code == 0
    assert "rssi_dbm" not in lines[0]


def test_unencrypted_telegram_decodes_without_a_key() -> None:
    # vectors "format": no_key means "encrypted and no key". A meter sending in clear (SN ENC
    # bits 0, EN 13757-4) needs no key: derived from a real long frame's plaintext.
    vector = VECTORS_BY_ID["op-real-long-64-61dd0320"]
    telegram = bytearray.fromhex(vector["telegram_hex"])
    telegram[16] &= 0x1F  # SN bits 29-31 (ENC) = 0
    telegram[17:] = bytes.fromhex(vector["expected"]["decrypted_payload_hex"])
    code, lines = _run("decode", telegram.hex())
    assert code == 0, lines
    assert lines[0]["values"]["total_energy_consumption_kwh"] == 2.15
    assert lines[0]["id"] == "32666857"
    # The encrypted original still needs its key.
    code, lines = _run("decode", vector["telegram_hex"])
    assert code == 1
    assert lines[0]["error"] == "no_key"
    assert lines[0]["id"] == "32666857"


def test_decode_prints_every_record_beside_the_values() -> None:
    code, lines = _run("decode", "--key", KEY, _hex("op-real-long-64-61dd0320"))
    assert code == 0
    records = lines[0]["records"]
    assert [record["dif_vif"] for record in records] == ["0404", "04843c", "042b", "04ab3c"]
    first = records[0]
    assert first == {
        "quantity": "energy",
        "unit": "Wh",
        "value": 2150,
        "storage": 0,
        "tariff": 0,
        "subunit": 0,
        "function": "instantaneous",
        "dif_vif": "0404",
    }
    # A compact frame decoded from its compiled layout prints the same records.
    code, lines = _run(
        "decode",
        "--key",
        KEY,
        _hex("op-real-long-64-61dd0320"),
        _hex("op-real-compact-65-62dd0320"),
    )
    assert [record["dif_vif"] for record in lines[1]["records"]] == [
        "0404",
        "04843c",
        "042b",
        "04ab3c",
    ]
    assert lines[1]["records"][2]["value"] == lines[1]["values"]["current_power_consumption_w"]


# OMS Vol. 2 Annex N.2.1 (quoted in wmbusmeters issue #1207), link-layer CRCs removed: mode 5 gas.
MODE5_TELEGRAM = (
    "2e4493157856341233037a2a0020255923c95aaa26d1b2e7493b013ec4a6f6d3529b520edff0ea6defc99d6d69ebf3"
)
MODE5_KEY = "0102030405060708090a0b0c0d0e0f11"


def test_a_des_key_is_refused_for_its_meter_only() -> None:
    # A DES key (16 hex digits) used to end the run with invalid_hex before any telegram.
    code, lines = _run(
        "decode",
        "--key",
        "12345678:0102030405060708",
        "--key",
        KEY,
        MODE5_TELEGRAM,
        _hex("op-real-long-64-61dd0320"),
    )
    assert code == 1
    assert lines[0]["error"] == "no_key"
    assert "DES key" in lines[0]["message"]
    assert lines[0]["id"] == "12345678"
    assert "error" not in lines[1]
    code, lines = _run("decode", "--key", "0102", MODE5_TELEGRAM)
    assert (code, lines[0]["error"]) == (1, "invalid_hex")


def test_mode5_meter_decodes_with_its_key() -> None:
    code, lines = _run("decode", "--key", f"12345678:{MODE5_KEY}", MODE5_TELEGRAM)
    assert code == 0, lines
    (line,) = lines
    assert (line["manufacturer"], line["device_type"], line["access_number"]) == ("ELS", 3, 0x2A)
    volume = [record for record in line["records"] if record["quantity"] == "volume"]
    assert volume[0]["unit"] == "m3"
    assert volume[0]["value"] == 28504.27


def test_decode_names_the_meter_behind_a_radio_module_and_the_status_bits() -> None:
    from tests.conftest import (
        CONVERTED_METER_ID,
        CONVERTED_METER_KEY,
        RADIO_MODULE_ID,
        radio_converter_telegram,
    )

    telegram = radio_converter_telegram(status=0x0A | 0x20)  # error, permanent, maker bit 5
    # The key given for the module's id is taken for the meter behind it (wmbusmeters
    # matches either id), and for the meter's own id.
    for key_id in (CONVERTED_METER_ID, RADIO_MODULE_ID):
        code, lines = _run(
            "decode", "--key", f"{key_id}:{CONVERTED_METER_KEY.hex()}", telegram.hex()
        )
        assert code == 0
        (line,) = lines
        assert (line["id"], line["manufacturer"], line["device_type"]) == (
            CONVERTED_METER_ID,
            "QDS",
            0x07,
        )
        assert line["link_address"] == {
            "id": RADIO_MODULE_ID,
            "manufacturer": "QDS",
            "version": 0x01,
            "device_type": 0x37,
        }
        assert line["status"] == {
            "byte": 0x2A,
            "application": "any application error",
            "power_low": False,
            "permanent_error": True,
            "temporary_error": False,
            "manufacturer_bits": 1,
        }
    # Without a key: the error names the meter, with the module beside it.
    code, (line,) = _run("decode", telegram.hex())
    assert code == 1
    assert line["error"] == "no_key"
    assert line["id"] == CONVERTED_METER_ID
    assert line["link_address"]["id"] == RADIO_MODULE_ID
