"""Telegram files the emulators replay: the vectors, the wmbusmeters corpus, or hex lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class TelegramFileError(ValueError):
    """A telegram file that cannot be replayed; the message says where and why."""


def load_telegrams(path: str | Path) -> list[bytes]:
    """Telegrams of a file, in the order a decoder must see them.

    A JSON document with ``vectors`` (the OmniPower vectors, the wmbusmeters corpus): per
    vector its ``prior_telegrams_hex`` (formats a compact frame refers to) then its
    ``telegram_hex``; vectors without a telegram are skipped. Any other file: one hex telegram
    a line, spaces allowed, ``#`` to the end of the line is a comment.
    """
    text = Path(path).read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return _telegrams_of_document(path, text)
    telegrams: list[bytes] = []
    for number, line in enumerate(text.splitlines(), start=1):
        hex_digits = line.split("#", 1)[0].strip().replace(" ", "")
        if hex_digits:
            telegrams.append(_telegram(hex_digits, f"{path}:{number}"))
    if not telegrams:
        raise TelegramFileError(f"{path}: no telegrams")
    return telegrams


def _telegrams_of_document(path: str | Path, text: str) -> list[bytes]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise TelegramFileError(f"{path}: not JSON ({err})") from None
    vectors = document.get("vectors") if isinstance(document, dict) else None
    if not isinstance(vectors, list):
        raise TelegramFileError(f"{path}: a JSON telegram file needs a 'vectors' list")
    telegrams: list[bytes] = []
    for index, vector in enumerate(vectors):
        where = f"{path}: vector {vector.get('id', index) if isinstance(vector, dict) else index}"
        if not isinstance(vector, dict) or "telegram_hex" not in vector:
            continue
        prior = vector.get("prior_telegrams_hex") or []
        if not isinstance(prior, list):
            raise TelegramFileError(f"{where}: prior_telegrams_hex must be a list")
        telegrams.extend(_telegram(hex_digits, where) for hex_digits in prior)
        telegrams.append(_telegram(vector["telegram_hex"], where))
    if not telegrams:
        raise TelegramFileError(f"{path}: no vector has a telegram_hex")
    return telegrams


def _telegram(hex_digits: Any, where: str) -> bytes:
    if not isinstance(hex_digits, str):
        raise TelegramFileError(f"{where}: a telegram must be a hex string")
    try:
        telegram = bytes.fromhex(hex_digits)
    except ValueError:
        raise TelegramFileError(f"{where}: not hex: {hex_digits[:40]!r}") from None
    if not 2 <= len(telegram) <= 256:
        raise TelegramFileError(f"{where}: a telegram has 2 to 256 bytes, got {len(telegram)}")
    return telegram
