"""The test data shipped with the repository, found by one path for tests and tools alike.

The files live beside this module (``vectors/``), so a plain clone runs the suite; README.md
here says where each file comes from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

DATA_DIR: Final = Path(__file__).resolve().parent
VECTORS_DIR: Final = DATA_DIR / "vectors"
# Real captures of Kamstrup OmniPower 32666857 through an iM871A, plus labelled negatives.
OMNIPOWER_PATH: Final = VECTORS_DIR / "omnipower.json"
# 225 test telegrams of 72 meter types from wmbusmeters' driver tests (facts, not code).
CORPUS_PATH: Final = VECTORS_DIR / "wmbusmeters_corpus.json"
# Real RTL-SDR recordings of wireless M-Bus meters (iq/README.md).
IQ_DIR: Final = DATA_DIR / "iq"
# A synthetic Kamstrup KEM key file (kem/README.md).
KEM_DIR: Final = DATA_DIR / "kem"
