"""The hub of one home: its receivers, its decoder, and the fan-out of each reading.

The hub is the only owner of the receivers (the entry's own radio and one per ``receiver``
subentry, see ``receivers``) and the decoder for its config entry, and the composition root of
the pieces that each do one job:

- ``meter_table``: the configured meters, binding them to addresses, their keys;
- ``heard``: the meters heard (configured or not), key probing for the flows;
- ``field_store``: which fields each meter has entities for, across restarts;
- ``issues``: the repair issues it raises and withdraws;
- ``signals``: what it sends: dispatcher signals and the ``MeterReading`` they carry;
- ``meter_identity``: a meter's identifier, address and key as its subentry keeps them.

Bytes are decoded exactly once per telegram (``RadioFrame`` -> ``DuplicateFilter`` ->
``Decoder.decode`` -> ``Reading``): the same telegram heard by several receivers within the
filter's window is decoded, counted and delivered once, and its copies only add their
receiver's RSSI to the meter. Each ``MeterReading`` then goes to the meter's entities (a
dispatcher signal per meter) and to the reading listeners (the ReCalc bridge).
Subscribers never call back into the hub: the reading carries what they need.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
import logging
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigSubentry,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.util import dt as dt_util

from .const import (
    CONF_LINK_MODE,
    CONF_PORT,
    CONF_QUIET_AFTER_MIN,
    CONF_RADIO,
    CONF_UNAVAILABLE_AFTER_MIN,
    DEFAULT_QUIET_AFTER_MIN,
    DEFAULT_RADIO,
    DEFAULT_UNAVAILABLE_AFTER_MIN,
    DOMAIN,
    STICK_ISSUE_DELAY_S,
    SUBENTRY_METER,
    SUBENTRY_RECEIVER,
)
from .field_store import FieldStore
from .ha_compat import device_of_entry
from .heard import HeardList, HeardMeter
from .issues import (
    quiet_radio_issue_id,
    raise_radio_quiet,
    raise_stick_disconnected,
    raise_wrong_key,
    stick_issue_id,
    withdraw,
    wrong_key_issue_id,
)
from .meter_fields import (
    reading_fields,
)
from .meter_identity import address_data, manufacturer_name
from .meter_table import MeterRuntime, MeterTable
from .meter_texts import MeterTexts
from .protocol.decoder import Decoder, Reading
from .protocol.duplicates import DuplicateFilter
from .protocol.errors import PayloadCrcMismatch, UnknownMeter, WmbusError
from .protocol.frame import MeterAddress
from .protocol.radios import (
    LinkMode,
    Radio,
    RadioError,
    RadioFrame,
    RadioIdentity,
    RadioKind,
    RadioState,
    build_radio,
    radio_kind,
)
from .protocol.radios.feeds.radio import FeedRadio
from .protocol.radios.registry import NETWORK_RADIOS
from .receivers import (
    MQTT_DOMAIN,
    RECEIVER_RETRY_S,
    Receiver,
    async_subscribe_feed,
    mqtt_loaded,
)
from .signals import (
    MeterReading,
    signal_counters,
    signal_meter,
    signal_meter_rssi,
    signal_new_fields,
    signal_stick,
)

if TYPE_CHECKING:
    from .protocol.radios.serial_radio import OpenSerial

_LOGGER = logging.getLogger(__name__)

# Counters change with every telegram (up to ~220/s at the radio's limit); their sensors are
# written at this pace instead, so a busy neighbourhood does not flood the state machine.
COUNTERS_INTERVAL = timedelta(seconds=10)

# The stick's reconnect backoff (module-level so tests can shorten it).
RECONNECT_INITIAL_DELAY_S = 1.0
RECONNECT_MAX_DELAY_S = 60.0

type ReadingListener = Callable[[MeterReading], None]

# What a telegram's first copy left in the duplicate filter when no configured meter got it.
NOT_DELIVERED = ""
# Receivers remembered per meter for its RSSI list (one per receiver in a home; UDP and MQTT
# feeds name each gateway, so a bound keeps a misbehaving network from growing it).
RSSI_RECEIVERS_LIMIT = 16


class Gateway:
    """Runs the stick and the decoder for one config entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        *,
        open_serial: OpenSerial | None = None,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.decoder = Decoder()
        self.heard = HeardList(self.decoder)
        self.meter_table = MeterTable(self.decoder)
        self.outcomes: Counter[str] = Counter()
        self.duplicates: DuplicateFilter[str] = DuplicateFilter()
        """One filter for every receiver: a telegram heard by several is decoded once."""
        self.receivers: dict[str | None, Receiver] = {}
        """By receiver subentry id; None is the entry's own radio."""
        self._open_serial = open_serial
        self._mqtt_follow: CALLBACK_TYPE | None = None
        self._mqtt_lock = asyncio.Lock()
        self._reading_listeners: list[ReadingListener] = []
        self._counters_timer: CALLBACK_TYPE | None = None
        self._counters_changed = False
        self._fields = FieldStore(hass, entry.entry_id)
        self._texts = MeterTexts({})
        """Words for device models, in Home Assistant's language (loaded at start)."""
        self.radio_kind: RadioKind = radio_kind(entry_radio(entry))
        self.link_mode = entry_link_mode(entry, self.radio_kind)
        self.quiet_after_s = entry_quiet_after(entry)
        self.port: str = entry.data[CONF_PORT]
        own = self._build_receiver(None, self.radio_kind.name, self.port, entry.title)
        self.stick: Radio = own.radio
        """The entry's own radio (its device, counters and repairs are the entry's)."""

    def _build_receiver(
        self, subentry_id: str | None, kind_name: str, address: str, title: str
    ) -> Receiver:
        """A receiver whose frames, states and quiet reports come to this hub."""
        kind = radio_kind(kind_name)
        kwargs: dict[str, Any] = {
            "reconnect_initial_delay_s": RECONNECT_INITIAL_DELAY_S,
            "reconnect_max_delay_s": RECONNECT_MAX_DELAY_S,
            "quiet_after_s": self.quiet_after_s,
        }
        if self._open_serial is not None:
            kwargs["open_serial"] = self._open_serial
        entry_id = self.entry.entry_id
        receiver: Receiver
        # The callbacks name the receiver made right after: a radio calls them once opened.
        radio = build_radio(
            kind.name,
            address,
            link_mode=entry_link_mode(self.entry, kind),
            on_frame=self._on_frame,
            on_state=lambda state: self._on_state(receiver, state),
            on_quiet=lambda quiet: self._on_quiet(receiver, quiet),
            **kwargs,
        )
        receiver = Receiver(
            subentry_id=subentry_id,
            kind=kind,
            address=address,
            radio=radio,
            issue_key=entry_id if subentry_id is None else f"{entry_id}_{subentry_id}",
            title=title,
        )
        self.receivers[subentry_id] = receiver
        return receiver

    @property
    def meters(self) -> dict[str, MeterRuntime]:
        """Configured meters by identifier."""
        return self.meter_table.meters

    # --- lifecycle ----------------------------------------------------------------------

    async def async_start(self) -> None:
        """Open the entry's radio (raises if it cannot), its receivers, load the meters.

        A receiver subentry that cannot open is tried again later: the others read on.
        """
        await self._fields.async_load()
        self._texts = await MeterTexts.load(self.hass)
        self.sync_meters()
        await self._async_open(self.receivers[None])
        await self.async_sync_receivers()
        # MQTT receivers follow Home Assistant's MQTT entry: it may load after this one, be
        # reloaded or removed.
        self._mqtt_follow = async_dispatcher_connect(
            self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._on_config_entry_changed
        )
        self._counters_timer = async_track_time_interval(
            self.hass, self._publish_counters, COUNTERS_INTERVAL
        )

    async def async_stop(self) -> None:
        """Close the stick, cancel every timer and withdraw the repair issues.

        Both issues promise to clear themselves (on reconnect, on a good telegram); a stopped
        hub hears neither, and the next start counts afresh and raises them again if due.
        """
        entry_id = self.entry.entry_id
        if self._mqtt_follow is not None:
            self._mqtt_follow()
            self._mqtt_follow = None
        if self._counters_timer is not None:
            self._counters_timer()
            self._counters_timer = None
        for meter in self.meters.values():
            if meter.expiry is not None:
                meter.expiry()
                meter.expiry = None
            withdraw(self.hass, wrong_key_issue_id(entry_id, meter.identifier))
        await self._fields.async_flush()
        for receiver in list(self.receivers.values()):
            await self._async_close(receiver)

    # --- receivers ----------------------------------------------------------------------

    def receiver_subentries(self) -> dict[str, ConfigSubentry]:
        """The entry's receiver subentries by subentry id."""
        return {
            sid: sub
            for sid, sub in self.entry.subentries.items()
            if sub.subentry_type == SUBENTRY_RECEIVER
        }

    async def async_sync_receivers(self) -> list[str]:
        """Open a radio for each new receiver subentry, close those of removed ones.

        Called at start and by the update listener, so receivers come and go live; the
        entry's own radio and the meters' readings are not touched. Returns the subentry ids
        of the receivers added.
        """
        added: list[str] = []
        wanted = self.receiver_subentries()
        for subentry_id, receiver in list(self.receivers.items()):
            if subentry_id is None:
                continue
            subentry = wanted.get(subentry_id)
            if subentry is None or (
                subentry.data[CONF_RADIO],
                subentry.data[CONF_PORT],
            ) != (receiver.kind.name, receiver.address):
                await self._async_close(receiver)
        for subentry_id, subentry in wanted.items():
            if subentry_id in self.receivers:
                continue
            receiver = self._build_receiver(
                subentry_id,
                subentry.data[CONF_RADIO],
                subentry.data[CONF_PORT],
                subentry.title,
            )
            await self._async_try_open(receiver)
            added.append(subentry_id)
        return added

    async def _async_open(self, receiver: Receiver) -> None:
        """Open a receiver's radio (and its MQTT subscription); raises if it cannot."""
        await receiver.radio.open()
        if isinstance(receiver.radio, FeedRadio):
            try:
                receiver.unsubscribe = await async_subscribe_feed(self.hass, receiver.radio)
            except BaseException:
                await receiver.radio.close()
                raise

    async def _async_try_open(self, receiver: Receiver) -> None:
        """Open a receiver subentry's radio, or try again in a while (logged once a try)."""
        receiver.retry = None
        try:
            await self._async_open(receiver)
        except (OSError, RadioError) as err:
            _LOGGER.warning(
                "Receiver %s did not open (%s); trying again in %.0f s",
                receiver.title,
                err,
                RECEIVER_RETRY_S,
            )

            @callback
            def again(_now: datetime) -> None:
                receiver.retry = None
                if self.receivers.get(receiver.subentry_id) is receiver:
                    self.hass.async_create_task(self._async_try_open(receiver), eager_start=False)

            receiver.retry = async_call_later(self.hass, RECEIVER_RETRY_S, again)
        async_dispatcher_send(self.hass, signal_stick(self.entry.entry_id))

    async def _async_close(self, receiver: Receiver) -> None:
        """Close a receiver, cancel its timers and withdraw its repairs."""
        if self.receivers.get(receiver.subentry_id) is receiver:
            del self.receivers[receiver.subentry_id]
        for cancel in (receiver.retry, receiver.stick_issue_timer, receiver.unsubscribe):
            if cancel is not None:
                cancel()
        receiver.retry = receiver.stick_issue_timer = receiver.unsubscribe = None
        withdraw(self.hass, stick_issue_id(receiver.issue_key))
        withdraw(self.hass, quiet_radio_issue_id(receiver.issue_key))
        await receiver.radio.close()

    @callback
    def _on_config_entry_changed(self, _change: ConfigEntryChange, entry: ConfigEntry) -> None:
        if entry.domain == MQTT_DOMAIN and any(
            isinstance(receiver.radio, FeedRadio) for receiver in self.receivers.values()
        ):
            self.hass.async_create_task(self._async_follow_mqtt(), eager_start=False)

    async def _async_follow_mqtt(self) -> None:
        """Close the MQTT receivers while MQTT is not loaded; open them again once it is.

        A subscription does not outlive the MQTT entry it was made on, so a reloaded MQTT
        entry gets a fresh one (the old one dropped first: one subscription each).
        """
        async with self._mqtt_lock:
            await self._async_follow_mqtt_locked()

    async def _async_follow_mqtt_locked(self) -> None:
        loaded = mqtt_loaded(self.hass)
        for receiver in list(self.receivers.values()):
            if not isinstance(receiver.radio, FeedRadio):
                continue
            if receiver.unsubscribe is not None and not loaded:
                unsubscribe, receiver.unsubscribe = receiver.unsubscribe, None
                try:
                    unsubscribe()
                except (HomeAssistantError, KeyError) as err:  # MQTT already torn down
                    _LOGGER.debug("Unsubscribing after MQTT went away: %s", err)
                await receiver.radio.close()
            elif loaded and receiver.unsubscribe is None and receiver.subentry_id is not None:
                if receiver.retry is not None:
                    receiver.retry()
                    receiver.retry = None
                await self._async_try_open(receiver)

    def receiver_connected(self, subentry_id: str | None) -> bool:
        """Whether the receiver (None: the entry's own) is open and hearing right now."""
        receiver = self.receivers.get(subentry_id)
        return receiver is not None and receiver.radio.state is RadioState.CONNECTED

    # --- configuration ------------------------------------------------------------------

    def needs_reopen(self) -> bool:
        """Whether the entry now asks for another port or link mode than the stick runs with."""
        return (
            self.entry.data[CONF_PORT] != self.port
            or entry_radio(self.entry) != self.radio_kind.name
            or entry_link_mode(self.entry, self.radio_kind) is not self.link_mode
            or entry_quiet_after(self.entry) != self.quiet_after_s
        )

    @property
    def unavailable_after(self) -> timedelta:
        """How long a silent meter keeps its entities available."""
        minutes = self.entry.options.get(CONF_UNAVAILABLE_AFTER_MIN, DEFAULT_UNAVAILABLE_AFTER_MIN)
        return timedelta(minutes=minutes)

    @property
    def identity(self) -> RadioIdentity | None:
        """The radio's identity, once it has answered."""
        return self.stick.identity

    @property
    def connected(self) -> bool:
        """Whether the radio is open and configured right now."""
        return self.stick.state is RadioState.CONNECTED

    def meter_subentries(self) -> dict[str, ConfigSubentry]:
        """The entry's meter subentries by subentry id."""
        return {
            sid: sub
            for sid, sub in self.entry.subentries.items()
            if sub.subentry_type == SUBENTRY_METER
        }

    @callback
    def sync_meters(self) -> tuple[list[str], list[str]]:
        """Bring the decoder and the meter table in line with the subentries.

        Returns the subentry ids added and removed, so the platforms can add entities live
        instead of reloading the entry (which would reopen the stick).
        """
        changes = self.meter_table.sync(self.meter_subentries())
        if changes.added or changes.removed:
            # A telegram the filter holds as not delivered may now have a meter (and a key).
            self.duplicates.clear()
        for meter in changes.removed:
            self._forget_meter(meter)
        for meter in changes.added:
            self._fields.restore(meter)
            # A restart must not blank restored values at once: a meter gets one full
            # window to be heard before its entities go unavailable.
            self._schedule_expiry(meter)
        return (
            [meter.subentry_id for meter in changes.added],
            [meter.subentry_id for meter in changes.removed],
        )

    def _bind(self, meter: MeterRuntime, address: MeterAddress) -> None:
        """Bind a meter known by its digits to the address its key just decoded."""
        self.meter_table.bind(meter, address)
        _LOGGER.info("Meter %s is bound to its address %s", meter.meter_id, address)
        subentry = self.entry.subentries.get(meter.subentry_id)
        if subentry is not None:
            # The entry's update listener finds runtime and subentry agreeing: no re-key.
            self.hass.config_entries.async_update_subentry(
                self.entry, subentry, data={**subentry.data, **address_data(address)}
            )

    def _forget_meter(self, meter: MeterRuntime) -> None:
        if meter.expiry is not None:
            meter.expiry()
        if self._fields.holds(meter.identifier):
            self._fields.save(self.meters.values())
        withdraw(self.hass, wrong_key_issue_id(self.entry.entry_id, meter.identifier))

    # --- listeners ----------------------------------------------------------------------

    @callback
    def add_reading_listener(self, listener: ReadingListener) -> CALLBACK_TYPE:
        """Call ``listener`` with every reading of a configured meter; returns the remover."""
        self._reading_listeners.append(listener)

        @callback
        def remove() -> None:
            self._reading_listeners.remove(listener)

        return remove

    # --- radio --------------------------------------------------------------------------

    @callback
    def _on_state(self, receiver: Receiver, state: RadioState) -> None:
        _LOGGER.debug("Receiver %s: %s", receiver.address, state)
        if state is RadioState.CONNECTED:
            if receiver.lost_at is not None:
                _LOGGER.info("Receiver at %s is back", receiver.address)
                receiver.lost_at = None
            if receiver.stick_issue_timer is not None:
                receiver.stick_issue_timer()
                receiver.stick_issue_timer = None
            withdraw(self.hass, stick_issue_id(receiver.issue_key))
        elif state is RadioState.DISCONNECTED and receiver.stick_issue_timer is None:
            _LOGGER.warning("Lost the receiver at %s; reconnecting", receiver.address)
            receiver.lost_at = dt_util.utcnow()

            @callback
            def raise_issue(_now: datetime) -> None:
                receiver.stick_issue_timer = None
                if receiver.radio.state is not RadioState.CONNECTED:
                    raise_stick_disconnected(self.hass, receiver.issue_key, receiver.address)

            receiver.stick_issue_timer = async_call_later(
                self.hass, STICK_ISSUE_DELAY_S, raise_issue
            )
        async_dispatcher_send(self.hass, signal_stick(self.entry.entry_id))

    @callback
    def _on_quiet(self, receiver: Receiver, quiet: bool) -> None:
        """The radio stayed quiet after being re-initialised (True), or hears again (False).

        The radio itself logged the re-initialisation once; the repair says it did not help
        and goes by itself with the next telegram.
        """
        if not quiet:
            _LOGGER.info("The radio at %s hears telegrams again", receiver.address)
            withdraw(self.hass, quiet_radio_issue_id(receiver.issue_key))
            return
        if receiver.kind.name in NETWORK_RADIOS:
            # Nothing to restart on the network: reported after one quiet period.
            raise_radio_quiet(
                self.hass,
                receiver.issue_key,
                receiver.address,
                receiver.kind.title,
                round((self.quiet_after_s or 0) / 60),
                translation_key="network_receiver_quiet",
            )
        else:
            raise_radio_quiet(
                self.hass,
                receiver.issue_key,
                receiver.address,
                receiver.kind.title,
                round(2 * (self.quiet_after_s or 0) / 60),
            )
        async_dispatcher_send(self.hass, signal_stick(self.entry.entry_id))

    @callback
    def _on_frame(self, frame: RadioFrame) -> None:
        """One frame from any receiver: a copy only adds its RSSI; the first is decoded."""
        now_s = time.monotonic()
        first = self.duplicates.copy_of(frame.telegram, now_s)
        if first is not None:
            # Counted as the decoder counts a meter's repeated telegram: heard, not new.
            self._count("duplicate")
            if first != NOT_DELIVERED and (meter := self.meters.get(first)) is not None:
                self._note_rssi(meter, frame)
                async_dispatcher_send(
                    self.hass, signal_meter_rssi(self.entry.entry_id, meter.identifier)
                )
            return
        delivered = self._decode(frame)
        self.duplicates.keep(frame.telegram, now_s, delivered)

    def _note_rssi(self, meter: MeterRuntime, frame: RadioFrame) -> None:
        """Keep a receiver's latest RSSI for the meter (its RSSI sensor shows them all)."""
        rssi = meter.rssi_by_receiver
        if frame.receiver not in rssi and len(rssi) >= RSSI_RECEIVERS_LIMIT:
            del rssi[next(iter(rssi))]
        rssi[frame.receiver] = frame.rssi_dbm

    def _decode(self, frame: RadioFrame) -> str:
        """Decode and deliver; the identifier of the meter it went to, or NOT_DELIVERED."""
        try:
            reading = self.decoder.decode(frame.telegram)
        except UnknownMeter as err:
            self.heard.note(err.address, frame)
            self._count(err.kind)
            return NOT_DELIVERED
        except PayloadCrcMismatch as err:  # WrongKey too: a run of them
            self._count(err.kind)
            if err.header is not None:
                self.heard.note(err.header.address, frame, err.header)
                self._payload_check_failed(err.header.address)
            return NOT_DELIVERED
        except WmbusError as err:
            self._count(err.kind)
            if err.header is not None:
                self.heard.note(err.header.address, frame, err.header)
            _LOGGER.debug("Dropped telegram: %s", err)
            return NOT_DELIVERED
        self._count("decoded")
        self.heard.note(reading.address, frame)
        meter = self.meter_table.meter_for(reading.address)
        if meter is None:  # keys are only set for configured meters
            return NOT_DELIVERED
        if meter.address is None:
            self._bind(meter, reading.address)
        self._note_rssi(meter, frame)
        self._deliver(meter, reading, frame)
        return meter.identifier

    def _deliver(self, meter: MeterRuntime, reading: Reading, frame: RadioFrame) -> None:
        """Hand a configured meter's reading to its entities and the reading listeners."""
        shown = reading_fields(reading)
        meter_reading = MeterReading(
            reading,
            frame.rssi_dbm,
            frame.received_at,
            {key: value for key, (_field, value) in shown.items()},
            identifier=meter.identifier,
            subentry_id=meter.subentry_id,
        )
        meter.last_reading = meter_reading
        if (meter.profile, meter.manufacturer) != (reading.profile, reading.manufacturer):
            meter.profile = reading.profile
            meter.manufacturer = reading.manufacturer
            self._fields.save(self.meters.values())
        new = self._fields.learn(meter, reading, shown, self.meters.values())
        if new is not None:
            async_dispatcher_send(self.hass, signal_new_fields(self.entry.entry_id), new)
        meter.last_heard = frame.received_at
        if meter.wrong_key_reported:
            meter.wrong_key_reported = False
            withdraw(self.hass, wrong_key_issue_id(self.entry.entry_id, meter.identifier))
        if not meter.available:
            _LOGGER.info("Meter %s is heard again", meter.meter_id)
        meter.available = True
        self._schedule_expiry(meter)
        if meter.model != reading.model:
            meter.model = reading.model
            self._describe_meter_device(meter, reading)
        async_dispatcher_send(
            self.hass, signal_meter(self.entry.entry_id, meter.identifier), meter_reading
        )
        for listener in list(self._reading_listeners):
            listener(meter_reading)

    def _describe_meter_device(self, meter: MeterRuntime, reading: Reading) -> None:
        """Record on the meter's device what its telegrams say it is."""
        device_registry = dr.async_get(self.hass)
        device = device_of_entry(device_registry, (DOMAIN, meter.identifier), self.entry.entry_id)
        if device is not None:
            device_registry.async_update_device(
                device.id,
                manufacturer=manufacturer_name(reading.manufacturer),
                # In Home Assistant's language where the model is a description.
                model=self._texts.model(
                    reading.model,
                    reading.profile,
                    manufacturer_name(reading.manufacturer),
                    reading.device_type,
                ),
            )

    def _count(self, outcome: str) -> None:
        self.outcomes[outcome] += 1
        self._counters_changed = True

    @callback
    def _publish_counters(self, _now: datetime) -> None:
        if self._counters_changed:
            self._counters_changed = False
            async_dispatcher_send(self.hass, signal_counters(self.entry.entry_id))

    def _payload_check_failed(self, address: MeterAddress) -> None:
        """A telegram failed its payload check: raise the wrong-key repair once it is due."""
        meter = self.meter_table.key_looks_wrong(address, self.heard)
        if meter is None:
            return
        meter.wrong_key_reported = True
        _LOGGER.warning(
            "Meter %s: telegrams keep failing the payload check; is the AES key wrong?",
            meter.meter_id,
        )
        raise_wrong_key(
            self.hass, self.entry.entry_id, meter.identifier, meter.meter_id, meter.subentry_id
        )

    # --- availability -------------------------------------------------------------------

    def _schedule_expiry(self, meter: MeterRuntime) -> None:
        if meter.expiry is not None:
            meter.expiry()

        @callback
        def expire(_now: datetime) -> None:
            meter.expiry = None
            meter.available = False
            _LOGGER.info(
                "Meter %s has not been heard for %s; its sensors are unavailable",
                meter.meter_id,
                self.unavailable_after,
            )
            async_dispatcher_send(
                self.hass, signal_meter(self.entry.entry_id, meter.identifier), None
            )

        meter.expiry = async_call_later(self.hass, self.unavailable_after, expire)

    @callback
    def reschedule_expiries(self) -> None:
        """Apply a changed availability window to every meter."""
        for meter in self.meters.values():
            if meter.available:
                self._schedule_expiry(meter)

    # --- for flows and repairs ----------------------------------------------------------

    def unconfigured_heard(self) -> list[HeardMeter]:
        """Heard meters that are not configured yet, most recently heard first."""
        return self.heard.unconfigured(self.meter_table.meter_for)

    def counters(self) -> Mapping[str, int]:
        """Telegram outcomes plus the stick's own counters and the copies dropped."""
        return {
            **self.stick.counters,
            **self.outcomes,
            "duplicates_dropped": self.duplicates.duplicates,
        }


def entry_radio(entry: ConfigEntry) -> str:
    """The kind of radio of an entry (iM871A for entries from before there were others)."""
    return str(entry.data.get(CONF_RADIO, DEFAULT_RADIO))


def entry_link_mode(entry: ConfigEntry, kind: RadioKind) -> LinkMode:
    """The link mode the options ask for, if this radio can set it, else the radio's default."""
    wanted = entry.options.get(CONF_LINK_MODE)
    if wanted in {mode.value for mode in kind.link_modes}:
        return LinkMode(wanted)
    return kind.default_link_mode


def entry_quiet_after(entry: ConfigEntry) -> float | None:
    """Seconds of silence before the radio is re-initialised; None when turned off (0)."""
    minutes = entry.options.get(CONF_QUIET_AFTER_MIN, DEFAULT_QUIET_AFTER_MIN)
    return None if not minutes else float(minutes) * 60
