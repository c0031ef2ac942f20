"""The same telegram heard by several receivers: let the first through, drop the rest.

Several receivers in one building hear one transmission two or three times within milliseconds
to a second (network feeds add their own delays), and users of every receiver software ask for
those copies to be dropped (wmbusmeters issues #57, #270, #561). A copy is the same telegram
bytes (from the L-field, block CRCs removed) within a window; a meter's next telegram differs
in at least its access number (EN 13757-4 / OMS Volume 2: ACC is incremented per telegram), so
it is never taken for a copy. A meter that really sends the same bytes again (some count ACC
only on change) is a copy within the window and a new telegram after it, which is what the
decoder's own access-number guard expects anyway.

Pure and bounded: the filter holds at most ``max_entries`` telegrams (the oldest are forgotten
first) and forgets every telegram older than the window when it is next called, so its memory
does not grow with the number of meters beyond what a window's traffic holds.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

DUPLICATE_WINDOW_S: Final = 2.0
# 1,000 meters heard by 4 receivers send about 250 frames/s, 500 in 2 s: room for 16 times that.
DUPLICATE_MAX_ENTRIES: Final = 8192


class DuplicateFilter[V]:
    """Tells a telegram heard for the first time within ``window_s`` from a copy of it.

    A dict answers "seen?" and a deque in arrival order says what to forget: both O(1) per
    telegram, which matters at 250 frames a second (``tools.bench_receivers``). Besides
    :meth:`first`, an owner can have the first copy leave a value (:meth:`keep`: what it made
    of the telegram, the meter's per-receiver RSSI table, say) that every later copy gets back
    from :meth:`copy_of` without working it out again.
    """

    __slots__ = ("_max_entries", "_order", "_seen", "_window_s", "duplicates", "evicted", "passed")

    def __init__(
        self, window_s: float = DUPLICATE_WINDOW_S, max_entries: int = DUPLICATE_MAX_ENTRIES
    ) -> None:
        if window_s <= 0 or max_entries < 1:
            raise ValueError("the window must be positive and hold at least one telegram")
        self._window_s = window_s
        self._max_entries = max_entries
        self._seen: dict[bytes, tuple[float, Any]] = {}  # telegram -> (first heard, value)
        self._order: deque[tuple[float, bytes]] = deque()  # when each came first, oldest first
        self.passed = 0
        self.duplicates = 0
        self.evicted = 0  # forgotten within the window because the filter was full

    @property
    def window_s(self) -> float:
        """How long a telegram is remembered."""
        return self._window_s

    def __len__(self) -> int:
        return len(self._seen)

    def first(self, telegram: bytes, now_s: float) -> bool:
        """True the first time ``telegram`` is heard within the window, False for a copy.

        ``now_s`` is a monotonic clock's seconds (``time.monotonic()``, the loop's time).
        """
        if self.copy_of(telegram, now_s) is not None:
            return False
        self._keep(telegram, now_s, True)
        return True

    def copy_of(self, telegram: bytes, now_s: float) -> V | None:
        """For a copy within the window, the first copy's value (counted as a duplicate).

        None when ``telegram`` is not a copy: the caller then handles it and calls
        :meth:`keep` with what the copies are to get back. A copy costs one lookup; what
        has expired is forgotten when a new telegram is kept.
        """
        entry = self._seen.get(telegram)
        if entry is None or entry[0] <= now_s - self._window_s:
            return None
        self.duplicates += 1
        value: V = entry[1]
        return value

    def keep(self, telegram: bytes, now_s: float, value: V) -> None:
        """Remember ``telegram`` (just found not to be a copy) with ``value`` (never None)."""
        self._keep(telegram, now_s, value)

    def _keep(self, telegram: bytes, now_s: float, value: object) -> None:
        seen = self._seen
        order = self._order
        expired_before = now_s - self._window_s
        while order and order[0][0] <= expired_before:
            del seen[order.popleft()[1]]
        if telegram in seen:  # kept twice at one moment: the first value stays
            return
        if len(order) >= self._max_entries:
            del seen[order.popleft()[1]]
            self.evicted += 1
        seen[telegram] = (now_s, value)
        order.append((now_s, telegram))
        self.passed += 1

    def clear(self) -> None:
        """Forget every telegram (counters are kept)."""
        self._seen.clear()
        self._order.clear()
