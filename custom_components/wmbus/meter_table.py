"""The configured meters of one stick: the table, binding meters to addresses, their keys.

A meter is set up by its whole address (picked from the heard list) or by its digits alone
(typed, or sent by ReCalc). The table finds the meter a telegram belongs to: the one bound to
the sender's address, else the one with the digits not bound yet (one per digits at most). It
keeps the decoder's keys in line with that: a bound meter's key goes to its address only, so
it is never tried on a neighbour's meter sharing the digits; a meter not bound yet has its key
tried on every address with them, until one decodes (``bind``).

It also decides when a key looks wrong, from the decoder's one count of failed checks
(``Decoder.failures``): for a bound meter, its address's run of failures; for a meter not
bound yet, the key is only called wrong once it failed on every address heard with the digits
(a neighbour's meter must not make the user's key look wrong).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import CALLBACK_TYPE

from .const import CONF_METER_ID
from .meter_fields import MeterField
from .meter_identity import identifier_for, subentry_address, subentry_key
from .protocol.decoder import WRONG_KEY_AFTER_FAILURES, Decoder
from .protocol.frame import MeterAddress
from .signals import MeterReading


@dataclass(slots=True)
class MeterRuntime:
    """What the hub tracks for one configured meter."""

    subentry_id: str
    identifier: str
    """The meter in Home Assistant (see ``meter_identity``); its digits for most meters."""
    meter_id: str
    key: bytes | None
    """None: the meter sends in clear."""
    address: MeterAddress | None = None
    """The whole address the meter is bound to; None until its first telegram decodes."""
    wrong_key_reported: bool = False
    """The wrong-key repair is up (raised once per run of failures, cleared by a good telegram)."""
    model: str | None = None
    last_reading: MeterReading | None = None
    last_heard: datetime | None = None
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
    rssi_by_receiver: dict[str, float | None] = field(default_factory=dict)
    """Each receiver's RSSI of the meter's latest telegram it heard (copies included)."""
    """Its stored fields were compared with this version's (names, precision) this run."""


@dataclass(frozen=True, slots=True)
class MeterChanges:
    """What ``MeterTable.sync`` changed: meters new to the table and those dropped."""

    added: tuple[MeterRuntime, ...]
    removed: tuple[MeterRuntime, ...]


class MeterTable:
    """The configured meters by identifier, and the decoder's keys for them."""

    def __init__(self, decoder: Decoder) -> None:
        self._decoder = decoder
        self.meters: dict[str, MeterRuntime] = {}
        """Configured meters by identifier."""
        self._bound: dict[MeterAddress, MeterRuntime] = {}
        self._unbound: dict[str, MeterRuntime] = {}
        """Meters not bound to an address yet, by their digits (one per digits at most)."""

    def sync(self, wanted: Mapping[str, ConfigSubentry]) -> MeterChanges:
        """Bring the table and the decoder's keys in line with the meter subentries."""
        by_subentry = {m.subentry_id: m for m in self.meters.values()}
        added: list[MeterRuntime] = []
        removed: list[MeterRuntime] = []
        rekey: set[str] = set()
        for sid, meter in by_subentry.items():
            sub = wanted.get(sid)
            if (
                sub is None
                or sub.data[CONF_METER_ID] != meter.meter_id
                or identifier_for(sub) != meter.identifier
            ):
                self.meters.pop(meter.identifier, None)
                rekey.add(meter.meter_id)
                removed.append(meter)
        for sid, sub in wanted.items():
            meter_id = sub.data[CONF_METER_ID]
            key = subentry_key(sub)
            address = subentry_address(sub)
            known = self.meters.get(identifier_for(sub))
            if known is None or known.key != key or known.address != address:
                # A new key resets the meter's decoder state (duplicate guard, failures):
                # only when the key or the address really changed.
                rekey.add(meter_id)
                if known is not None:
                    # wrong_key_reported stays: the next good telegram proves the new key
                    # and clears the wrong-key issue.
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
                self.meters[runtime.identifier] = runtime
                added.append(runtime)
            else:
                known.subentry_id = sid
        self._index()
        for meter_id in rekey:
            self._key_decoder(meter_id)
        return MeterChanges(tuple(added), tuple(removed))

    def _index(self) -> None:
        self._bound = {m.address: m for m in self.meters.values() if m.address is not None}
        self._unbound = {m.meter_id: m for m in self.meters.values() if m.address is None}

    def meter_for(self, address: MeterAddress) -> MeterRuntime | None:
        """The configured meter a telegram from ``address`` belongs to, if any.

        A meter bound to the address, else one with the digits not bound yet.
        """
        return self._bound.get(address) or self._unbound.get(address.meter_id)

    def _key_decoder(self, meter_id: str) -> None:
        """Give the decoder the keys of the meters with these digits, as they are now."""
        self._decoder.remove_meter(meter_id)
        for meter in self.meters.values():
            if meter.meter_id == meter_id:
                target = meter.address if meter.address is not None else meter_id
                self._decoder.set_key(target, meter.key)

    def bind(self, meter: MeterRuntime, address: MeterAddress) -> None:
        """Bind a meter known by its digits to the address its key just decoded.

        The decoder keeps the address's state (its duplicate guard already holds the telegram
        that decoded, so a repeater's copy of it is still a duplicate): nothing is decoded
        twice.
        """
        meter.address = address
        self._index()
        # No other meter with these digits is unbound (one per digits): the id's key is
        # the address's alone from now on.
        self._decoder.pin(address)

    def key_looks_wrong(
        self, address: MeterAddress, heard: Iterable[MeterAddress]
    ) -> MeterRuntime | None:
        """The meter whose key a payload check failure at ``address`` now proves wrong.

        None while the failures may still be radio corruption or a neighbour's meter, or when
        the meter's wrong-key repair is up already. ``heard`` are the addresses heard lately.
        """
        meter = self.meter_for(address)
        if meter is None or meter.wrong_key_reported:
            return None
        if meter.address is None:
            failures = min(
                (
                    self._decoder.failures(seen)
                    for seen in heard
                    if seen.meter_id == meter.meter_id and seen not in self._bound
                ),
                default=0,
            )
        elif address == meter.address:
            failures = self._decoder.failures(address)
        else:
            return None
        return meter if failures >= WRONG_KEY_AFTER_FAILURES else None

    def values(self) -> Iterable[MeterRuntime]:
        """Every configured meter."""
        return self.meters.values()
