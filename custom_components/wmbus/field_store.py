"""Which fields each meter has entities for: learnt from its telegrams, kept across restarts.

A meter's entities follow what its telegrams carry: they are added with the first telegram
that carries a value. After a restart they must come back before the meter is heard again, so
the fields (and the meter type and maker its latest telegram had, for ReCalc) are kept in a
Home Assistant Store per stick entry. New fields are rare (a meter's first telegrams), so the
Store is written shortly after a change, and at once when the entry stops.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .meter_fields import (
    FIXED_VALUE_KEYS,
    FieldValue,
    MeterField,
    fixed_value_keys,
    with_precision,
)
from .signals import NewFields

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from .meter_table import MeterRuntime
    from .protocol.decoder import Reading

_LOGGER = logging.getLogger(__name__)

FIELDS_STORAGE_VERSION = 1
FIELDS_SAVE_DELAY_S = 5.0


def fields_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The Store of the fields each meter of a stick entry has entities for."""
    return Store(hass, FIELDS_STORAGE_VERSION, f"{DOMAIN}.meter_fields.{entry_id}")


class FieldStore:
    """The fields Store of one stick entry, and what it held at start."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._hass = hass
        self._store = fields_store(hass, entry_id)
        self._stored: dict[str, Any] = {}
        self._unsaved = False

    async def async_load(self) -> None:
        """Read what the meters had before the restart."""
        self._stored = await self._store.async_load() or {}

    def restore(self, meter: MeterRuntime) -> None:
        """Give ``meter`` the fields it had before the restart.

        A meter from a version that stored no fields had the energy and power sensors: those
        it has in the entity registry are kept.
        """
        stored = self._stored.get(meter.identifier)
        if stored is None:
            registry = er.async_get(self._hass)
            meter.fixed = {
                key
                for key in FIXED_VALUE_KEYS.values()
                if registry.async_get_entity_id("sensor", DOMAIN, f"{meter.identifier}_{key}")
            }
            return
        meter.fixed = {str(key) for key in stored.get("fixed", ())}
        meter.profile = stored.get("profile")
        meter.manufacturer = stored.get("manufacturer")
        for data in stored.get("fields", ()):
            try:
                meter_field = MeterField.from_json(data)
            except (KeyError, TypeError, ValueError) as err:
                _LOGGER.warning(
                    "Meter %s: ignoring a damaged stored field: %r", meter.meter_id, err
                )
                continue
            meter.fields[meter_field.key] = meter_field

    def save(self, meters: Iterable[MeterRuntime]) -> None:
        """Keep the fields of ``meters`` (every configured meter), written shortly."""
        snapshot = {
            meter.identifier: {
                "profile": meter.profile,
                "manufacturer": meter.manufacturer,
                "fixed": sorted(meter.fixed),
                "fields": [f.as_json() for f in meter.fields.values()],
            }
            for meter in meters
        }
        self._stored = snapshot
        self._unsaved = True
        # A prepared snapshot: the Store may call this in the executor (2025.4).
        self._store.async_delay_save(lambda: snapshot, FIELDS_SAVE_DELAY_S)

    def holds(self, identifier: str) -> bool:
        """Whether fields of this meter are kept."""
        return identifier in self._stored

    async def async_flush(self) -> None:
        """Write a pending change now.

        A reload (new port or link mode) reads the Store at once: a delayed save still pending
        would leave the meters' entities out until each meter is heard again.
        """
        if self._unsaved:
            await self._store.async_save(self._stored)
            self._unsaved = False

    def learn(
        self,
        meter: MeterRuntime,
        reading: Reading,
        shown: Mapping[str, tuple[MeterField, FieldValue]],
        meters: Iterable[MeterRuntime],
    ) -> NewFields | None:
        """The values ``meter`` sends for the first time (their entities are to be added).

        Kept with the other ``meters``' fields; on the meter's first telegram of the run, its
        stored fields are brought up to this version's names and precision as well.
        """
        fixed_values = fixed_value_keys(reading, shown)
        fixed = [
            FIXED_VALUE_KEYS[key]
            for key in fixed_values
            if FIXED_VALUE_KEYS[key] not in meter.fixed
        ]
        fields = [
            with_precision(meter_field, reading)
            for key, (meter_field, _value) in shown.items()
            if key not in fixed_values and key not in meter.fields
        ]
        refreshed = False
        if not meter.fields_refreshed:
            meter.fields_refreshed = True
            refreshed = _refresh(meter, reading, shown)
        if fixed or fields or refreshed:
            meter.fixed.update(fixed)
            meter.fields.update((f.key, f) for f in fields)
            self.save(meters)
        if not fixed and not fields:
            return None
        return NewFields(meter.identifier, tuple(fields), tuple(fixed))


def _refresh(
    meter: MeterRuntime, reading: Reading, shown: Mapping[str, tuple[MeterField, FieldValue]]
) -> bool:
    """Bring fields stored by an earlier version up to this one's names and precision.

    Once per meter and run, on its first telegram: a field keeps its key (its entity), and its
    entity shows the new name and decimals from the next start of the entry. True if any
    changed.
    """
    changed = False
    for key, (meter_field, _value) in shown.items():
        stored = meter.fields.get(key)
        if stored is None:
            continue
        current = with_precision(meter_field, reading)
        if current != stored:
            meter.fields[key] = current
            changed = True
    return changed
