"""Energy dashboard sources in the format the running Home Assistant release takes.

2026.10 unified the grid source: one source per grid connection with ``stat_energy_from`` and
``stat_energy_to`` on it. Earlier releases take ``flow_from``/``flow_to`` lists. 2026.10 only
migrates the old format when it loads stored preferences; handed to ``async_update`` the old
format is stored as it is and its meters are never validated.
"""

from __future__ import annotations

from typing import Any, cast

from homeassistant.components.energy.data import GridSourceType, SourceType

UNIFIED_GRID = "stat_energy_to" in GridSourceType.__required_keys__


def grid_source(imported: str, exported: str) -> SourceType:
    """A grid source: ``imported`` from the grid, ``exported`` to it, no prices."""
    source: dict[str, Any]
    if UNIFIED_GRID:
        source = {
            "type": "grid",
            "stat_energy_from": imported,
            "stat_energy_to": exported,
            "stat_cost": None,
            "entity_energy_price": None,
            "number_energy_price": None,
            "stat_compensation": None,
            "entity_energy_price_export": None,
            "number_energy_price_export": None,
        }
    else:
        source = {
            "type": "grid",
            "flow_from": [
                {
                    "stat_energy_from": imported,
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                }
            ],
            "flow_to": [
                {
                    "stat_energy_to": exported,
                    "stat_compensation": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                }
            ],
            "cost_adjustment_day": 0.0,
        }
    # GridSourceType has the keys of one format or the other, depending on the release.
    return cast("SourceType", source)
