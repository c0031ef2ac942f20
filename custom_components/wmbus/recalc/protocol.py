"""ReCalc (ReMoni API v2) over MQTT: the protocol side, with no Home Assistant import.

What lives here: validating a ``sensors/set`` command as a whole, the diff between ReCalc's
wanted meter set and the configured meters, the byte-exact config, data and acknowledgement
messages, and the bounded ordered outbox that carries them to MQTT. The Home Assistant glue
(``bridge.py``) hands in a ``publish`` callable and owns subentries, the Store and the
connection status; this module never learns where a message goes or how a meter is stored.

Topics (``<p>`` = prefix, default ``v2``; ``<gw>`` = gateway id)::

    <p>/<gw>/sensors/set                   ReCalc -> us: the ReCalc-managed meter set
    <p>/<gw>/sensors/ack                   us -> ReCalc: outcome of each set command
    <p>/<gw>/<mkey>-<deviceId>/config      us -> ReCalc: channel configuration of a meter
    <p>/<gw>/<mkey>-<deviceId>/data        us -> ReCalc: one message per channel and reading
    STOP                                   ReCalc -> us: pause the bridge

Acknowledgement (our extension of the API; the original gateway had none). Always a JSON
object, published with QoS 1 on ``<p>/<gw>/sensors/ack``::

    {"status": "accepted", "meters": 2,
     "added": ["32666857"], "updated": [], "removed": ["11111111"],
     "notes": [{"index": 1, "deviceId": "22222222", "reason": "user_meter_key_kept"}]}

    {"status": "rejected", "error": "invalid_items",
     "rejected": [{"index": 0, "deviceId": "3266685", "reason": "bad_device_id"},
                  {"index": 2, "deviceId": "32666857", "reason": "duplicate_device_id"}]}

    {"status": "rejected", "error": "not_json", "rejected": []}

``error`` is one of ``not_json``, ``not_a_list``, ``too_large`` (over ``MAX_COMMAND_BYTES``),
``too_many_meters`` (over ``MAX_COMMAND_METERS``) or ``invalid_items``. An item's ``reason`` is
one of ``not_an_object``, ``missing_device_id``, ``bad_device_id``, ``missing_manufacturer_key``,
``bad_manufacturer_key``, ``missing_encryption_key``, ``bad_encryption_key``,
``missing_manufacturer_device_key``, ``bad_manufacturer_device_key``, ``duplicate_device_id``
(every occurrence after the first). ``deviceId`` in a rejection is echoed as received (a string,
or null when absent or not a string). A rejected command changes nothing. Notes on an accepted
command: ``user_meter_key_kept`` (a meter added by the user is listed with another key: the
user's key stays) and ``configured_on_another_stick`` (the meter belongs to another stick's
entry and is left there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
import json
import re
from typing import Any, Final

from .channel_plans import ChannelPlan

# --- limits ----------------------------------------------------------------------------

# 500 meters with long device keys fit; anything larger is not a meter list.
MAX_COMMAND_BYTES: Final = 256 * 1024
MAX_COMMAND_METERS: Final = 500
MAX_MANUFACTURER_KEY_CHARS: Final = 16
MAX_DEVICE_KEY_CHARS: Final = 128

_DEVICE_ID = re.compile(r"[0-9]{8}")
_HEX_KEY = re.compile(r"[0-9A-Fa-f]{32}")
# A manufacturer key becomes part of a topic level: no separators, wildcards or spaces.
_MANUFACTURER_KEY = re.compile(r"[^/+#\s\x00]+")


# --- command parsing -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecalcMeter:
    """One meter as ReCalc describes it; the key is normalised to upper-case hex."""

    device_id: str
    manufacturer_key: str
    encryption_key: str
    device_key: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one item (or, with index None, the whole message) was refused."""

    index: int | None
    device_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed ``sensors/set`` message: ``meters`` when valid, else ``error`` and rejections."""

    meters: tuple[RecalcMeter, ...] = ()
    error: str | None = None
    rejected: tuple[Rejection, ...] = ()

    @property
    def valid(self) -> bool:
        """Whether the command may be applied."""
        return self.error is None


def _field(item: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """Look up a key case-insensitively (camelCase and PascalCase both occur in the wild)."""
    wanted = name.lower()
    for key, value in item.items():
        if isinstance(key, str) and key.lower() == wanted:
            return True, value
    return False, None


def _parse_item(index: int, item: Any) -> RecalcMeter | Rejection:
    if not isinstance(item, dict):
        return Rejection(index, None, "not_an_object")
    present, device_id = _field(item, "deviceId")
    echo = device_id if isinstance(device_id, str) else None
    if not present:
        return Rejection(index, None, "missing_device_id")
    if not isinstance(device_id, str) or not _DEVICE_ID.fullmatch(device_id):
        return Rejection(index, echo, "bad_device_id")
    checks: tuple[tuple[str, str, Callable[[Any], bool]], ...] = (
        (
            "manufacturerKey",
            "manufacturer_key",
            lambda v: (
                isinstance(v, str)
                and 0 < len(v) <= MAX_MANUFACTURER_KEY_CHARS
                and bool(_MANUFACTURER_KEY.fullmatch(v))
            ),
        ),
        (
            "encryptionKey",
            "encryption_key",
            lambda v: isinstance(v, str) and bool(_HEX_KEY.fullmatch(v)),
        ),
        (
            "manufacturerDeviceKey",
            "manufacturer_device_key",
            lambda v: isinstance(v, str) and len(v) <= MAX_DEVICE_KEY_CHARS,
        ),
    )
    values: list[str] = []
    for name, reason, ok in checks:
        present, value = _field(item, name)
        if not present:
            return Rejection(index, echo, f"missing_{reason}")
        if not ok(value):
            return Rejection(index, echo, f"bad_{reason}")
        values.append(value)
    manufacturer_key, encryption_key, device_key = values
    return RecalcMeter(device_id, manufacturer_key, encryption_key.upper(), device_key)


def parse_command(payload: bytes | str) -> Command:
    """Validate a whole ``sensors/set`` message; any fault rejects all of it."""
    raw = payload.encode() if isinstance(payload, str) else payload
    if len(raw) > MAX_COMMAND_BYTES:
        return Command(error="too_large")
    try:
        document = json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        return Command(error="not_json")
    if not isinstance(document, list):
        return Command(error="not_a_list")
    if len(document) > MAX_COMMAND_METERS:
        return Command(error="too_many_meters")
    meters: list[RecalcMeter] = []
    rejected: list[Rejection] = []
    seen: set[str] = set()
    for index, item in enumerate(document):
        parsed = _parse_item(index, item)
        if isinstance(parsed, Rejection):
            rejected.append(parsed)
        elif parsed.device_id in seen:
            rejected.append(Rejection(index, parsed.device_id, "duplicate_device_id"))
        else:
            seen.add(parsed.device_id)
            meters.append(parsed)
    if rejected:
        return Command(error="invalid_items", rejected=tuple(rejected))
    return Command(meters=tuple(meters))


# --- meter set diff --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeterSetChange:
    """What applying a valid command does to the configured meters."""

    add: tuple[RecalcMeter, ...] = ()
    update: tuple[RecalcMeter, ...] = ()
    remove: tuple[str, ...] = ()
    # User meters ReCalc listed: mirrored under ReCalc's names, key and origin untouched.
    claim_user: tuple[RecalcMeter, ...] = ()
    notes: tuple[Rejection, ...] = ()


def diff_meter_set(
    wanted: Iterable[RecalcMeter],
    recalc_meters: Mapping[str, RecalcMeter],
    user_keys: Mapping[str, str],
    elsewhere: Iterable[str] = (),
) -> MeterSetChange:
    """Make the ReCalc-managed meters exactly ``wanted``; the user's meters are never touched.

    ``recalc_meters``: the ReCalc-origin meters configured now, by id. ``user_keys``: the
    user-added meters' keys (upper-case hex), by id. ``elsewhere``: ids configured on
    another stick, which this entry leaves alone.
    """
    other_sticks = set(elsewhere)
    add: list[RecalcMeter] = []
    update: list[RecalcMeter] = []
    claim: list[RecalcMeter] = []
    notes: list[Rejection] = []
    listed: set[str] = set()
    for index, meter in enumerate(wanted):
        listed.add(meter.device_id)
        if meter.device_id in user_keys:
            claim.append(meter)
            if user_keys[meter.device_id].upper() != meter.encryption_key:
                notes.append(Rejection(index, meter.device_id, "user_meter_key_kept"))
        elif meter.device_id in other_sticks:
            notes.append(Rejection(index, meter.device_id, "configured_on_another_stick"))
        elif (current := recalc_meters.get(meter.device_id)) is None:
            add.append(meter)
        elif current != meter:
            update.append(meter)
    remove = tuple(mid for mid in recalc_meters if mid not in listed)
    return MeterSetChange(tuple(add), tuple(update), remove, tuple(claim), tuple(notes))


# --- messages --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Topics:
    """The topics of one gateway id under one prefix."""

    prefix: str
    gateway_id: str

    @property
    def command(self) -> str:
        """Where ReCalc sends the meter set."""
        return f"{self.prefix}/{self.gateway_id}/sensors/set"

    @property
    def ack(self) -> str:
        """Where the outcome of each command goes."""
        return f"{self.prefix}/{self.gateway_id}/sensors/ack"

    stop: str = "STOP"

    def meter(self, manufacturer_key: str, device_id: str, kind: str) -> str:
        """A meter's ``config`` or ``data`` topic."""
        return f"{self.prefix}/{self.gateway_id}/{manufacturer_key}-{device_id}/{kind}"


# A queued message: (topic, payload). Tuples of str are immutable, so a tuple of them is a
# snapshot that the Store may serialise in any thread.
type Message = tuple[str, str]


def config_message(
    topics: Topics, manufacturer_key: str, device_id: str, *, plan: ChannelPlan
) -> Message:
    """The channel configuration of a meter of the plan's type (ReCalc MQTT API v2, "config")."""
    return topics.meter(manufacturer_key, device_id, "config"), plan.config_payload


def format_timestamp(received_at: datetime) -> str:
    """Reception time in UTC with whole seconds and a literal Z."""
    return received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def data_messages(
    topics: Topics,
    manufacturer_key: str,
    device_id: str,
    values: Mapping[str, Any],
    received_at: datetime,
    *,
    plan: ChannelPlan,
) -> list[Message]:
    """One message per declared channel the reading carries (ReCalc MQTT API v2, "data").

    In the plan's channel order; a channel whose field the reading lacks sends nothing.
    """
    topic = topics.meter(manufacturer_key, device_id, "data")
    timestamp = format_timestamp(received_at)
    return [
        (
            topic,
            json.dumps(
                {
                    "channelNumber": channel.number,
                    "aggregateType": "Raw",
                    "dataType": channel.data_type,
                    "value": values[channel.field_key],
                    "timestamp": timestamp,
                }
            ),
        )
        for channel in plan.channels
        if values.get(channel.field_key) is not None
    ]


def _rejection_json(rejection: Rejection) -> dict[str, Any]:
    return {"index": rejection.index, "deviceId": rejection.device_id, "reason": rejection.reason}


def ack_message(topics: Topics, command: Command, change: MeterSetChange | None = None) -> Message:
    """The acknowledgement of a command (format in this module's docstring)."""
    if not command.valid:
        body: dict[str, Any] = {
            "status": "rejected",
            "error": command.error,
            "rejected": [_rejection_json(r) for r in command.rejected],
        }
    else:
        change = change or MeterSetChange()
        body = {
            "status": "accepted",
            "meters": len(command.meters),
            "added": [m.device_id for m in change.add],
            "updated": [m.device_id for m in change.update],
            "removed": list(change.remove),
            "notes": [_rejection_json(n) for n in change.notes],
        }
    return topics.ack, json.dumps(body)
