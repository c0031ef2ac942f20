"""The Home Assistant runtime of one stick: radio, decoder, heard list, fan-out of readings.

The gateway is the only owner of the stick and the decoder for its config entry. Entities and the
ReCalc bridge never touch either: they subscribe to what the gateway dispatches. Bytes are decoded
here exactly once per telegram; each ``MeterReading`` then goes to the meter's entities (a
dispatcher signal per meter) and to the reading listeners (the ReCalc bridge).

Meters are known by their whole address (manufacturer, id, version, device type): a neighbour's
meter with the same 8 digits is another meter, and the user's key is never tried on it. A meter
added by its digits alone (typed, or by ReCalc) is bound to the address of its first telegram
that decodes with its key; the address is then kept in its subentry.

In Home Assistant a meter is its *identifier* (device, entity unique ids, fields Store, repair
issues): its 8 digits, as always, or, for a meter set up beside another one with the same
digits, digits and address (see ``identifier_for``).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import logging
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    CONF_AES_KEY,
    CONF_DEVICE_TYPE,
    CONF_LINK_MODE,
    CONF_MANUFACTURER,
    CONF_METER_ID,
    CONF_PORT,
    CONF_QUIET_AFTER_MIN,
    CONF_RADIO,
    CONF_UNAVAILABLE_AFTER_MIN,
    CONF_VERSION,
    DEFAULT_QUIET_AFTER_MIN,
    DEFAULT_RADIO,
    DEFAULT_UNAVAILABLE_AFTER_MIN,
    DOMAIN,
    HEARD_METERS_LIMIT,
    STICK_ISSUE_DELAY_S,
    SUBENTRY_METER,
    WRONG_KEY_THRESHOLD,
)
from .ha_compat import device_of_entry
from .meter_fields import (
    FIXED_VALUE_KEYS,
    FieldValue,
    MeterField,
    fixed_value_keys,
    reading_fields,
    with_precision,
)
from .meter_texts import MeterTexts
from .protocol.decoder import Decoder, Reading
from .protocol.errors import PayloadCrcMismatch, UnknownMeter, WmbusError
from .protocol.frame import LinkHeader, MeterAddress
from .protocol.radios import (
    LinkMode,
    Radio,
    RadioFrame,
    RadioIdentity,
    RadioKind,
    RadioState,
    build_radio,
    radio_kind,
)

if TYPE_CHECKING:
    from .protocol.radios.serial_radio import OpenSerial
    from .recalc_bridge import RecalcBridge

_LOGGER = logging.getLogger(__name__)

# Counters change with every telegram (up to ~220/s at the radio's limit); their sensors are
# written at this pace instead, so a busy neighbourhood does not flood the state machine.
COUNTERS_INTERVAL = timedelta(seconds=10)

# Addresses with a meter's digits whose failures are counted while it is not bound (the heard
# list bounds them too; beyond this many, those no longer heard are dropped).
UNBOUND_ADDRESSES_TRACKED: Final = 64

# New fields are rare (a meter's first telegrams); their Store is written shortly after.
FIELDS_STORAGE_VERSION = 1
FIELDS_SAVE_DELAY_S = 5.0

# The stick's reconnect backoff (module-level so tests can shorten it).
RECONNECT_INITIAL_DELAY_S = 1.0
RECONNECT_MAX_DELAY_S = 60.0

# Names of the FLAG codes (the M-field's three letters) of common meter makers; others are
# shown as their code. Proper names: not translated.
MANUFACTURER_NAMES: Final[Mapping[str, str]] = {
    "ABB": "ABB",
    "ACW": "Itron (Actaris)",
    "AMT": "Aquametro",
    "APA": "Apator",
    "AXI": "Axioma Metering",
    "BMT": "BMETERS",
    "DME": "Diehl Metering",
    "DWZ": "Lorenz",
    "EFE": "Engelmann",
    "ELR": "Elster",
    "ELS": "Elster",
    "ELV": "Elvaco",
    "EMH": "EMH metering",
    "GAV": "Carlo Gavazzi",
    "GWF": "GWF",
    "HYD": "Diehl Metering (Hydrometer)",
    "IST": "ista",
    "ITW": "Itron",
    "KAM": "Kamstrup",
    "LAS": "Lansen",
    "LSE": "Qundis (Landis+Gyr)",
    "LUG": "Landis+Gyr",
    "MAD": "Maddalena",
    "QDS": "Qundis",
    "SAP": "Diehl Metering (Sappel)",
    "SEN": "Sensus",
    "SON": "Sontex",
    "TCH": "Techem",
    "ZRI": "Zenner",
}

type ReadingListener = Callable[[MeterReading], None]


def signal_meter(entry_id: str, identifier: str) -> str:
    """Dispatcher signal carrying a meter's readings and availability changes."""
    return f"{DOMAIN}_{entry_id}_meter_{identifier}"


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


def normalize_key(text: str) -> bytes:
    """Turn user text into a 16-byte AES key: any case, spaces and dashes ignored.

    Raises ValueError with a message that never repeats the key.
    """
    cleaned = "".join(text.split()).replace("-", "").replace(":", "")
    if len(cleaned) != 32:
        raise ValueError(f"an AES-128 key has 32 hex digits, got {len(cleaned)}")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise ValueError("the key contains characters that are not hex digits") from None


@dataclass(frozen=True, slots=True)
class MeterReading:
    """A decoded telegram with what the radio added: signal strength and reception time.

    ``fields`` are the values Home Assistant shows, by field key (see ``meter_fields``),
    worked out once per telegram for all of the meter's entities.
    """

    reading: Reading
    rssi_dbm: float | None
    received_at: datetime
    fields: Mapping[str, FieldValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NewFields:
    """Fields a meter's telegram carried for the first time: entities to add."""

    identifier: str
    fields: tuple[MeterField, ...] = ()
    fixed: tuple[str, ...] = ()
    """Sensor keys of ``FIXED_VALUE_KEYS`` (OmniPower's energy and power)."""


@dataclass(slots=True)
class HeardMeter:
    """A meter the stick has heard (configured or not), for the "add meter" choice."""

    header: LinkHeader
    rssi_dbm: float | None
    last_heard: datetime
    telegram: bytes
    telegrams: int = 1


@dataclass(slots=True)
class MeterRuntime:
    """What the gateway tracks for one configured meter."""

    subentry_id: str
    identifier: str
    """The meter in Home Assistant (see the module docstring); its digits for most meters."""
    meter_id: str
    key: bytes | None
    """None: the meter sends in clear."""
    address: MeterAddress | None = None
    """The whole address the meter is bound to; None until its first telegram decodes."""
    unbound_failures: Counter[MeterAddress] = field(default_factory=Counter)
    """Payload CRC failures per address with the meter's digits, while it is not bound."""
    wrong_key_reported: bool = False
    """The wrong-key repair is up (raised once per run of failures, cleared by a good telegram)."""
    model: str | None = None
    last_reading: MeterReading | None = None
    last_heard: datetime | None = None
    crc_failures: int = 0
    expiry: CALLBACK_TYPE | None = field(default=None, repr=False)
    available: bool = True
    fields: dict[str, MeterField] = field(default_factory=dict)
    """The meter's fields with entities, by key (kept in the fields Store)."""
    fixed: set[str] = field(default_factory=set)
    """Sensor keys of the fixed energy and power sensors the meter has."""
    profile: str | None = None
    """The meter type its latest telegram had (kept across restarts, for ReCalc)."""
    manufacturer: str | None = None
    """The manufacturer code its latest telegram had (kept across restarts, for ReCalc)."""
    fields_refreshed: bool = False
    """Its stored fields were compared with this version's (names, precision) this run."""


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
        # Tells whether a heard meter encrypts; never holds a key.
        self._probe = Decoder(duplicate_guard=False)
        self.heard: OrderedDict[MeterAddress, HeardMeter] = OrderedDict()
        self.meters: dict[str, MeterRuntime] = {}
        """Configured meters by identifier."""
        self._bound: dict[MeterAddress, MeterRuntime] = {}
        self._unbound: dict[str, MeterRuntime] = {}
        """Meters not bound to an address yet, by their digits (one per digits at most)."""
        self.outcomes: Counter[str] = Counter()
        self._reading_listeners: list[ReadingListener] = []
        # Set by the ReCalc bridge of this entry; the gateway itself never calls it.
        self.recalc: RecalcBridge | None = None
        self._stick_issue_timer: CALLBACK_TYPE | None = None
        self._lost_at: datetime | None = None
        self._counters_timer: CALLBACK_TYPE | None = None
        self._counters_changed = False
        self._fields_store: Store[dict[str, Any]] = fields_store(hass, entry.entry_id)
        self._fields_unsaved = False
        self._texts = MeterTexts({})
        """Words for device models, in Home Assistant's language (loaded at start)."""
        self._stored_fields: dict[str, Any] = {}
        self.radio_kind: RadioKind = radio_kind(entry_radio(entry))
        link_mode = entry_link_mode(entry, self.radio_kind)
        kwargs: dict[str, Any] = {
            "reconnect_initial_delay_s": RECONNECT_INITIAL_DELAY_S,
            "reconnect_max_delay_s": RECONNECT_MAX_DELAY_S,
            "quiet_after_s": entry_quiet_after(entry),
        }
        if open_serial is not None:
            kwargs["open_serial"] = open_serial
        self.stick: Radio = build_radio(
            self.radio_kind.name,
            entry.data[CONF_PORT],
            link_mode=link_mode,
            on_frame=self._on_frame,
            on_state=self._on_state,
            on_quiet=self._on_quiet,
            **kwargs,
        )
        self.link_mode = link_mode
        self.quiet_after_s = kwargs["quiet_after_s"]
        self.port: str = entry.data[CONF_PORT]

    # --- lifecycle ----------------------------------------------------------------------

    async def async_start(self) -> None:
        """Open the stick (raises if it cannot) and load the configured meters."""
        self._stored_fields = await self._fields_store.async_load() or {}
        self._texts = await MeterTexts.load(self.hass)
        self.sync_meters()
        await self.stick.open()
        self._counters_timer = async_track_time_interval(
            self.hass, self._publish_counters, COUNTERS_INTERVAL
        )

    async def async_stop(self) -> None:
        """Close the stick, cancel every timer and withdraw the repair issues.

        Both issues promise to clear themselves (on reconnect, on a good telegram); a stopped
        gateway hears neither, and the next start counts afresh and raises them again if due.
        """
        if self._counters_timer is not None:
            self._counters_timer()
            self._counters_timer = None
        for meter in self.meters.values():
            if meter.expiry is not None:
                meter.expiry()
                meter.expiry = None
            ir.async_delete_issue(
                self.hass, DOMAIN, wrong_key_issue_id(self.entry.entry_id, meter.identifier)
            )
        if self._stick_issue_timer is not None:
            self._stick_issue_timer()
            self._stick_issue_timer = None
        ir.async_delete_issue(self.hass, DOMAIN, stick_issue_id(self.entry.entry_id))
        if self._fields_unsaved:
            # A reload (new port or link mode) reads the Store at once: a delayed save still
            # pending would leave the meters' entities out until each meter is heard again.
            await self._fields_store.async_save(self._stored_fields)
            self._fields_unsaved = False
        ir.async_delete_issue(self.hass, DOMAIN, quiet_radio_issue_id(self.entry.entry_id))
        await self.stick.close()

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
        wanted = self.meter_subentries()
        by_subentry = {m.subentry_id: m for m in self.meters.values()}
        added: list[str] = []
        removed: list[str] = []
        rekey: set[str] = set()
        for sid, meter in by_subentry.items():
            sub = wanted.get(sid)
            if (
                sub is None
                or sub.data[CONF_METER_ID] != meter.meter_id
                or identifier_for(sub) != meter.identifier
            ):
                self._forget_meter(meter)
                rekey.add(meter.meter_id)
                removed.append(sid)
        for sid, sub in wanted.items():
            meter_id = sub.data[CONF_METER_ID]
            key = subentry_key(sub)
            address = subentry_address(sub)
            known = self.meters.get(identifier_for(sub))
            if known is None or known.key != key or known.address != address:
                # set_key resets the meter's duplicate guard: only when the key or the
                # address really changed.
                rekey.add(meter_id)
                if known is not None:
                    # crc_failures stays: the next good telegram proves the new key and
                    # clears the wrong-key issue.
                    known.key = key
                    known.address = address
            if known is None:
                runtime = MeterRuntime(
                    subentry_id=sid,
                    identifier=identifier_for(sub),
                    meter_id=meter_id,
                    key=key,
                    address=address,
                )
                self._load_fields(runtime)
                self.meters[runtime.identifier] = runtime
                # A restart must not blank restored values at once: a meter gets one full
                # window to be heard before its entities go unavailable.
                self._schedule_expiry(runtime)
                added.append(sid)
            else:
                known.subentry_id = sid
        self._index()
        for meter_id in rekey:
            self._key_decoder(meter_id)
        return added, removed

    def _index(self) -> None:
        self._bound = {m.address: m for m in self.meters.values() if m.address is not None}
        self._unbound = {m.meter_id: m for m in self.meters.values() if m.address is None}

    def meter_for(self, address: MeterAddress) -> MeterRuntime | None:
        """The configured meter a telegram from ``address`` belongs to, if any.

        A meter bound to the address, else one with the digits not bound yet.
        """
        return self._bound.get(address) or self._unbound.get(address.meter_id)

    def _key_decoder(self, meter_id: str) -> None:
        """Give the decoder the keys of the meters with these digits, as they are now.

        A bound meter's key goes to its address only, so it is never tried on a neighbour's
        meter that shares the digits; a meter not bound yet has its key tried on every other
        address with them.
        """
        self.decoder.remove_meter(meter_id)
        for meter in self.meters.values():
            if meter.meter_id == meter_id:
                target = meter.address if meter.address is not None else meter_id
                self.decoder.set_key(target, meter.key)

    def _bind(self, meter: MeterRuntime, address: MeterAddress, telegram: bytes) -> None:
        """Bind a meter known by its digits to the address its key just decoded."""
        meter.address = address
        meter.unbound_failures.clear()
        self._index()
        self._key_decoder(meter.meter_id)
        # The address's fresh decoder state has an empty duplicate guard: decoding the
        # binding telegram once more fills it, so a repeater's copy is still a duplicate.
        with suppress(WmbusError):
            self.decoder.decode(telegram)
        _LOGGER.info("Meter %s is bound to its address %s", meter.meter_id, address)
        subentry = self.entry.subentries.get(meter.subentry_id)
        if subentry is not None:
            # The entry's update listener finds runtime and subentry agreeing: no re-key.
            self.hass.config_entries.async_update_subentry(
                self.entry, subentry, data={**subentry.data, **address_data(address)}
            )

    def _load_fields(self, meter: MeterRuntime) -> None:
        """The fields the meter had before the restart.

        A meter from a version that stored no fields had the energy and power sensors: those
        it has in the entity registry are kept.
        """
        stored = self._stored_fields.get(meter.identifier)
        if stored is None:
            registry = er.async_get(self.hass)
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

    def _save_fields(self) -> None:
        snapshot = {
            meter.identifier: {
                "profile": meter.profile,
                "manufacturer": meter.manufacturer,
                "fixed": sorted(meter.fixed),
                "fields": [f.as_json() for f in meter.fields.values()],
            }
            for meter in self.meters.values()
        }
        self._stored_fields = snapshot
        self._fields_unsaved = True
        # A prepared snapshot: the Store may call this in the executor (2025.4).
        self._fields_store.async_delay_save(lambda: snapshot, FIELDS_SAVE_DELAY_S)

    def _forget_meter(self, meter: MeterRuntime) -> None:
        if meter.expiry is not None:
            meter.expiry()
        self.meters.pop(meter.identifier, None)
        if self._stored_fields.pop(meter.identifier, None) is not None:
            self._save_fields()
        ir.async_delete_issue(
            self.hass, DOMAIN, wrong_key_issue_id(self.entry.entry_id, meter.identifier)
        )

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
    def _on_state(self, state: RadioState) -> None:
        _LOGGER.debug("Stick %s: %s", self.entry.data[CONF_PORT], state)
        issue_id = stick_issue_id(self.entry.entry_id)
        if state is RadioState.CONNECTED:
            if self._lost_at is not None:
                _LOGGER.info("Stick at %s is back", self.port)
                self._lost_at = None
            if self._stick_issue_timer is not None:
                self._stick_issue_timer()
                self._stick_issue_timer = None
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
        elif state is RadioState.DISCONNECTED and self._stick_issue_timer is None:
            _LOGGER.warning("Lost the stick at %s; reconnecting", self.port)
            self._lost_at = dt_util.utcnow()
            self._stick_issue_timer = async_call_later(
                self.hass, STICK_ISSUE_DELAY_S, self._raise_stick_issue
            )
        async_dispatcher_send(self.hass, signal_stick(self.entry.entry_id))

    @callback
    def _on_quiet(self, quiet: bool) -> None:
        """The radio stayed quiet after being re-initialised (True), or hears again (False).

        The radio itself logged the re-initialisation once; the repair says it did not help
        and goes by itself with the next telegram.
        """
        issue_id = quiet_radio_issue_id(self.entry.entry_id)
        if not quiet:
            _LOGGER.info("The radio at %s hears telegrams again", self.port)
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="radio_quiet",
            translation_placeholders={
                "port": self.port,
                "model": self.radio_kind.title,
                "minutes": str(round(2 * self.quiet_after_s / 60)),
            },
        )
        async_dispatcher_send(self.hass, signal_stick(self.entry.entry_id))

    @callback
    def _raise_stick_issue(self, _now: datetime) -> None:
        self._stick_issue_timer = None
        if self.connected:
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            stick_issue_id(self.entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="stick_disconnected",
            translation_placeholders={"port": self.entry.data[CONF_PORT]},
        )

    @callback
    def _on_frame(self, frame: RadioFrame) -> None:
        try:
            reading = self.decoder.decode(frame.telegram)
        except UnknownMeter as err:
            self._note_heard(err.address, frame)
            self._count(err.kind)
            return
        except PayloadCrcMismatch as err:
            self._count(err.kind)
            if err.header is not None:
                self._note_heard(err.header.address, frame, err.header)
                self._payload_crc_failed(err.header.address)
            return
        except WmbusError as err:
            self._count(err.kind)
            if err.header is not None:
                self._note_heard(err.header.address, frame, err.header)
            _LOGGER.debug("Dropped telegram: %s", err)
            return
        self._count("decoded")
        self._note_heard(reading.address, frame)
        meter = self.meter_for(reading.address)
        if meter is None:  # keys are only set for configured meters
            return
        if meter.address is None:
            self._bind(meter, reading.address, frame.telegram)
        shown = reading_fields(reading)
        meter_reading = MeterReading(
            reading,
            frame.rssi_dbm,
            frame.received_at,
            {key: value for key, (_field, value) in shown.items()},
        )
        meter.last_reading = meter_reading
        if (meter.profile, meter.manufacturer) != (reading.profile, reading.manufacturer):
            meter.profile = reading.profile
            meter.manufacturer = reading.manufacturer
            self._save_fields()
        self._add_new_fields(meter, reading, shown)
        meter.last_heard = frame.received_at
        if meter.crc_failures or meter.wrong_key_reported:
            meter.crc_failures = 0
            meter.wrong_key_reported = False
            ir.async_delete_issue(
                self.hass, DOMAIN, wrong_key_issue_id(self.entry.entry_id, meter.identifier)
            )
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

    def _add_new_fields(
        self,
        meter: MeterRuntime,
        reading: Reading,
        shown: Mapping[str, tuple[MeterField, FieldValue]],
    ) -> None:
        """Announce values the meter sends for the first time, so their entities are added."""
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
        if not meter.fields_refreshed:
            meter.fields_refreshed = True
            self._refresh_stored_fields(meter, reading, shown)
        if not fixed and not fields:
            return
        meter.fixed.update(fixed)
        meter.fields.update((f.key, f) for f in fields)
        self._save_fields()
        async_dispatcher_send(
            self.hass,
            signal_new_fields(self.entry.entry_id),
            NewFields(meter.identifier, tuple(fields), tuple(fixed)),
        )

    def _refresh_stored_fields(
        self,
        meter: MeterRuntime,
        reading: Reading,
        shown: Mapping[str, tuple[MeterField, FieldValue]],
    ) -> None:
        """Bring fields stored by an earlier version up to this one's names and precision.

        Once per meter and run, on its first telegram: a field keeps its key (its entity),
        and its entity shows the new name and decimals from the next start of the entry.
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
        if changed:
            self._save_fields()

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

    def _note_heard(
        self, address: MeterAddress, frame: RadioFrame, header: LinkHeader | None = None
    ) -> None:
        """Remember who was heard; the header is parsed only for a meter new to the list."""
        heard = self.heard.get(address)
        if heard is None:
            if header is None:
                header = self.decoder.peek_header(frame.telegram)
            self.heard[address] = HeardMeter(
                header, frame.rssi_dbm, frame.received_at, frame.telegram
            )
            if len(self.heard) > HEARD_METERS_LIMIT:
                self.heard.popitem(last=False)
            return
        if header is not None:
            heard.header = header
        heard.rssi_dbm = frame.rssi_dbm
        heard.last_heard = frame.received_at
        heard.telegram = frame.telegram
        heard.telegrams += 1
        self.heard.move_to_end(address)

    def _payload_crc_failed(self, address: MeterAddress) -> None:
        meter_id = address.meter_id
        meter = self.meter_for(address)
        if meter is None:
            return
        if meter.address is None:
            # Not bound yet, so the key is tried on every address with these digits (but
            # those of other meters set up): it is only called wrong once it failed on each
            # of them heard (a neighbour's meter must not make the user's key look wrong).
            meter.unbound_failures[address] += 1
            if len(meter.unbound_failures) > UNBOUND_ADDRESSES_TRACKED:
                # Made-up addresses with the digits must not grow the counts: keep those heard.
                meter.unbound_failures = Counter(
                    {seen: n for seen, n in meter.unbound_failures.items() if seen in self.heard}
                )
            failures = min(
                meter.unbound_failures[heard]
                for heard in self.heard
                if heard.meter_id == meter_id and heard not in self._bound
            )
        elif address == meter.address:
            meter.crc_failures += 1
            failures = meter.crc_failures
        else:
            return
        if failures >= WRONG_KEY_THRESHOLD and not meter.wrong_key_reported:
            meter.wrong_key_reported = True
            _LOGGER.warning(
                "Meter %s: %d telegrams in a row failed the payload CRC; is the AES key wrong?",
                meter_id,
                failures,
            )
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                wrong_key_issue_id(self.entry.entry_id, meter.identifier),
                is_fixable=True,
                severity=ir.IssueSeverity.ERROR,
                translation_key="wrong_key",
                translation_placeholders={"meter_id": meter_id},
                data={"entry_id": self.entry.entry_id, "subentry_id": meter.subentry_id},
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
        """Heard meters that are not configured yet, most recently heard first.

        A meter not yet bound to an address stands for every address with its digits.
        """
        return [
            heard
            for address, heard in reversed(self.heard.items())
            if self.meter_for(address) is None
        ]

    def heard_as(self, meter: str | MeterAddress) -> list[HeardMeter]:
        """The heard meters an address names (one at most) or an id does (one per address)."""
        if isinstance(meter, MeterAddress):
            heard = self.heard.get(meter)
            return [] if heard is None else [heard]
        return [heard for address, heard in self.heard.items() if address.meter_id == meter]

    def needs_key(self, heard: HeardMeter) -> bool | None:
        """Whether a heard meter encrypts: True, False (sends in clear), None (cannot tell yet).

        Decodes its latest telegram as a meter without a key on a scratch decoder, so the
        gateway's own decoder (keys, duplicate guards) is never touched.
        """
        address = heard.header.address
        self._probe.set_key(address, None)
        try:
            self._probe.decode(heard.telegram)
        except UnknownMeter:
            return True  # encrypted, and no key to decrypt it
        except WmbusError:
            return None  # e.g. a compact frame before its format is known
        finally:
            self._probe.remove_meter(address)
        return False

    def profile_of(self, meter: str | MeterAddress, key: bytes | None) -> str | None:
        """The profile (meter type) of a heard meter's latest telegram, decoded with ``key``.

        For an id, of the first meter heard with those digits whose telegram decodes; None
        if none has been heard or none decodes.
        """
        for heard in self.heard_as(meter):
            address = heard.header.address
            try:
                if key is None:
                    self._probe.set_key(address, None)
                    try:
                        return self._probe.decode(heard.telegram).profile
                    finally:
                        self._probe.remove_meter(address)
                return self.decoder.try_key(heard.telegram, key).profile
            except WmbusError:
                continue
        return None

    def check_key(self, meter: str | MeterAddress, key: bytes) -> bool | None:
        """Try ``key`` on the meter's latest telegram: True right, False wrong, None untested.

        For an id, right if it decodes any meter heard with those digits, wrong if it fails
        the CRC of each.
        """
        return self.key_fits(meter, key)[0]

    def key_fits(
        self, meter: str | MeterAddress, key: bytes
    ) -> tuple[bool | None, MeterAddress | None]:
        """``check_key``'s answer, and the address of the heard meter ``key`` decoded."""
        verdict: bool | None = None
        for heard in self.heard_as(meter):
            try:
                self.decoder.try_key(heard.telegram, key)
            except PayloadCrcMismatch:
                verdict = False if verdict is None else verdict
                continue
            except WmbusError:
                # e.g. a compact frame of a format not learned yet: cannot tell
                verdict = None
                continue
            return True, heard.header.address
        return verdict, None

    def counters(self) -> Mapping[str, int]:
        """Telegram outcomes plus the stick's own counters."""
        return {**self.stick.counters, **self.outcomes}


def fields_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """The Store of the fields each meter of a stick entry has entities for."""
    return Store(hass, FIELDS_STORAGE_VERSION, f"{DOMAIN}.meter_fields.{entry_id}")


def identifier_for(subentry: ConfigSubentry) -> str:
    """A meter subentry's identifier in Home Assistant: its unique id.

    That is the meter's 8 digits (so devices and entities of meters set up before meters were
    keyed by address keep their ids), or ``new_identifier``'s digits and address for a meter
    set up beside another one with the same digits.
    """
    return subentry.unique_id or str(subentry.data[CONF_METER_ID])


def new_identifier(address: MeterAddress, taken: set[str]) -> str:
    """The identifier (and subentry unique id) of a meter being set up.

    Its digits, unless a meter with them is set up already: then digits and address, e.g.
    ``32666857_zri_30_07``.
    """
    if address.meter_id not in taken:
        return address.meter_id
    return (
        f"{address.meter_id}_{address.manufacturer.lower()}"
        f"_{address.version:02x}_{address.device_type:02x}"
    )


def subentry_address(subentry: ConfigSubentry) -> MeterAddress | None:
    """The whole address a meter subentry is bound to; None until one of its telegrams decodes.

    Subentries from before meters were keyed by address have none and bind on their next good
    telegram; a damaged address is treated the same way.
    """
    data = subentry.data
    manufacturer = data.get(CONF_MANUFACTURER)
    if manufacturer is None:
        return None
    try:
        address = MeterAddress(
            str(manufacturer),
            str(data[CONF_METER_ID]),
            int(data[CONF_VERSION]),
            int(data[CONF_DEVICE_TYPE]),
        )
        _wire = address.wire  # raises ValueError for what no meter can send
    except (KeyError, TypeError, ValueError):
        _LOGGER.warning("Meter %s: ignoring a damaged stored address", data.get(CONF_METER_ID))
        return None
    return address


def address_data(address: MeterAddress) -> dict[str, str | int]:
    """The subentry data that binds a meter to ``address`` (its id is stored already)."""
    return {
        CONF_MANUFACTURER: address.manufacturer,
        CONF_VERSION: address.version,
        CONF_DEVICE_TYPE: address.device_type,
    }


def subentry_key(subentry: ConfigSubentry) -> bytes | None:
    """A meter subentry's AES key; None for a meter added without one (it sends in clear)."""
    text = subentry.data.get(CONF_AES_KEY) or ""
    return bytes.fromhex(text) if text else None


def manufacturer_name(code: str) -> str:
    """The maker's name for a FLAG code, or the code itself."""
    return MANUFACTURER_NAMES.get(code, code)


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


def quiet_radio_issue_id(entry_id: str) -> str:
    """Repair issue id of a radio that stays quiet after being re-initialised."""
    return f"radio_quiet_{entry_id}"


def stick_issue_id(entry_id: str) -> str:
    """Repair issue id of a stick that stays disconnected."""
    return f"stick_disconnected_{entry_id}"


def total_decreased_issue_id(entry_id: str, identifier: str, key: str) -> str:
    """Repair issue id of a meter total that went down (meter replaced or reset)."""
    return f"total_decreased_{entry_id}_{identifier}_{key}"


def wrong_key_issue_id(entry_id: str, identifier: str) -> str:
    """Repair issue id of a meter whose telegrams keep failing the payload CRC."""
    return f"wrong_key_{entry_id}_{identifier}"
