"""ReCalc (ReMoni API v2) over MQTT: the protocol side, with no Home Assistant import.

What lives here: validating a ``sensors/set`` command as a whole, the diff between ReCalc's
wanted meter set and the configured meters, the byte-exact config, data and acknowledgement
messages, and the bounded ordered outbox that carries them to MQTT. The Home Assistant glue
(``recalc_bridge.py``) hands in a ``publish`` callable and owns subentries, the Store and the
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

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
from pathlib import Path
import re
from typing import Any, Final

# --- limits ----------------------------------------------------------------------------

# 500 meters with long device keys fit; anything larger is not a meter list.
MAX_COMMAND_BYTES: Final = 256 * 1024
MAX_COMMAND_METERS: Final = 500
MAX_MANUFACTURER_KEY_CHARS: Final = 16
MAX_DEVICE_KEY_CHARS: Final = 128
DEFAULT_OUTBOX_LIMIT: Final = 10_000
QOS_AT_LEAST_ONCE: Final = 1

_DEVICE_ID = re.compile(r"[0-9]{8}")
_HEX_KEY = re.compile(r"[0-9A-Fa-f]{32}")
# A manufacturer key becomes part of a topic level: no separators, wildcards or spaces.
_MANUFACTURER_KEY = re.compile(r"[^/+#\s\x00]+")

# --- channels (ReMoni ReCalc MQTT API v2: channel configuration, measurements) ----------
#
# What a meter type sends to ReCalc is data: a channel plan per meter profile, shipped in
# recalc_channels/<profile>.json and replaced or added by the user with
# <config>/wmbus/recalc/<profile>.yaml (same keys; JSON is YAML too). A plan names, per channel,
# its number, ReCalc DataType, ChannelName and the reading field it carries.

SHIPPED_PLANS_DIR: Final = Path(__file__).parent / "recalc_channels"
DEFAULT_PROFILE: Final = "omnipower"
"""The meter type of a ReCalc meter nothing else tells about (the original gateway's only one)."""
MAX_CHANNELS: Final = 64
_PLAN_KEYS: Final = frozenset({"about", "recalc_device_keys", "channels"})
_CHANNEL_KEYS: Final = frozenset({"number", "data_type", "name", "field"})


@dataclass(frozen=True, slots=True)
class Channel:
    """One ReCalc channel and the reading field it carries."""

    number: int
    data_type: str
    name: str
    field_key: str
    """The reading's value (or field) key the channel carries, "field" in a channel file."""


class ChannelPlanError(ValueError):
    """A channel file that cannot be used; the message says why (never the file's content)."""


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    """The ReCalc channels of one meter type and the config payload they make."""

    profile: str
    channels: tuple[Channel, ...]
    device_keys: tuple[str, ...] = ()
    """Prefixes of ReCalc's manufacturerDeviceKey that name this meter type (any case)."""
    source: str = ""
    config_payload: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        payload = json.dumps(
            {
                "Channels": [
                    {"ChannelNumber": c.number, "DataType": c.data_type, "ChannelName": c.name}
                    for c in self.channels
                ]
            }
        )
        object.__setattr__(self, "config_payload", payload)

    def names_device(self, device_key: str) -> bool:
        """Whether ReCalc's manufacturerDeviceKey says a meter is of this type."""
        folded = device_key.casefold()
        return any(folded.startswith(prefix.casefold()) for prefix in self.device_keys)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ChannelPlanError(f"{what} must be a non-empty text")
    return value


def channel_plan(document: object, profile: str, source: str = "") -> ChannelPlan:
    """Validate a parsed channel file as a whole; raises ChannelPlanError with the reason."""
    if not isinstance(document, Mapping):
        raise ChannelPlanError("the file must be a mapping with a 'channels' list")
    unknown = sorted(str(k) for k in document if k not in _PLAN_KEYS)
    if unknown:
        raise ChannelPlanError(f"unknown key {unknown[0]!r} (known: channels, recalc_device_keys)")
    items = document.get("channels")
    if not isinstance(items, list) or not items:
        raise ChannelPlanError("'channels' must be a non-empty list")
    if len(items) > MAX_CHANNELS:
        raise ChannelPlanError(f"more than {MAX_CHANNELS} channels")
    channels: list[Channel] = []
    for index, item in enumerate(items, start=1):
        where = f"channel {index}"
        if not isinstance(item, Mapping):
            raise ChannelPlanError(f"{where} must be a mapping")
        missing = sorted(_CHANNEL_KEYS - item.keys())
        if missing:
            raise ChannelPlanError(f"{where} lacks {missing[0]!r}")
        extra = sorted(str(k) for k in item if k not in _CHANNEL_KEYS)
        if extra:
            raise ChannelPlanError(f"{where} has an unknown key {extra[0]!r}")
        number = item["number"]
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 255:
            raise ChannelPlanError(f"{where}: number must be a whole number from 1 to 255")
        if any(c.number == number for c in channels):
            raise ChannelPlanError(f"{where}: channel number {number} is used twice")
        channels.append(
            Channel(
                number,
                _text(item["data_type"], f"{where}: data_type"),
                _text(item["name"], f"{where}: name"),
                _text(item["field"], f"{where}: field"),
            )
        )
    device_keys = document.get("recalc_device_keys", [])
    if not isinstance(device_keys, list):
        raise ChannelPlanError("'recalc_device_keys' must be a list of texts")
    return ChannelPlan(
        profile,
        tuple(channels),
        tuple(_text(key, "a recalc_device_keys entry") for key in device_keys),
        source,
    )


def load_shipped_plans(directory: Path = SHIPPED_PLANS_DIR) -> dict[str, ChannelPlan]:
    """The channel plans shipped with the integration, by profile (blocking file I/O).

    A broken shipped file is a bug of the integration: it raises.
    """
    plans: dict[str, ChannelPlan] = {}
    for path in sorted(directory.glob("*.json")):
        plans[path.stem] = channel_plan(
            json.loads(path.read_text(encoding="utf-8")), path.stem, str(path)
        )
    return plans


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


# --- outbox ----------------------------------------------------------------------------


@dataclass(slots=True)
class Outbox:
    """Messages waiting for MQTT, oldest first; bounded, the oldest dropped and counted.

    ``snapshot()`` returns an immutable copy (cached until the next change) for persistence.
    """

    limit: int = DEFAULT_OUTBOX_LIMIT
    dropped: int = 0
    published: int = 0
    _messages: deque[Message] = field(default_factory=deque)
    _snapshot: tuple[Message, ...] | None = None

    def __len__(self) -> int:
        return len(self._messages)

    def extend(self, messages: Iterable[Message]) -> None:
        """Queue messages in order; overflow drops the oldest."""
        for message in messages:
            self._messages.append(message)
        overflow = len(self._messages) - self.limit
        for _ in range(max(overflow, 0)):
            self._messages.popleft()
            self.dropped += 1
        self._snapshot = None

    def head(self, count: int) -> list[Message]:
        """Up to ``count`` messages from the front, not removed."""
        return [self._messages[i] for i in range(min(count, len(self._messages)))]

    def confirm(self, messages: Iterable[Message]) -> None:
        """Remove published messages from the front (those dropped meanwhile are skipped).

        Messages are compared by identity: two equal payloads queued twice stay two messages.
        """
        for message in messages:
            if self._messages and self._messages[0] is message:
                self._messages.popleft()
                self.published += 1
                self._snapshot = None

    def snapshot(self) -> tuple[Message, ...]:
        """The queue as an immutable tuple."""
        if self._snapshot is None:
            self._snapshot = tuple(self._messages)
        return self._snapshot

    def restore(self, messages: Iterable[Iterable[str]], dropped: int) -> None:
        """Put persisted messages back in front of anything queued since (order kept)."""
        queued = list(self._messages)
        self._messages.clear()
        self.extend([(str(t), str(p)) for t, p in messages])
        self.extend(queued)
        self.dropped += dropped


# --- publishing ------------------------------------------------------------------------

type PublishFn = Callable[[str, str, int], Awaitable[None]]

# Messages handed to MQTT at once. They go out in order; a message is removed only once it
# and every message before it are confirmed, so a failure leaves at most this many in flight
# that may arrive twice (QoS 1 is at-least-once anyway). A broker with mosquitto's default
# settings delays each PUBACK by about 40 ms, so the window sets the drain rate: 16 gave
# 370 messages/s there, 64 gives about 1,400 (tools/bench_outbox).
MAX_IN_FLIGHT: Final = 64


async def publish_batch(outbox: Outbox, publish: PublishFn) -> bool:
    """Publish the front of the outbox once; True if all of it was confirmed.

    The confirmed prefix is removed; the first unconfirmed message and everything after it
    stay queued, in order, for the next attempt. A raise from ``publish`` means "not
    confirmed", not "not sent": the message may still arrive, so duplicates are possible.
    """
    batch = outbox.head(MAX_IN_FLIGHT)
    if not batch:
        return True
    results = await asyncio.gather(
        *(publish(topic, payload, QOS_AT_LEAST_ONCE) for topic, payload in batch),
        return_exceptions=True,
    )
    confirmed: list[Message] = []
    for message, result in zip(batch, results, strict=True):
        if isinstance(result, BaseException):
            break
        confirmed.append(message)
    outbox.confirm(confirmed)
    return len(confirmed) == len(batch)


type MessageHandler = Callable[[bytes], None]
type SubscribeFn = Callable[[str, MessageHandler], Awaitable[Callable[[], None]]]

# After a publish that was not confirmed while MQTT still reports a connection.
RETRY_DELAY_S: Final = 1.0


class RecalcLink:
    """One gateway id's conversation with ReCalc: subscriptions, outbox and in-order flushing.

    Publishing is gated on the connection status the caller reports through
    ``set_connected`` (and on ``paused``), not on exceptions alone. ``run`` is the one flushing
    task; the caller starts and cancels it.
    """

    def __init__(
        self,
        topics: Topics,
        outbox: Outbox,
        *,
        publish: PublishFn,
        subscribe: SubscribeFn,
        on_command: MessageHandler,
        on_stop: MessageHandler,
        on_outbox_change: Callable[[], None],
    ) -> None:
        self.topics = topics
        self.outbox = outbox
        self.connected = False
        self.paused = False
        self._publish = publish
        self._subscribe = subscribe
        self._on_command = on_command
        self._on_stop = on_stop
        self._on_outbox_change = on_outbox_change
        self._unsubscribes: list[Callable[[], None]] = []
        self._wake = asyncio.Event()

    @property
    def attached(self) -> bool:
        """Whether the command and STOP topics are subscribed."""
        return bool(self._unsubscribes)

    async def attach(self) -> None:
        """Subscribe to the command and STOP topics (raises what ``subscribe`` raises)."""
        if self.attached:
            return
        self._unsubscribes.append(await self._subscribe(self.topics.command, self._on_command))
        self._unsubscribes.append(await self._subscribe(self.topics.stop, self._on_stop))

    def detach(self) -> None:
        """Drop the subscriptions; queued messages stay queued."""
        while self._unsubscribes:
            self._unsubscribes.pop()()

    def set_connected(self, connected: bool) -> None:
        """Follow MQTT's connection status; a reconnect starts the flush."""
        self.connected = connected
        self._wake.set()

    def set_paused(self, paused: bool) -> None:
        """Pause or resume publishing (the queue is kept)."""
        self.paused = paused
        self._wake.set()

    def queue(self, messages: Iterable[Message]) -> None:
        """Queue messages in order and flush if MQTT can take them."""
        self.outbox.extend(messages)
        self._on_outbox_change()
        self._wake.set()

    def can_publish(self) -> bool:
        """Whether messages may go out now."""
        return self.connected and not self.paused

    async def run(self) -> None:
        """Flush the outbox whenever publishing is possible; runs until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.can_publish() and len(self.outbox):
                complete = await publish_batch(self.outbox, self._publish)
                self._on_outbox_change()
                if not complete:
                    # Not confirmed although MQTT said it was connected: the status change
                    # usually follows; otherwise try again shortly.
                    await asyncio.sleep(RETRY_DELAY_S)
