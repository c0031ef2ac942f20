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

from collections import OrderedDict
from typing import Final

DUPLICATE_WINDOW_S: Final = 2.0
# 1,000 meters heard by 4 receivers send about 250 frames/s, 500 in 2 s: room for 16 times that.
DUPLICATE_MAX_ENTRIES: Final = 8192


class DuplicateFilter:
    """Tells a telegram heard for the first time within ``window_s`` from a copy of it."""

    __slots__ = ("_max_entries", "_seen", "_window_s", "duplicates", "evicted", "passed")

    def __init__(
        self, window_s: float = DUPLICATE_WINDOW_S, max_entries: int = DUPLICATE_MAX_ENTRIES
    ) -> None:
        if window_s <= 0 or max_entries < 1:
            raise ValueError("the window must be positive and hold at least one telegram")
        self._window_s = window_s
        self._max_entries = max_entries
        # Telegram -> when it was first heard; insertion order is time order.
        self._seen: OrderedDict[bytes, float] = OrderedDict()
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
        seen = self._seen
        expired_before = now_s - self._window_s
        while seen:
            oldest, heard_at = next(iter(seen.items()))
            if heard_at > expired_before:
                break
            del seen[oldest]
        if telegram in seen:
            self.duplicates += 1
            return False
        if len(seen) >= self._max_entries:
            seen.popitem(last=False)
            self.evicted += 1
        seen[telegram] = now_s
        self.passed += 1
        return True

    def clear(self) -> None:
        """Forget every telegram (counters are kept)."""
        self._seen.clear()
