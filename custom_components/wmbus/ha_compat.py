"""The one place that bridges the Home Assistant releases this integration supports.

HACS users run anything from 2025.4 to today's release. Where a newer release replaced an API
(and reports the old one as deprecated), the newer API is used when it exists and the older one
otherwise; nothing else in the integration checks versions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeassistant.components import usb

# 2026.10 defines it in binary_sensor.const and re-exports it implicitly (mypy sees no export).
from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined, unused-ignore]
    BinarySensorDeviceClass,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

# The ignores below are each needed on some supported releases and unused on others.
try:
    # 2026.10 validates with probatio and aliases voluptuous to it; its flows are typed with it.
    import probatio as vol
except ImportError:
    import voluptuous as vol  # type: ignore[no-redef, unused-ignore]

try:
    # 2026.10 types repairs flows with their own result (a FlowResult with a repairs context).
    from homeassistant.components.repairs.models import (  # type: ignore[attr-defined, unused-ignore]
        RepairsFlowResult,
    )
except ImportError:
    from homeassistant.data_entry_flow import (  # type: ignore[assignment, unused-ignore]
        FlowResult as RepairsFlowResult,
    )

__all__ = [
    "BinarySensorDeviceClass",
    "RepairsFlowResult",
    "SerialPortCandidate",
    "async_serial_port_candidates",
    "device_of_entry",
    "vol",
]


def device_of_entry(
    device_registry: dr.DeviceRegistry, identifier: tuple[str, str], config_entry_id: str
) -> dr.DeviceEntry | None:
    """The device with ``identifier`` that belongs to the config entry, if any.

    Since 2026.10 identifiers are unique per config entry only, and the global lookup
    (``async_get_device(identifiers=...)``) is reported as deprecated (it breaks in 2027.8).
    Older releases have only the global lookup; there the owner is checked here.
    """
    by_identifier: Callable[[tuple[str, str], str], dr.DeviceEntry | None] | None = getattr(
        device_registry, "async_get_device_by_identifier", None
    )
    if by_identifier is not None:
        return by_identifier(identifier, config_entry_id)
    device = device_registry.async_get_device(identifiers={identifier})
    if device is None or config_entry_id not in device.config_entries:
        return None
    return device


@dataclass(frozen=True, slots=True)
class SerialPortCandidate:
    """A port the user may pick for the stick, as Home Assistant describes it."""

    device: str
    serial_number: str | None
    manufacturer: str | None
    description: str | None
    vid: str | None
    pid: str | None


async def async_serial_port_candidates(hass: HomeAssistant) -> list[SerialPortCandidate]:
    """Every serial port Home Assistant knows of, by-id paths where the system has them.

    From 2026.10 ``usb.async_scan_serial_ports`` also returns ports that other integrations
    contribute (ESPHome serial proxies, ``esphome-hass://...``), which serialx opens like a
    local port. Older releases list the local ports with pyserial, which their ``usb``
    component requires.
    """
    scan = getattr(usb, "async_scan_serial_ports", None)
    if scan is not None:
        return [_candidate_of_scanned(port) for port in await scan(hass)]
    return await hass.async_add_executor_job(_local_serial_ports)


def _candidate_of_scanned(port: Any) -> SerialPortCandidate:
    # A usb.SerialDevice, or its subclass usb.USBDevice with vid and pid (2026.10 models).
    return SerialPortCandidate(
        device=port.device,
        serial_number=port.serial_number,
        manufacturer=port.manufacturer,
        description=port.description,
        vid=getattr(port, "vid", None),
        pid=getattr(port, "pid", None),
    )


def _local_serial_ports() -> list[SerialPortCandidate]:
    """Local ports on releases before 2026.10 (blocking: reads sysfs and /dev/serial/by-id)."""
    import serial.tools.list_ports  # noqa: PLC0415 - only these releases' usb brings pyserial

    return [
        SerialPortCandidate(
            device=usb.get_serial_by_id(port.device),
            serial_number=port.serial_number,
            manufacturer=port.manufacturer,
            description=port.description,
            vid=f"{port.vid:04X}" if port.vid else None,
            pid=f"{port.pid:04X}" if port.pid else None,
        )
        for port in serial.tools.list_ports.comports()
    ]
