"""The ReCalc bridge in Home Assistant: MQTT wrappers, meter subentries, Store, repair issue.

The protocol side (validation, diff, messages, outbox, flushing) is ``protocol.py`` and
``outbox.py`` and knows nothing of Home Assistant. This module feeds it: Home Assistant's MQTT
integration (never a connection of our own) through ``mqtt.async_publish`` /
``mqtt.async_subscribe``, the connection status, the gateway's readings, and the entry's meter
subentries, which a valid ReCalc command adds, updates and removes (the entry's update listener
applies them live).

Decisions:
- The bridge runs only while an MQTT config entry is loaded; without one it stays idle with the
  ``recalc_no_mqtt`` repair issue and starts by itself when MQTT is loaded. Idle means nothing
  is queued either: readings wait in the outbox only while the link is attached (MQTT loaded,
  subscribed) and its broker connection is down. "Never lose a reading" protects a running
  conversation with ReCalc against outages; before MQTT exists ReCalc has not sent its meter
  set, and a queue filled for hours would end in dropped messages and stale values replayed.
- ``STOP`` pauses the bridge (no publishing, no queuing, commands ignored) and turns the "ReCalc
  mirroring" switch off; turning it on resumes. The paused state is kept in the Store.
- User meters are mirrored when the option says so, under their manufacturer code in lower
  case from their latest reading (``kam`` until one has been heard; a config message is sent
  again if the code turns out different). A user meter that ReCalc lists is mirrored under
  ReCalc's manufacturer key and stays the user's: its key, name and origin never change.
- The outbox is persisted with a Store (atomic writes, delayed saves). The save callback gets
  an immutable snapshot taken in the event loop, so it is correct whether the Store calls it
  in the executor (2025.4) or in the loop (2025.12 and later).
- At Home Assistant's stop the Store's own FINAL_WRITE listener writes the outbox; the bridge
  only hands it a fresh snapshot (at STOP and on every change while stopping). A write of our
  own at FINAL_WRITE withdrew the Store's listener while the bus was calling it, and core
  logged "Unable to remove unknown job listener".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send

from ..const import (
    CONF_ORIGIN,
    CONF_PORT,
    CONF_RECALC_ENABLED,
    CONF_RECALC_GATEWAY_ID,
    CONF_RECALC_MANUFACTURER_KEY,
    CONF_RECALC_MIRROR_USER_METERS,
    CONF_RECALC_PREFIX,
    CONF_RECALC_PROFILE,
    DEFAULT_RECALC_PREFIX,
    DOMAIN,
    ORIGIN_RECALC,
)
from .channel_files import ChannelFiles
from .channel_plans import DEFAULT_PROFILE, ChannelPlan
from .outbox import Outbox, RecalcLink
from .protocol import (
    Command,
    Message,
    RecalcMeter,
    Topics,
    ack_message,
    config_message,
    data_messages,
    diff_meter_set,
    parse_command,
)
from .state_store import SAVE_DELAY_S, Snapshot, StateStore
from .subentries import (
    apply_meter_set,
    meter_subentries,
    meters_by_origin,
    meters_elsewhere,
)

if TYPE_CHECKING:
    from ..gateway import Gateway
    from ..signals import MeterReading

_LOGGER = logging.getLogger(__name__)

MQTT_DOMAIN = "mqtt"
# Manufacturer key of a mirrored user meter before its first reading says otherwise.
DEFAULT_MANUFACTURER_KEY = "kam"


def signal_recalc(entry_id: str) -> str:
    """Dispatcher signal for the bridge's state, outbox size and counters."""
    return f"{DOMAIN}_{entry_id}_recalc"


def recalc_issue_id(entry_id: str) -> str:
    """Repair issue id of a bridge waiting for MQTT."""
    return f"recalc_no_mqtt_{entry_id}"


class RecalcBridge:
    """Mirrors one stick entry's meters to ReCalc and takes ReCalc's meter set."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, hub: Gateway) -> None:
        self.hass = hass
        self.entry = entry
        self.hub = hub
        self.outbox = Outbox()
        self.paused = False
        # User meters ReCalc listed: id -> (manufacturer key, device key); the bridge's own state.
        self.claimed: dict[str, tuple[str, str]] = {}
        self.link: RecalcLink | None = None
        self._state = StateStore(hass, entry.entry_id, self._snapshot)
        self._task: asyncio.Task[None] | None = None
        self._listeners: list[CALLBACK_TYPE] = []
        self._connection_status_followed = False
        # Meter id -> (manufacturer key, config payload) last queued: a change of either (a
        # new key, a meter found to be of another type, an edited channel file) re-announces.
        self._config_sent: dict[str, tuple[str, str]] = {}
        self._unplanned: set[tuple[str, str]] = set()  # (meter, type) without channels, logged
        self.channels = ChannelFiles(hass, entry.entry_id, self._channel_plans_changed)
        self._notify_pending = False
        self._attach_lock = asyncio.Lock()
        # Set once by async_stop: tasks created before it (an MQTT state change, a command)
        # may still run afterwards and must neither subscribe again nor touch the Store.
        self._stopped = False

    # --- lifecycle ----------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load the persisted outbox and start following MQTT and the gateway."""
        await self.channels.async_start()
        stored = await self._state.async_load()
        if stored:
            self.outbox.restore(stored.get("outbox", []), int(stored.get("dropped", 0)))
            self.paused = bool(stored.get("paused", False))
            self.claimed = {
                mid: (names[0], names[1]) for mid, names in stored.get("claimed", {}).items()
            }
        self._listeners += [
            self.hub.add_reading_listener(self._on_reading),
            async_dispatcher_connect(
                self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._on_config_entry_changed
            ),
        ]
        await self._async_apply_options()

    async def async_stop(self) -> None:
        """Stop publishing and write the outbox now (an unload or a removed entry)."""
        self._stopped = True
        self.channels.stop()
        while self._listeners:
            self._listeners.pop()()
        self._state.stop_saving()
        async with self._attach_lock:  # not while an attach is half done
            await self._async_detach()
            self.link = None
        await self._state.async_save_final()
        ir.async_delete_issue(self.hass, DOMAIN, recalc_issue_id(self.entry.entry_id))

    @property
    def enabled(self) -> bool:
        """Whether the options turn the bridge on (with a gateway id)."""
        options = self.entry.options
        return bool(options.get(CONF_RECALC_ENABLED) and options.get(CONF_RECALC_GATEWAY_ID))

    @property
    def state(self) -> str:
        """One word for diagnostics: disabled, paused, no_mqtt, connected or disconnected."""
        if not self.enabled:
            return "disabled"
        if self.paused:
            return "paused"
        if self.link is None or not self.link.attached:
            return "no_mqtt"
        return "connected" if self.link.connected else "disconnected"

    def _topics(self) -> Topics:
        options = self.entry.options
        return Topics(
            str(options.get(CONF_RECALC_PREFIX) or DEFAULT_RECALC_PREFIX),
            str(options.get(CONF_RECALC_GATEWAY_ID, "")),
        )

    async def async_entry_updated(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Options or subentries changed: follow new topics, mirror newly added meters.

        The ReCalc entities follow the options too (added or removed on this notice).
        """
        await self._async_apply_options()
        self._notify()
        if self.link is not None and self.link.attached and not self.paused:
            self._queue_missing_configs()

    async def _async_apply_options(self) -> None:
        if self._stopped:
            return
        if not self.enabled:
            await self._async_detach()
            self.link = None
            ir.async_delete_issue(self.hass, DOMAIN, recalc_issue_id(self.entry.entry_id))
            self._notify()
            return
        topics = self._topics()
        if self.link is not None and self.link.topics != topics:
            await self._async_detach()
            self.link = None
        if self.link is None:
            self.link = RecalcLink(
                topics,
                self.outbox,
                publish=self._publish,
                subscribe=self._subscribe,
                on_command=self._on_command,
                on_stop=self._on_stop,
                on_outbox_change=self._outbox_changed,
            )
            self.link.set_paused(self.paused)
            self._config_sent.clear()
            self._task = self.hass.async_create_background_task(
                self.link.run(), f"{DOMAIN} ReCalc outbox {self.entry.entry_id}"
            )
        await self._async_follow_mqtt()

    # --- MQTT presence and connection ---------------------------------------------------

    def _mqtt_loaded(self) -> bool:
        return any(
            e.state is ConfigEntryState.LOADED
            for e in self.hass.config_entries.async_entries(MQTT_DOMAIN)
        )

    def _follow_connection_status(self) -> None:
        """Hear MQTT's connection come and go, from the first attach on.

        Not at start: importing Home Assistant's mqtt package needs its client library
        (paho-mqtt), which Home Assistant installs only once an MQTT entry is set up, and a
        stick without ReCalc must load on a Home Assistant that never had MQTT.
        """
        if self._connection_status_followed:
            return
        from homeassistant.components import mqtt  # noqa: PLC0415 - loaded: an entry is

        self._listeners.append(
            mqtt.async_subscribe_connection_status(self.hass, self._on_connection)
        )
        self._connection_status_followed = True

    def _mqtt_connected(self) -> bool:
        from homeassistant.components import mqtt  # noqa: PLC0415

        try:
            return mqtt.is_connected(self.hass)
        except KeyError:  # MQTT never set up in this run
            return False

    @callback
    def _on_config_entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry) -> None:
        if entry.domain == MQTT_DOMAIN:
            self.hass.async_create_task(self._async_follow_mqtt(), eager_start=False)

    async def _async_follow_mqtt(self) -> None:
        """Attach when an MQTT entry is loaded, detach when none is; say why when idle."""
        async with self._attach_lock:
            link = self.link
            if link is None or self._stopped:
                return
            issue_id = recalc_issue_id(self.entry.entry_id)
            if not self._mqtt_loaded():
                if link.attached:
                    _LOGGER.info("MQTT is gone; ReCalc mirroring waits for it")
                    self._detach_link(link)
                link.set_connected(False)
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue_id,
                    is_fixable=False,
                    severity=ir.IssueSeverity.WARNING,
                    translation_key="recalc_no_mqtt",
                    translation_placeholders={"port": self.entry.data[CONF_PORT]},
                )
                self._notify()
                return
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            if link.attached:
                return
            try:
                await link.attach()
            except HomeAssistantError as err:
                _LOGGER.warning("Cannot subscribe to ReCalc's topics yet: %s", err)
                return
            _LOGGER.info("ReCalc mirroring on %s", link.topics.command)
            self._follow_connection_status()
            link.set_connected(self._mqtt_connected())
            if not self.paused:
                self._queue_missing_configs(resend=True)
            self._notify()

    def _detach_link(self, link: RecalcLink) -> None:
        try:
            link.detach()
        except (HomeAssistantError, KeyError) as err:  # MQTT already torn down
            _LOGGER.debug("Unsubscribing after MQTT went away: %s", err)

    async def _async_detach(self) -> None:
        if self.link is not None:
            self._detach_link(self.link)
            self.link.set_connected(False)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @callback
    def _on_connection(self, connected: bool) -> None:
        if self.link is not None and self.link.attached:
            self.link.set_connected(connected)
            self._notify()

    async def _publish(self, topic: str, payload: str, qos: int) -> None:
        from homeassistant.components import mqtt  # noqa: PLC0415

        await mqtt.async_publish(self.hass, topic, payload, qos=qos, retain=False)

    async def _subscribe(self, topic: str, handler: Callable[[bytes], None]) -> Callable[[], None]:
        from homeassistant.components import mqtt  # noqa: PLC0415

        @callback
        def received(message: Any) -> None:
            payload = message.payload
            handler(payload if isinstance(payload, bytes) else str(payload).encode())

        return await mqtt.async_subscribe(self.hass, topic, received, qos=1, encoding=None)

    # --- pause (STOP and the switch) ----------------------------------------------------

    @callback
    def _on_stop(self, _payload: bytes) -> None:
        if self.paused:
            return
        _LOGGER.warning("ReCalc sent STOP: mirroring is paused until switched on again")
        self.set_paused(True)

    @callback
    def set_paused(self, paused: bool) -> None:
        """Pause (STOP, switch off) or resume (switch on) the bridge; kept across restarts."""
        if paused == self.paused:
            return
        self.paused = paused
        if self.link is not None:
            self.link.set_paused(paused)
            if not paused and self.link.attached:
                self._queue_missing_configs(resend=True)
        self._state.schedule(0)
        self._notify()

    # --- meters ------------------------------------------------------------------------

    def _mirrored(self) -> dict[str, str]:
        """Meter id -> manufacturer key of every meter mirrored to ReCalc."""
        mirror_user = self.entry.options.get(CONF_RECALC_MIRROR_USER_METERS, True)
        mirrored: dict[str, str] = {}
        for meter_id, sub in meter_subentries(self.entry).items():
            if sub.data.get(CONF_ORIGIN) == ORIGIN_RECALC:
                mirrored[meter_id] = sub.data[CONF_RECALC_MANUFACTURER_KEY]
            elif meter_id in self.claimed:
                mirrored[meter_id] = self.claimed[meter_id][0]
            elif mirror_user:
                mirrored[meter_id] = self._user_manufacturer_key(meter_id)
        return mirrored

    def _user_manufacturer_key(self, meter_id: str) -> str:
        meter = self.hub.meters.get(meter_id)
        if meter is not None and meter.manufacturer is not None:
            return meter.manufacturer.lower()
        return DEFAULT_MANUFACTURER_KEY

    def _queue_missing_configs(self, *, resend: bool = False) -> None:
        """Config messages for mirrored meters that have none under their current key."""
        if self.link is None:
            return
        if resend:
            self._config_sent.clear()
        mirrored = self._mirrored()
        # A meter no longer mirrored (removed, or the option turned off) is announced again
        # if it comes back.
        for meter_id in self._config_sent.keys() - mirrored.keys():
            del self._config_sent[meter_id]
        messages: list[Message] = []
        for meter_id, manufacturer_key in mirrored.items():
            plan = self._plan_of_meter(meter_id)
            if plan is not None and self._config_sent.get(meter_id) != (
                manufacturer_key,
                plan.config_payload,
            ):
                self._config_sent[meter_id] = (manufacturer_key, plan.config_payload)
                messages.append(
                    config_message(self.link.topics, manufacturer_key, meter_id, plan=plan)
                )
        if messages:
            self.link.queue(messages)

    def _plan_of_meter(self, meter_id: str) -> ChannelPlan | None:
        """The channels of a mirrored meter.

        Of its type as its telegrams say, else as ReCalc's command said (kept in the
        subentry), else OmniPower's (the original gateway's only type).
        """
        meter = self.hub.meters.get(meter_id)
        if meter is not None and meter.profile is not None:
            profile = meter.profile
        else:
            sub = meter_subentries(self.entry).get(meter_id)
            profile = str(sub.data.get(CONF_RECALC_PROFILE) or DEFAULT_PROFILE) if sub else ""
        return self._plan(meter_id, profile or DEFAULT_PROFILE)

    def _plan(self, meter_id: str, profile: str) -> ChannelPlan | None:
        plan = self.channels.plans.get(profile)
        if plan is None and (meter_id, profile) not in self._unplanned:
            self._unplanned.add((meter_id, profile))
            _LOGGER.info(
                "ReCalc: no channels for meter %s of type %s; it is mirrored once a channel "
                "file %s exists",
                meter_id,
                profile,
                self.channels.user_path(profile),
            )
        return plan

    def _profile_for_command(self, meter: RecalcMeter) -> str:
        """The meter type a ReCalc command means.

        The meter's telegram if it has been heard, else the channel file naming ReCalc's
        manufacturerDeviceKey, else OmniPower.
        """
        profile = self.hub.heard.profile_of(meter.device_id, bytes.fromhex(meter.encryption_key))
        if profile is not None:
            return profile
        for name, plan in sorted(self.channels.plans.items()):
            if plan.names_device(meter.device_key):
                return name
        return DEFAULT_PROFILE

    @callback
    def _channel_plans_changed(self) -> None:
        """A channel file changed: announce the meters whose channels are now different."""
        self._unplanned.clear()
        if self.link is not None and self.link.attached and not self.paused:
            self._queue_missing_configs()

    @callback
    def _on_reading(self, meter_reading: MeterReading) -> None:
        link = self.link
        # Idle without MQTT: nothing is queued until an MQTT entry is loaded and the link is
        # attached (the outbox covers outages of a running link, see the module docstring).
        if link is None or self.paused or not link.attached:
            return
        reading = meter_reading.reading
        sub = meter_subentries(self.entry).get(reading.meter_id)
        if sub is None or meter_reading.subentry_id != sub.subentry_id:
            return  # not mirrored, or the other meter with these digits
        if sub.data.get(CONF_ORIGIN) == ORIGIN_RECALC:
            manufacturer_key = sub.data[CONF_RECALC_MANUFACTURER_KEY]
        elif reading.meter_id in self.claimed:
            manufacturer_key = self.claimed[reading.meter_id][0]
        elif self.entry.options.get(CONF_RECALC_MIRROR_USER_METERS, True):
            manufacturer_key = reading.manufacturer.lower()
        else:
            return
        plan = self._plan(reading.meter_id, reading.profile)
        if plan is None:
            return
        messages: list[Message] = []
        if self._config_sent.get(reading.meter_id) != (manufacturer_key, plan.config_payload):
            self._config_sent[reading.meter_id] = (manufacturer_key, plan.config_payload)
            messages.append(
                config_message(link.topics, manufacturer_key, reading.meter_id, plan=plan)
            )
        messages += data_messages(
            link.topics,
            manufacturer_key,
            reading.meter_id,
            # A channel carries a profile's named value or a field of a meter without one.
            {**meter_reading.fields, **reading.values},
            meter_reading.received_at,
            plan=plan,
        )
        link.queue(messages)

    @callback
    def _on_command(self, payload: bytes) -> None:
        if self.paused:
            _LOGGER.info("ReCalc command ignored: mirroring is paused")
            return
        self.hass.async_create_task(self._async_apply_command(payload), eager_start=False)

    async def _async_apply_command(self, payload: bytes) -> None:
        link = self.link
        if link is None:
            return
        command = parse_command(payload)
        if not command.valid:
            _LOGGER.warning(
                "ReCalc command rejected (%s): %s",
                command.error,
                ", ".join(f"item {r.index}: {r.reason}" for r in command.rejected) or "-",
            )
            link.queue([ack_message(link.topics, command)])
            return
        self._apply_meter_set(link, command)

    def _apply_meter_set(self, link: RecalcLink, command: Command) -> None:
        subs = meter_subentries(self.entry)
        recalc_now, user_keys = meters_by_origin(subs)
        elsewhere = meters_elsewhere(self.hass, self.entry)
        change = diff_meter_set(command.meters, recalc_now, user_keys, elsewhere)
        # Configs are queued (and noted as sent) before the subentries change: the entry's
        # update listeners start eagerly and must not announce these meters a second time.
        self.claimed = {m.device_id: (m.manufacturer_key, m.device_key) for m in change.claim_user}
        skipped = {n.device_id for n in change.notes if n.reason == "configured_on_another_stick"}
        profiles = {meter.device_id: self._profile_for_command(meter) for meter in command.meters}
        messages: list[Message] = []
        for meter in command.meters:
            if meter.device_id in skipped:
                continue
            known = self.hub.meters.get(meter.device_id)
            profile = (
                known.profile
                if known is not None and known.profile is not None
                else profiles[meter.device_id]
            )
            plan = self._plan(meter.device_id, profile)
            if plan is None:
                continue
            self._config_sent[meter.device_id] = (meter.manufacturer_key, plan.config_payload)
            messages.append(
                config_message(link.topics, meter.manufacturer_key, meter.device_id, plan=plan)
            )
        link.queue(messages)
        apply_meter_set(self.hass, self.entry, subs, change, profiles)
        for meter_id in change.remove:
            self._config_sent.pop(meter_id, None)
        _LOGGER.info(
            "ReCalc meter set applied: %d meters, added %d, updated %d, removed %d",
            len(command.meters),
            len(change.add),
            len(change.update),
            len(change.remove),
        )
        link.queue([ack_message(link.topics, command, change)])

    # --- persistence and state ----------------------------------------------------------

    def _snapshot(self) -> Snapshot:
        return Snapshot(
            self.outbox.snapshot(),
            self.outbox.dropped,
            self.paused,
            tuple((mid, mkey, dkey) for mid, (mkey, dkey) in sorted(self.claimed.items())),
        )

    @callback
    def _outbox_changed(self) -> None:
        self._state.schedule(SAVE_DELAY_S)
        self._notify()

    @callback
    def _notify(self) -> None:
        """Tell the sensors and the switch, once per loop iteration however many changes."""
        if self._notify_pending:
            return
        self._notify_pending = True

        def send() -> None:
            self._notify_pending = False
            async_dispatcher_send(self.hass, signal_recalc(self.entry.entry_id))

        self.hass.loop.call_soon(send)

    def diagnostics(self) -> dict[str, Any]:
        """State for diagnostics; never a key."""
        link = self.link
        return {
            "state": self.state,
            "topics": None if link is None else {"command": link.topics.command},
            "outbox": len(self.outbox),
            "dropped": self.outbox.dropped,
            "published": self.outbox.published,
            "mirrored_meters": sorted(self._mirrored()) if self.enabled else [],
            "user_meters_listed_by_recalc": sorted(self.claimed),
        }
