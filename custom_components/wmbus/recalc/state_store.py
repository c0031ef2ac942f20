"""The ReCalc bridge's state on disk: outbox, dropped count, pause, the user meters ReCalc lists.

Nothing is lost across a restart: the whole state is rewritten at most every ``SAVE_DELAY_S``
(batched, from an immutable snapshot taken in the event loop), handed to the Store's final
write when Home Assistant stops, and written at once when the entry unloads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, CoreState, Event, HomeAssistant, callback
from homeassistant.helpers.storage import Store

from ..const import DOMAIN
from .protocol import Message

STORAGE_VERSION = 1
# Batches the rewrite of the whole outbox file; at stop the Store's FINAL_WRITE writes it.
SAVE_DELAY_S = 2.0


class StoredState(TypedDict):
    """What the Store keeps for one entry."""

    outbox: list[list[str]]
    dropped: int
    paused: bool
    claimed: dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Immutable state handed to the Store (serialised in the loop or the executor)."""

    outbox: tuple[Message, ...]
    dropped: int
    paused: bool
    claimed: tuple[tuple[str, str, str], ...]

    def as_json(self) -> StoredState:
        """The JSON the Store writes."""
        return {
            "outbox": [list(m) for m in self.outbox],
            "dropped": self.dropped,
            "paused": self.paused,
            "claimed": {mid: [mkey, dkey] for mid, mkey, dkey in self.claimed},
        }


def recalc_store(hass: HomeAssistant, entry_id: str) -> Store[StoredState]:
    """The Store of one stick entry's ReCalc state."""
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.recalc.{entry_id}", atomic_writes=True)


async def async_remove_recalc_state(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the persisted outbox of a removed entry."""
    await recalc_store(hass, entry_id).async_remove()


class StateStore:
    """Writes the bridge's ``snapshot()`` to its Store, batched, and finally at stop."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, snapshot: Callable[[], Snapshot]
    ) -> None:
        self._hass = hass
        self._store = recalc_store(hass, entry_id)
        self._snapshot = snapshot
        self._save_handle: asyncio.TimerHandle | None = None
        self._stop_unsub: CALLBACK_TYPE | None = None
        self._stopped = False

    async def async_load(self) -> StoredState | None:
        """What was kept, and follow Home Assistant's stop from now on."""
        self._stop_unsub = self._hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._home_assistant_stopping
        )
        return await self._store.async_load()

    def stop_saving(self) -> None:
        """No more batched writes (the bridge is stopping; ``async_save_final`` follows)."""
        self._stopped = True
        if self._stop_unsub is not None:
            self._stop_unsub()
            self._stop_unsub = None
        if self._save_handle is not None:
            self._save_handle.cancel()
            self._save_handle = None

    async def async_save_final(self) -> None:
        """Write the state now (an unload or a removed entry)."""
        await self._store.async_save(self._snapshot().as_json())

    @callback
    def schedule(self, delay_s: float) -> None:
        """Take a snapshot in the loop at most every ``delay_s`` and hand it to the Store."""
        if self._stopped:
            return  # the bridge's async_stop writes the final state
        if self._hass.state in (CoreState.stopping, CoreState.final_write):
            # The Store defers the write to its FINAL_WRITE: hand it the latest state now.
            self._home_assistant_stopping(None)
            return
        if self._save_handle is not None:
            if delay_s > 0:
                return
            self._save_handle.cancel()
        self._save_handle = self._hass.loop.call_later(delay_s, self._save_now)

    @callback
    def _save_now(self) -> None:
        self._save_handle = None
        stored = self._snapshot().as_json()
        # The Store may call this in the executor (2025.4): it returns prepared data only.
        self._store.async_delay_save(lambda: stored, 0)

    @callback
    def _home_assistant_stopping(self, event: Event | None) -> None:
        """Hand the Store what is queued right now; its FINAL_WRITE listener writes it."""
        if event is not None:
            self._stop_unsub = None  # a listen_once listener is gone once it has fired
        if self._save_handle is not None:
            self._save_handle.cancel()
        self._save_now()
