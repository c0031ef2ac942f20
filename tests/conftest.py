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
