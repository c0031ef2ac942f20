"""Fixtures and helpers shared by every test folder."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import cache
import json
import logging
import os
from typing import Any

import pytest

from tests.data import CORPUS_PATH, OMNIPOWER_PATH


@cache
def vectors_document() -> dict[str, Any]:
    """The OmniPower vectors file (tests/data); a missing file fails loudly."""
    if not OMNIPOWER_PATH.is_file():
        raise FileNotFoundError(f"test vectors not found at {OMNIPOWER_PATH}")
    return json.loads(OMNIPOWER_PATH.read_text())  # type: ignore[no-any-return]


@cache
def corpus_vectors() -> list[dict[str, Any]]:
    """wmbusmeters' driver test telegrams (water, heat, gas, heat cost allocators, ...)."""
    if not CORPUS_PATH.is_file():
        raise FileNotFoundError(f"corpus not found at {CORPUS_PATH}")
    return list(json.loads(CORPUS_PATH.read_text())["vectors"])


def vectors() -> list[dict[str, Any]]:
    """All vectors, in file order."""
    return list(vectors_document()["vectors"])


def vector(vector_id: str) -> dict[str, Any]:
    """One vector by id."""
    return next(v for v in vectors() if v["id"] == vector_id)


def omnipower_captures() -> list[dict[str, Any]]:
    """Real, decodable captures of meter 32666857 in file order (the replay of a home)."""
    return [v for v in vectors() if v["id"].startswith("op-real-") and "expected_error" not in v]


# How Home Assistant's frame helper (report_usage) words a deprecated call by this integration.
USAGE_REPORT_MARKERS = (
    "Detected that custom integration 'wmbus'",
    "Detected that integration 'wmbus'",
)


def usage_reports(records: list[logging.LogRecord]) -> list[str]:
    """Home Assistant's reports of this integration calling something deprecated."""
    return [
        message
        for record in records
        if any(marker in (message := record.getMessage()) for marker in USAGE_REPORT_MARKERS)
    ]


@pytest.fixture(autouse=True)
def fail_on_usage_reports(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Any deprecated call that Home Assistant reports fails the test that made it.

    Home Assistant only logs these for a custom integration (and breaks it releases later),
    so without this check they pass unnoticed on every pin.
    """
    yield
    records = [r for when in ("setup", "call", "teardown") for r in caplog.get_records(when)]
    reports = usage_reports(records)
    if reports:
        pytest.fail("Home Assistant reported a deprecated call:\n" + "\n".join(reports))


def pytest_configure(config: object) -> None:
    """With WMBUS_DETECT_BLOCKING=1, run under Home Assistant's blocking-call detection.

    The detection patches open(), sleep(), os.listdir() and friends to raise when called in the
    event loop, as Home Assistant itself does at runtime; the harness leaves it off by default.
    """
    if os.environ.get("WMBUS_DETECT_BLOCKING") == "1":
        from homeassistant import block_async_io
        from homeassistant.util import loop as loop_util

        report = loop_util.raise_for_blocking_call

        def report_inside_a_running_loop(*args: Any, **kwargs: Any) -> None:
            # Home Assistant's loop thread always runs its loop; the test process's main thread
            # also runs synchronous tests (subprocess.run sleeps while it waits), which are not
            # the event loop and must not be reported.
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return
            report(*args, **kwargs)

        loop_util.raise_for_blocking_call = report_inside_a_running_loop
        block_async_io.enable()


RADIO_MODULE_ID = "11223344"
"""The radio converter's own id (its link layer), not the meter's."""
CONVERTED_METER_ID = "87654321"
"""The water meter behind the radio converter, as printed on its label."""
CONVERTED_METER_KEY = bytes.fromhex("000102030405060708090a0b0c0d0e0f")


def radio_converter_telegram(
    records: bytes = bytes.fromhex("0c1378563412"),
    *,
    key: bytes | None = CONVERTED_METER_KEY,
    access_number: int = 0x2A,
    status: int = 0x00,
    already_decrypted: bool = False,
) -> bytes:
    """A Qundis water meter heard through a radio converter, built with the project's crypto.

    Link layer: the radio part (QDS ``RADIO_MODULE_ID``, device type 0x37 "radio converter,
    meter side"). Long transport header (CI 72, EN 13757-7): the water meter itself (QDS
    ``CONVERTED_METER_ID``, version 0x16, device type 0x07). Security mode 5 with ``key``
    (None: sent in clear): the IV is the long header's M, A and the access number eight
    times, as OMS Volume 2 has it for CI 72. ``already_decrypted``: the security bits say
    mode 5 but the payload is the plaintext (as a receiver holding the key hands it on).
    """
    from custom_components.wmbus.protocol.crypto import aes_cbc_encrypt
    from custom_components.wmbus.protocol.frame import MeterAddress

    module = MeterAddress("QDS", RADIO_MODULE_ID, 0x01, 0x37).wire
    meter = MeterAddress("QDS", CONVERTED_METER_ID, 0x16, 0x07).wire
    plaintext = b"\x2f\x2f" + records
    configuration = 0
    payload = plaintext
    if key is not None:
        plaintext += b"\x2f" * (-len(plaintext) % 16)
        configuration = 0x0500 | (len(plaintext) // 16) << 4
        iv = meter + bytes((access_number,)) * 8
        payload = plaintext if already_decrypted else aes_cbc_encrypt(key, iv, plaintext)
    long_header = (
        meter[2:6] + meter[0:2] + meter[6:8] + bytes((access_number, status))
    ) + configuration.to_bytes(2, "little")
    body = b"\x44" + module + b"\x72" + long_header + payload
    return bytes((len(body),)) + body
