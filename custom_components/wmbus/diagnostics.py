"""Diagnostics for a stick entry and for one meter device; AES keys are always redacted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry

from .const import CONF_AES_KEY, DOMAIN
from .runtime import bridge_of

if TYPE_CHECKING:
    from .gateway import Gateway
    from .heard import HeardMeter
    from .meter_table import MeterRuntime
    from .protocol.frame import MeterAddress
    from .receivers import Receiver
    from .runtime import WmbusConfigEntry

# One name covers the key wherever it is nested (subentry data, ReCalc payloads).
TO_REDACT = {CONF_AES_KEY, "encryption_key", "encryptionKey", "EncryptionKey", "key"}


def _meter(meter: MeterRuntime, gateway: Gateway) -> dict[str, Any]:
    last = meter.last_reading
    return {
        "available": meter.available,
        # None until the meter's first telegram decodes (it is then bound to this address).
        "address": None if meter.address is None else str(meter.address),
        "last_heard": meter.last_heard.isoformat() if meter.last_heard else None,
        # The decoder's one count of failed checks in a row, at the meter's address.
        "consecutive_payload_crc_failures": 0
        if meter.address is None
        else gateway.decoder.failures(meter.address),
        # The meter type (ReCalc channel files are named after it) and its fields by key.
        "profile": meter.profile,
        "fields": sorted(meter.fields),
        "fixed_sensors": sorted(meter.fixed),
        "last_reading": None
        if last is None
        else {
            "profile": last.reading.profile,
            "frame": last.reading.frame,
            "access_number": last.reading.access_number,
            "values": dict(last.reading.values),
            "fields": dict(last.fields),
            "rssi_dbm": last.rssi_dbm,
            "rssi_by_receiver": dict(meter.rssi_by_receiver),
            "received_at": last.received_at.isoformat(),
        },
    }


def _address(address: MeterAddress) -> dict[str, Any]:
    return {
        "id": address.meter_id,
        "manufacturer": address.manufacturer,
        "version": address.version,
        "device_type": address.device_type,
    }


def _heard(heard: HeardMeter) -> dict[str, Any]:
    """A heard meter by its own address; the radio module it is heard through, if another."""
    facts = _address(heard.header.address)
    if heard.header.meter_address is not None:
        facts["link_address"] = _address(heard.header.link_address)
    return facts | {
        "rssi_dbm": heard.rssi_dbm,
        "last_heard": heard.last_heard.isoformat(),
        "telegrams": heard.telegrams,
    }


def _receiver(receiver: Receiver) -> dict[str, Any]:
    """A further receiver (a ``receiver`` subentry's radio)."""
    radio = receiver.radio
    identity = radio.identity
    return {
        "radio": receiver.kind.name,
        "address": receiver.address,
        "state": radio.state,
        "quiet": radio.quiet,
        "retrying": receiver.retry is not None,
        "device_info": identity.as_dict() if identity else None,
        "counters": dict(radio.counters),
    }


def _stick(gateway: Gateway) -> dict[str, Any]:
    identity = gateway.identity
    return {
        "radio": gateway.radio_kind.name,
        "state": gateway.stick.state,
        "port": gateway.port,
        "link_mode": gateway.link_mode,
        "quiet": gateway.stick.quiet,
        "device_info": identity.as_dict() if identity else None,
        "counters": dict(gateway.counters()),
        **gateway.stick.diagnostics(),
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: WmbusConfigEntry
) -> dict[str, Any]:
    """Everything a maintainer needs to read a bug report, without secrets."""
    gateway = entry.runtime_data.hub
    return {
        "entry": {
            "data": dict(entry.data),
            "options": dict(entry.options),
            "subentries": [
                async_redact_data(
                    {"title": sub.title, "type": sub.subentry_type, "data": dict(sub.data)},
                    TO_REDACT,
                )
                for sub in entry.subentries.values()
            ],
        },
        "stick": _stick(gateway),
        "receivers": {
            subentry_id: _receiver(receiver)
            for subentry_id, receiver in gateway.receivers.items()
            if subentry_id is not None
        },
        "duplicate_filter": {
            "held": len(gateway.duplicates),
            "passed": gateway.duplicates.passed,
            "duplicates": gateway.duplicates.duplicates,
            "evicted": gateway.duplicates.evicted,
        },
        "recalc": bridge_of(entry).diagnostics(),
        "meters": {mid: _meter(meter, gateway) for mid, meter in gateway.meters.items()},
        "heard": [_heard(h) for h in gateway.heard.values()],
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: WmbusConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """One meter's state (or the stick's, for the stick device)."""
    gateway = entry.runtime_data.hub
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and identifier in gateway.meters:
            return {"meter_id": identifier, **_meter(gateway.meters[identifier], gateway)}
    return {"stick": _stick(gateway)}
