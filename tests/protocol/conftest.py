"""Fixtures for protocol tests: the shared vector file, loaded from disk, never copied."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.data import OMNIPOWER_PATH


def load_vector_file() -> dict[str, Any]:
    """Read the vector file; fail loudly if it is missing (tests must not silently skip)."""
    if not OMNIPOWER_PATH.is_file():
        raise FileNotFoundError(f"test vectors not found at {OMNIPOWER_PATH}")
    data: dict[str, Any] = json.loads(OMNIPOWER_PATH.read_text(encoding="utf-8"))
    return data


VECTOR_FILE = load_vector_file()
VECTORS: list[dict[str, Any]] = VECTOR_FILE["vectors"]
VECTORS_BY_ID: dict[str, dict[str, Any]] = {vector["id"]: vector for vector in VECTORS}


@pytest.fixture(scope="session")
def vector_file() -> dict[str, Any]:
    """The whole vector file (format notes, known signatures, vectors)."""
    return VECTOR_FILE


@pytest.fixture(scope="session")
def vectors() -> dict[str, dict[str, Any]]:
    """Vectors by id."""
    return VECTORS_BY_ID
