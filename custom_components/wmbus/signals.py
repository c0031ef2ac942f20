"""What the hub tells the rest of Home Assistant: dispatcher signals and the readings they carry.

Entities and the ReCalc bridge subscribe here; none of them reaches back into the hub for a
reading's facts. A ``MeterReading`` carries everything a subscriber needs (which meter in Home
Assistant, its subentry, the values Home Assistant shows), so the fan-out of one telegram is
one object handed forward.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .const import DOMAIN
from .meter_fields import FieldValue, MeterField
from .protocol.decoder import Reading


def signal_meter(entry_id: str, identifier: str) -> str:
    """Dispatcher signal carrying a meter's readings and availability changes."""
    return f"{DOMAIN}_{entry_id}_meter_{identifier}"


def signal_meter_rssi(entry_id: str, identifier: str) -> str:
    """A receiver heard the meter (maybe a copy of a telegram already delivered): its RSSI."""
    return f"{DOMAIN}_{entry_id}_meter_rssi_{identifier}"


def signal_receiver_added(entry_id: str) -> str:
    """Dispatcher signal carrying the subentry id of a receiver added live."""
    return f"{DOMAIN}_{entry_id}_receiver_added"


def signal_stick(entry_id: str) -> str:
    """Dispatcher signal for stick state and counter changes."""
    return f"{DOMAIN}_{entry_id}_stick"


def signal_counters(entry_id: str) -> str:
    """Dispatcher signal for changed telegram counters (at most every COUNTERS_INTERVAL)."""
    return f"{DOMAIN}_{entry_id}_counters"


def signal_accept_total(entry_id: str, identifier: str, key: str) -> str:
    """Dispatcher signal of the repair that accepts a meter's lower total as its new total."""
    return f"{DOMAIN}_{entry_id}_accept_total_{identifier}_{key}"


def signal_new_fields(entry_id: str) -> str:
    """Dispatcher signal carrying ``NewFields``: a meter's telegram brought new values."""
    return f"{DOMAIN}_{entry_id}_new_fields"


def signal_meter_added(entry_id: str) -> str:
    """Dispatcher signal carrying the subentry id of a meter added while the entry runs."""
    return f"{DOMAIN}_{entry_id}_meter_added"


@dataclass(frozen=True, slots=True)
class MeterReading:
    """A decoded telegram of a configured meter, with what the radio and the hub added.

    ``identifier`` and ``subentry_id`` say which meter in Home Assistant it belongs to (two
    meters may share the 8 digits); ``fields`` are the values Home Assistant shows, by field
    key (see ``meter_fields``), worked out once per telegram for all of the meter's entities
    and for ReCalc. The reading's profile (``reading.profile``) names the meter type.
    """

    reading: Reading
    rssi_dbm: float | None
    received_at: datetime
    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    identifier: str = ""
    subentry_id: str = ""


@dataclass(frozen=True, slots=True)
class NewFields:
    """Fields a meter's telegram carried for the first time: entities to add."""

    identifier: str
    fields: tuple[MeterField, ...] = ()
    fixed: tuple[str, ...] = ()
    """Sensor keys of ``FIXED_VALUE_KEYS`` (OmniPower's energy and power)."""
