"""Lifecycle of a stick's config entry: setup, unload, removal, live updates.

One config entry per home, holding its first radio; meters and further receivers are its
subentries. Setup opens the stick through the
gateway and forwards the platforms. Subentry and option changes are applied live by one update
listener (no reload helpers anywhere, as Home Assistant 2026.6 requires); only a new port or link
mode reopens the stick, by scheduling a reload of the entry.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .const import CONF_METER_ID, CONF_PORT, DOMAIN
from .entity import receiver_device_info, stick_device_info
from .field_store import fields_store
from .gateway import Gateway
from .issues import stick_issue_id
from .meter_identity import identifier_for
from .protocol.radios import RadioError
from .recalc.bridge import RecalcBridge
from .recalc.state_store import async_remove_recalc_state
from .runtime import WmbusRuntime
from .signals import signal_meter_added, signal_receiver_added

_LOGGER = logging.getLogger(__name__)

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR, Platform.SWITCH]

if TYPE_CHECKING:
    from .runtime import WmbusConfigEntry


async def async_setup_entry(hass: HomeAssistant, entry: WmbusConfigEntry) -> bool:
    """Open the stick and start delivering readings."""
    gateway = Gateway(hass, entry)
    try:
        await gateway.async_start()
    except (OSError, RadioError) as err:
        await gateway.async_stop()
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="stick_not_ready",
            translation_placeholders={"port": entry.data[CONF_PORT], "error": str(err)},
        ) from err
    runtime = entry.runtime_data = WmbusRuntime(gateway)
    _register_devices(hass, entry)
    entry.async_on_unload(gateway.async_stop)
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    # The ReCalc bridge (idle unless enabled in the options and MQTT is loaded); unload
    # callbacks run last-registered first, so it stops before the stick closes.
    bridge = runtime.recalc = RecalcBridge(hass, entry, gateway)
    await bridge.async_start()
    entry.async_on_unload(bridge.async_stop)
    entry.async_on_unload(entry.add_update_listener(bridge.async_entry_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: WmbusConfigEntry) -> bool:
    """Unload the platforms; the stick is closed by the unload callback registered at setup."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: WmbusConfigEntry) -> None:
    """Leave no repair issue behind for a stick that no longer exists."""
    ir.async_delete_issue(hass, DOMAIN, stick_issue_id(entry.entry_id))
    await async_remove_recalc_state(hass, entry.entry_id)
    await fields_store(hass, entry.entry_id).async_remove()


async def _async_entry_updated(hass: HomeAssistant, entry: WmbusConfigEntry) -> None:
    """Apply a change of subentries or options without reopening the stick when possible."""
    gateway = entry.runtime_data.hub
    if gateway.needs_reopen():
        hass.config_entries.async_schedule_reload(entry.entry_id)
        return
    new_receivers = await gateway.async_sync_receivers()
    added, _removed = gateway.sync_meters()
    # Removed meters need nothing more: removing a subentry deletes its devices and entities.
    _register_devices(hass, entry)
    for subentry_id in added:
        async_dispatcher_send(hass, signal_meter_added(entry.entry_id), subentry_id)
    for subentry_id in new_receivers:
        async_dispatcher_send(hass, signal_receiver_added(entry.entry_id), subentry_id)
    gateway.reschedule_expiries()


def _register_devices(hass: HomeAssistant, entry: WmbusConfigEntry) -> None:
    """The stick's device, and each meter's device hung off it by device id.

    Done here rather than through the entities' DeviceInfo: its ``via_device`` is deprecated
    from Home Assistant 2026.8 in favour of ``via_device_id``, which only the registry takes
    (on every version). A meter renamed in its reconfigure flow or by ReCalc follows here too.
    """
    device_registry = dr.async_get(hass)
    stick = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, **stick_device_info(entry)
    )
    for subentry_id in entry.runtime_data.hub.receiver_subentries():
        # Each further receiver is a device like the stick, hung off it.
        receiver = device_registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            config_subentry_id=subentry_id,
            **receiver_device_info(entry, subentry_id),
        )
        if receiver.via_device_id != stick.id:
            device_registry.async_update_device(receiver.id, via_device_id=stick.id)
    for subentry_id, subentry in entry.runtime_data.hub.meter_subentries().items():
        meter_id = subentry.data[CONF_METER_ID]
        device = device_registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            config_subentry_id=subentry_id,
            identifiers={(DOMAIN, identifier_for(subentry))},
            name=subentry.title,
            serial_number=meter_id,
        )
        if device.via_device_id != stick.id:
            device_registry.async_update_device(device.id, via_device_id=stick.id)
