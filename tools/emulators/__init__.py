"""Emulated radios on pseudo terminals, one module per radio; ``tools.emulator`` runs one.

Adding a radio's emulator is adding its module and its line in :data:`EMULATORS`.
"""

from __future__ import annotations

from typing import Final

from .amb8465 import Amb8465Emulator
from .base import PtyRadioEmulator
from .cul import CulEmulator
from .im871a import Im871aEmulator
from .iu891a import Iu891aEmulator

EMULATORS: Final[dict[str, type[PtyRadioEmulator]]] = {
    Im871aEmulator.NAME: Im871aEmulator,
    CulEmulator.NAME: CulEmulator,
    Amb8465Emulator.NAME: Amb8465Emulator,
    Iu891aEmulator.NAME: Iu891aEmulator,
}

__all__ = ["EMULATORS", "PtyRadioEmulator"]
