"""ReCalc's meters as meter subentries of the stick's entry.

A valid ``sensors/set`` command makes ReCalc's meters exactly its set: the diff
(``protocol.diff_meter_set``) says what to add, update and remove, and this module does it to
the entry's subentries (the entry's update listener then applies them live). Meters the user
added are never changed here; of two meters sharing the 8 digits ReCalc knows the one set up
first.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant

from ..const import (
    CONF_AES_KEY,
    CONF_METER_ID,
    CONF_ORIGIN,
    CONF_RECALC_DEVICE_KEY,
    CONF_RECALC_MANUFACTURER_KEY,
    CONF_RECALC_PROFILE,
    DOMAIN,
    ORIGIN_RECALC,
    SUBENTRY_METER,
)
from ..meter_identity import address_data, identifier_for, subentry_address
from .protocol import MeterSetChange, RecalcMeter


def meter_subentries(entry: ConfigEntry) -> dict[str, ConfigSubentry]:
    """Meter subentries by ReCalc's deviceId, the 8 digits.

    Of two meters sharing the digits ReCalc knows the one set up first (whose identifier
    is the digits alone); the other is never mirrored, and never changed by a command.
    """
    return {
        sub.data[CONF_METER_ID]: sub
        for sub in entry.subentries.values()
        if sub.subentry_type == SUBENTRY_METER and identifier_for(sub) == sub.data[CONF_METER_ID]
    }


def meters_by_origin(
    subs: Mapping[str, ConfigSubentry],
) -> tuple[dict[str, RecalcMeter], dict[str, str]]:
    """ReCalc's meters as its commands named them, and the user's meters' keys, by deviceId."""
    recalc_now = {
        mid: RecalcMeter(
            mid,
            sub.data.get(CONF_RECALC_MANUFACTURER_KEY, ""),
            sub.data[CONF_AES_KEY],
            sub.data.get(CONF_RECALC_DEVICE_KEY, ""),
        )
        for mid, sub in subs.items()
        if sub.data.get(CONF_ORIGIN) == ORIGIN_RECALC
    }
    user_keys = {
        mid: sub.data[CONF_AES_KEY]
        for mid, sub in subs.items()
        if sub.data.get(CONF_ORIGIN) != ORIGIN_RECALC
    }
    return recalc_now, user_keys


def meters_elsewhere(hass: HomeAssistant, entry: ConfigEntry) -> set[str]:
    """The ids of meters set up on the other sticks' entries (left where they are)."""
    return {
        sub.data[CONF_METER_ID]
        for other in hass.config_entries.async_entries(DOMAIN)
        if other.entry_id != entry.entry_id
        for sub in other.subentries.values()
        if sub.subentry_type == SUBENTRY_METER
    }


def apply_meter_set(
    hass: HomeAssistant,
    entry: ConfigEntry,
    subs: Mapping[str, ConfigSubentry],
    change: MeterSetChange,
    profiles: Mapping[str, str],
) -> None:
    """Add, update and remove ReCalc's meter subentries as ``change`` says.

    ``subs`` are ``meter_subentries(entry)`` as the diff saw them; ``profiles`` the meter type
    of each commanded meter (kept in its subentry for the channel plan).
    """
    entries = hass.config_entries
    for meter in change.add:
        entries.async_add_subentry(
            entry,
            ConfigSubentry(
                data=MappingProxyType(_subentry_data(meter, profiles[meter.device_id])),
                subentry_type=SUBENTRY_METER,
                title=_title(meter),
                unique_id=meter.device_id,
            ),
        )
    for meter in change.update:
        sub = subs[meter.device_id]
        data = _subentry_data(meter, profiles[meter.device_id])
        address = subentry_address(sub)
        if address is not None and sub.data.get(CONF_AES_KEY) == meter.encryption_key:
            # Same meter, same key: it stays bound to the address it was heard from (a
            # new key may be for a replaced meter: it binds again on its first telegram).
            data.update(address_data(address))
        entries.async_update_subentry(entry, sub, data=data, title=_title(meter))
    for meter_id in change.remove:
        entries.async_remove_subentry(entry, subs[meter_id].subentry_id)


def _subentry_data(meter: RecalcMeter, profile: str) -> dict[str, str | int]:
    return {
        CONF_METER_ID: meter.device_id,
        CONF_AES_KEY: meter.encryption_key,
        CONF_ORIGIN: ORIGIN_RECALC,
        CONF_RECALC_MANUFACTURER_KEY: meter.manufacturer_key,
        CONF_RECALC_DEVICE_KEY: meter.device_key,
        CONF_RECALC_PROFILE: profile,
    }


def _title(meter: RecalcMeter) -> str:
    return " ".join(part for part in ("ReCalc", meter.device_key, meter.device_id) if part)
