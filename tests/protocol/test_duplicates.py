"""The duplicate filter: the same telegram from several receivers within a window passes once."""

from __future__ import annotations

import tracemalloc

import pytest

from custom_components.wmbus.protocol.duplicates import DuplicateFilter

TELEGRAM = bytes.fromhex("1e442d2c5768663230028d2063")


def test_the_first_copy_passes_and_the_others_within_the_window_do_not() -> None:
    duplicates: DuplicateFilter[object] = DuplicateFilter(window_s=2.0)
    assert duplicates.first(TELEGRAM, 100.0)
    assert not duplicates.first(bytes(TELEGRAM), 100.3)  # another receiver, equal bytes
    assert not duplicates.first(TELEGRAM, 101.9)
    assert duplicates.first(TELEGRAM + b"\x00", 101.9)  # another telegram
    assert (duplicates.passed, duplicates.duplicates) == (2, 2)


def test_the_same_bytes_after_the_window_are_a_new_telegram() -> None:
    duplicates: DuplicateFilter[object] = DuplicateFilter(window_s=2.0)
    assert duplicates.first(TELEGRAM, 100.0)
    assert duplicates.first(TELEGRAM, 102.0)
    assert not duplicates.first(TELEGRAM, 103.0)


def test_old_telegrams_are_forgotten_when_the_next_one_arrives() -> None:
    duplicates: DuplicateFilter[object] = DuplicateFilter(window_s=2.0)
    for index in range(100):
        duplicates.first(index.to_bytes(4, "big"), index * 0.1)
    # 2 s of telegrams every 0.1 s: about 20 remembered, not 100.
    assert 19 <= len(duplicates) <= 21


def test_a_full_filter_forgets_the_oldest_first() -> None:
    duplicates: DuplicateFilter[object] = DuplicateFilter(window_s=60.0, max_entries=10)
    for index in range(25):
        assert duplicates.first(index.to_bytes(4, "big"), 1.0)
    assert len(duplicates) == 10
    assert duplicates.evicted == 15
    assert not duplicates.first((24).to_bytes(4, "big"), 1.0)  # the newest are kept
    assert duplicates.first((0).to_bytes(4, "big"), 1.0)  # the oldest were forgotten


def test_memory_stays_bounded_under_a_long_run() -> None:
    duplicates: DuplicateFilter[object] = DuplicateFilter(window_s=2.0, max_entries=1000)
    tracemalloc.start()
    try:
        for index in range(20_000):
            duplicates.first(TELEGRAM + index.to_bytes(4, "big"), index * 0.001)
        first_half, _ = tracemalloc.get_traced_memory()
        for index in range(20_000, 200_000):
            duplicates.first(TELEGRAM + index.to_bytes(4, "big"), index * 0.001)
        second, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(duplicates) == 1000
    assert second < first_half * 1.5 + 50_000


def test_a_bad_window_is_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        DuplicateFilter(window_s=0)
    with pytest.raises(ValueError, match="window"):
        DuplicateFilter(max_entries=0)


def test_copies_get_back_what_the_first_copy_kept() -> None:
    duplicates: DuplicateFilter[dict[str, float]] = DuplicateFilter(window_s=2.0)
    assert duplicates.copy_of(TELEGRAM, 10.0) is None
    table: dict[str, float] = {"stick": -70.0}
    duplicates.keep(TELEGRAM, 10.0, table)
    copy = duplicates.copy_of(bytes(TELEGRAM), 11.0)
    assert copy is table
    copy["udp:9011"] = -80.0
    assert table == {"stick": -70.0, "udp:9011": -80.0}
    assert duplicates.copy_of(TELEGRAM, 12.0) is None  # the window has passed
    assert (duplicates.passed, duplicates.duplicates) == (1, 1)
