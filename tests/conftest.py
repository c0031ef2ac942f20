"""Fixtures shared by every test folder."""

from pathlib import Path

import pytest

VECTORS_PATH = Path(__file__).resolve().parents[2] / "shared" / "vectors" / "omnipower.json"
