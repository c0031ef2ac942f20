"""Telegram decoder: bytes in, a :class:`Reading` or a typed :class:`WmbusError` out.

The only place that knows keys. It composes the layer stages in the order EN 13757-4/-7
stack them (as wmbusmeters src/wmbus.cc parseWMBUS: DLL, ELL, NWL, AFL, TPL), each a
module with a typed input and output:

    link header (frame.py: length rule, whole address -> known meter?)
    -> ELL (ell.py: CI 8C/8D/8E, AES-CTR, payload CRC)
    -> NWL (nwl.py: CI 81, what a repeater adds)
    -> AFL (afl.py: CI 90, fragments, message counter, MAC)
    -> TPL (tpl.py: CI 78/79/7A/72/7B/73..., security modes 0/5/7)
    -> APL: records (records.py) or a compact frame, or a manufacturer CI/security mode
       handed to the meter profile -> Reading (reading.py).

A meter is known by its whole address (manufacturer, id, version, device type), looked
up from the header bytes with one dict lookup before any cryptography. The OmniPower
speed (the budgets in README.md, Benchmarks: a few microseconds per telegram) comes from
caches inside the stages, not from a second decoder: the AES context per key, the header-less TPL
headers, and per meter the compiled record layout and profile plan, reused while a
meter's format repeats; records are then built only when someone reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from .afl import CI_AFL, AuthenticationLayer, parse_afl
from .crypto import AesCtr, crc16_en13757
from .ell import ELL_CIS, open_ell
from .errors import (
    Duplicate,
    FormatMismatch,
    MalformedRecords,
    PayloadCrcMismatch,
    Truncated,
    UnknownFormatSignature,
    UnknownMeter,
    UnsupportedCi,
    UnsupportedEncryption,
    WmbusError,
    WrongKey,
)
from .frame import (
    LINK_HEADER_SIZE,
    METER_ADDRESS_CIS,
    NATIONAL_CODE_BIT,
    LinkHeader,
    MeterAddress,
    MeterId,
    check_length,
    link_header_from_prefix,
    manufacturer_id_from_code,
    meter_address_wire,
    meter_id_to_wire,
)
from .meters import (
    PROFILES as DEFAULT_PROFILES,
    TRANSPORT_STATUS,
    FieldPlan,
    MeterProfile,
    compile_fields,
    select_profile,
)
from .nwl import skip_network_layer
from .reading import READING_SLOTS as _READING_SLOTS, FrameKind, Reading, Value
from .records import (
    FormatRegistry,
    Layout,
    Record,
    RecordHeader,
    RecordSet,
    RecordValue,
    compile_layout,
    parse_records,
    registry_key,
)
from .tpl import (
    CI_MEANINGS,
    MANUFACTURER_SECURITY_MODES,
    SECURITY_MODE_AES_CBC_IV,
    SECURITY_MODE_AES_CBC_KDF,
    TPL_CIS,
    TransportHeader,
    open_tpl,
    parse_tpl,
    status_errors,
)

MANUFACTURER_CIS: Final = range(0xA0, 0xB8)
"""CI A0..B7: manufacturer specific (EN 13757-7); only a meter profile can read them."""

WRONG_KEY_AFTER_FAILURES: Final = 3
"""Consecutive payload CRC (or MAC, or 2F 2F) failures after which a key is reported wrong.

One failure is usually radio corruption that slipped past the link CRCs; a run of them
on a meter that used to decode (or never did) means the key does not fit.
"""
RECENT_TELEGRAMS: Final = 4
"""How many telegrams per meter the duplicate guard remembers.

It keeps the bytes from the access number on (ACC, SN and the payload; after CI 8C or
without ELL, the TPL on): a repeater changes only CC bits and the C-field, so its copy
matches, while a module that restarts and repeats an ACC/SN pair with new content is
accepted (EN 13757-4: the SN restarts with the module).
"""
ADDRESSES_PER_ID: Final = 16
"""Addresses one per-id key is bound to at most (the oldest binding goes first).

A key given for an id applies to every address with those digits; the bound keeps a
flood of made-up addresses with a configured id from growing the meter table.
"""

DEFAULT_KEY_MODES: Final = frozenset({SECURITY_MODE_AES_CBC_IV, SECURITY_MODE_AES_CBC_KDF})
"""Security modes a profile's published default key is tried for (meters without a key)."""

_new_error = BaseException.__new__


(
    _set_address,
    _set_profile,
    _set_model,
    _set_values,
    _set_access,
    _set_frame,
    _set_meter_profile,
    _set_problems,
    _set_records,
    _set_layout,
    _set_apl,
    _set_link_address,
    _set_status,
) = _READING_SLOTS


def _new_reading(  # noqa: PLR0917 - hot path: positional arguments are cheapest
    address: MeterAddress,
    compiled: _Compiled,
    values: Mapping[str, Value],
    access_number: int,
    frame: FrameKind,
    records: tuple[Record, ...] | None,
    layout: Layout | None,
    apl: bytes,
    problems: tuple[str, ...] = (),
    status: int | None = None,
) -> Reading:
    """Build a Reading without the frozen-dataclass ``__init__``.

    The generated ``__init__`` of a frozen dataclass sets each field through
    ``object.__setattr__`` (about 1 us for ten fields, a fifth of the whole decode
    budget); writing the slots through their descriptors halves that. The result is an
    ordinary, immutable Reading.
    """
    reading = object.__new__(Reading)
    _set_address(reading, address)
    _set_profile(reading, compiled.profile)
    _set_model(reading, compiled.model)
    _set_values(reading, values)
    _set_access(reading, access_number)
    _set_frame(reading, frame)
    _set_meter_profile(reading, compiled.meter_profile)
    _set_problems(reading, problems)
    _set_records(reading, records)
    _set_layout(reading, layout)
    _set_apl(reading, apl)
    _set_link_address(reading, None)
    _set_status(reading, status)
    return reading


type ValueMapper = Callable[[tuple[RecordValue, ...]], dict[str, Value]]


def _map_values(plan: tuple[FieldPlan, ...]) -> ValueMapper:
    """Compile a field plan into one function building the values dict.

    Only used for struct-decoded layouts, whose values are always int or float. The
    function is generated (as ``collections.namedtuple`` and dataclasses do) because a
    dict display with inline arithmetic is several times faster than a loop over plan
    objects; keys come from profile declarations, never from telegram data.
    """
    items = []
    for planned in plan:
        raw = f"v[{planned.index}]"
        if planned.denominator == 1:
            expression = f"{raw} * {planned.numerator}" if planned.numerator != 1 else raw
            if not planned.integer:
                expression = f"float({expression})"
        else:
            expression = f"{raw} * {planned.numerator} / {planned.denominator}"
            if planned.numerator == 1:
                expression = f"{raw} / {planned.denominator}"
        items.append(f"{planned.key!r}: {expression}")
    source = "lambda v: {" + ", ".join(items) + "}"
    mapper: ValueMapper = eval(source, {"float": float})  # generated, see docstring
    return mapper


def _map_values_checked(plan: tuple[FieldPlan, ...]) -> ValueMapper:
    """Field mapping for values that may be missing or non-numeric (BCD errors, text)."""

    def mapper(values: tuple[RecordValue, ...]) -> dict[str, Value]:
        mapped: dict[str, Value] = {}
        for planned in plan:
            raw = values[planned.index]
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                continue
            if planned.denominator == 1:
                scaled = raw * planned.numerator
                mapped[planned.key] = scaled if planned.integer else float(scaled)
            else:
                mapped[planned.key] = raw * planned.numerator / planned.denominator
        return mapped

    return mapper


class _Compiled:
    """A layout plus the profile chosen for it and the compiled field plan."""

    __slots__ = (
        "checked",
        "fast",
        "layout",
        "meter_profile",
        "model",
        "plan",
        "profile",
        "status_key",
    )

    def __init__(self, layout: Layout, profile: MeterProfile) -> None:
        self.layout = layout
        self.meter_profile = profile
        self.profile = profile.name
        self.model = profile.model
        self.plan: tuple[FieldPlan, ...] = compile_fields(profile, layout.headers)
        self.checked = _map_values_checked(self.plan)
        # Struct-decoded values without converters are always numbers.
        numeric = layout.compact is not None and not layout.converters
        self.fast = _map_values(self.plan) if numeric else self.checked
        # The field the profile declares for the TPL status byte's error bits, if any.
        self.status_key = next(
            (spec.key for spec in profile.fields if spec.quantity == TRANSPORT_STATUS), None
        )


class _Meter:
    """Per-address state: key, cipher, duplicate guard, failure count, last long layout."""

    __slots__ = (
        "address",
        "cipher",
        "crc_failures",
        "key",
        "long",
        "long_owner",
        "own_format",
        "plaintext",
        "profile",
        "recent",
        "registry_base",
        "wire",
    )

    def __init__(self, wire: bytes, key: bytes | None, plaintext: bool) -> None:
        self.wire = wire
        self.address = MeterAddress.from_wire(wire)
        # The address alone picks the profile for what is not DIF/VIF (manufacturer CIs,
        # a manufacturer APL): chosen once per meter, never per telegram.
        self.profile = _select_profile(self.address, None)
        self.own_format = self.profile.payload == "manufacturer"
        self.key = key
        self.cipher = AesCtr(key) if key is not None else None
        self.plaintext = plaintext
        self.crc_failures = 0
        self.recent: tuple[bytes, ...] = ()
        self.long: _Compiled | None = None
        self.long_owner = wire  # the address ``long`` was compiled for (TPL or link)
        # Format-registry keys of this meter's compact frames, less the signature.
        self.registry_base = registry_key(wire[0] | (wire[1] << 8), wire[7], 0)


@dataclass(frozen=True, slots=True)
class _IdKey:
    """A key given for an id: it applies to every address with those digits."""

    key: bytes | None
    plaintext: bool


def _address_variants(wire: bytes) -> tuple[bytes, bytes]:
    """The wire address with the national-code bit clear and set (both name one meter)."""
    clear = wire[:1] + bytes((wire[1] & ~NATIONAL_CODE_BIT & 0xFF,)) + wire[2:]
    return clear, clear[:1] + bytes((clear[1] | NATIONAL_CODE_BIT,)) + clear[2:]


def _check_key(key: bytes | None) -> None:
    if key is not None and len(key) != 16:
        raise ValueError(f"AES-128 key must be 16 bytes, got {len(key)}")


class Decoder:
    """Decode telegrams of configured meters.

    Keys are given per address (:class:`MeterAddress`) or per id (the 8 digits: the key
    then applies to every address with that id, each address with its own state); a key
    given for an address is never tried on another address's telegrams. ``keys`` maps
    ids or addresses to 16-byte AES keys (None: the meter sends unencrypted telegrams).
    ``plaintext_meters`` lists meters whose telegrams claim encryption but are already
    decrypted: only wmbusmeters' published test telegrams are like that; real captures
    always decrypt. ``duplicate_guard`` can be switched off for benchmarks and replays.
    """

    def __init__(
        self,
        keys: Mapping[MeterId | MeterAddress, bytes | None] | None = None,
        *,
        plaintext_meters: Iterable[MeterId | MeterAddress] = (),
        duplicate_guard: bool = True,
        profiles: tuple[MeterProfile, ...] = DEFAULT_PROFILES,
    ) -> None:
        self._meters: dict[bytes, _Meter] = {}
        self._explicit: set[bytes] = set()
        self._by_id: dict[bytes, _IdKey] = {}
        self._bound: dict[bytes, list[bytes]] = {}
        self._compiled: dict[int, _Compiled] = {}
        self._duplicate_guard = duplicate_guard
        self.formats = FormatRegistry()
        for profile in profiles:
            for manufacturer, device_type, format_bytes in profile.format_declarations():
                self.formats.declare(
                    manufacturer_id_from_code(manufacturer), device_type, format_bytes
                )
        for meter, key in (keys or {}).items():
            self.set_key(meter, key)
        for meter in plaintext_meters:
            self.set_key(meter, None, payload_is_plaintext=True)

    # -- configuration -------------------------------------------------------------

    def set_key(
        self,
        meter: MeterId | MeterAddress,
        key: bytes | None,
        *,
        payload_is_plaintext: bool = False,
    ) -> None:
        """Configure (or re-key) a meter by address or by id; resets its state.

        Raises ValueError for a malformed id or address, or a key that is not 16 bytes.
        """
        _check_key(key)
        if isinstance(meter, MeterAddress):
            for wire in _address_variants(meter.wire):
                self._meters[wire] = _Meter(wire, key, payload_is_plaintext)
                self._explicit.add(wire)
            return
        id_wire = meter_id_to_wire(meter)
        self._by_id[id_wire] = _IdKey(key, payload_is_plaintext)
        for wire in self._bound.pop(id_wire, ()):
            self._meters.pop(wire, None)

    def remove_meter(self, meter: MeterId | MeterAddress) -> None:
        """Forget a meter: an address, or an id with every address it applied to.

        Its telegrams are "unknown meter" again; unknown meters are ignored.
        """
        if isinstance(meter, MeterAddress):
            for wire in _address_variants(meter.wire):
                self._meters.pop(wire, None)
                self._explicit.discard(wire)
            return
        id_wire = meter_id_to_wire(meter)
        self._by_id.pop(id_wire, None)
        for wire in self._bound.pop(id_wire, ()):
            self._meters.pop(wire, None)
        for wire in [wire for wire in self._explicit if wire[2:6] == id_wire]:
            self._meters.pop(wire, None)
            self._explicit.discard(wire)

    def pin(self, address: MeterAddress) -> None:
        """Keep an id's key for ``address`` alone: the meter is bound to its whole address.

        The address keeps the state it has (duplicate guard, failure count, learned layout),
        so the telegram that proved the key is not decoded again to fill a fresh guard; the
        id's other addresses, and the per-id key, are forgotten. An address without state
        yet gets the id's key. Raises KeyError if neither the address nor its id has a key.
        """
        wire = address.wire
        id_wire = wire[2:6]
        id_key = self._by_id.pop(id_wire, None)
        bound = self._bound.pop(id_wire, [])
        states = {variant: self._meters.get(variant) for variant in _address_variants(wire)}
        for other in bound:
            if other not in states:
                self._meters.pop(other, None)
        for variant, kept in states.items():
            if kept is None:
                if id_key is None:
                    raise KeyError(f"no key for meter {address}")
                kept = _Meter(variant, id_key.key, id_key.plaintext)  # noqa: PLW2901
            self._meters[variant] = kept
            self._explicit.add(variant)

    def failures(self, address: MeterAddress) -> int:
        """Payload check failures in a row of ``address`` (0 for an address without state).

        The one count of failed checks: ``decode`` raises :class:`WrongKey` once it reaches
        ``WRONG_KEY_AFTER_FAILURES``; a caller weighing several addresses reads it here.
        """
        return max(
            (
                meter.crc_failures
                for variant in _address_variants(address.wire)
                if (meter := self._meters.get(variant)) is not None
            ),
            default=0,
        )

    def __contains__(self, meter: object) -> bool:
        if isinstance(meter, MeterAddress):
            try:
                wire = meter.wire
            except ValueError:
                return False
            return wire in self._explicit or wire[2:6] in self._by_id
        if not isinstance(meter, str):
            return False
        try:
            id_wire = meter_id_to_wire(meter)
        except ValueError:
            return False
        return id_wire in self._by_id or any(wire[2:6] == id_wire for wire in self._explicit)

    @property
    def meter_ids(self) -> tuple[MeterId, ...]:
        """Ids with a key (given per id or per address), each once."""
        wires = dict.fromkeys([*self._by_id, *(wire[2:6] for wire in self._explicit)])
        return tuple(wire[::-1].hex() for wire in wires)

    @property
    def addresses(self) -> tuple[MeterAddress, ...]:
        """Addresses with a key of their own, and those a per-id key was applied to."""
        found = {meter.address: None for meter in self._meters.values()}
        return tuple(found)

    def _bind(self, telegram: bytes, wire: bytes) -> _Meter:
        """State for an address (``wire``) first heard with a per-id key, or UnknownMeter."""
        id_key = self._by_id.get(wire[2:6])
        if id_key is None:
            # Cheapest possible rejection (most telegrams are the neighbours'): no
            # __init__ call, the header is only parsed if someone asks for it.
            error = _new_error(UnknownMeter)
            error._prefix = telegram
            error._wire = wire
            raise error
        wire = bytes(wire)
        meter = _Meter(wire, id_key.key, id_key.plaintext)
        bound = self._bound.setdefault(wire[2:6], [])
        if len(bound) >= ADDRESSES_PER_ID:
            self._meters.pop(bound.pop(0), None)
        bound.append(wire)
        self._meters[wire] = meter
        return meter

    # -- decoding ------------------------------------------------------------------

    @staticmethod
    def peek_header(telegram: bytes) -> LinkHeader:
        """Header facts of any telegram (for the "heard meters" list); needs no key.

        Its ``address`` is the meter's, a long transport header's when there is one.
        Raises Truncated/LengthMismatch like :meth:`decode`.
        """
        check_length(telegram)
        return link_header_from_prefix(telegram)

    def decode(self, telegram: bytes) -> Reading:
        """Decode one telegram (L-field first, no link-layer CRCs).

        The meter is the one a long transport header names, if there is one readable
        before decryption (a meter behind a radio converter); its key applies and the
        reading carries its address, the radio part's in ``link_address``.
        Raises only :class:`WmbusError` subclasses, whatever the input.
        """
        size = len(telegram)
        if size < LINK_HEADER_SIZE or size != telegram[0] + 1:
            check_length(telegram)
        link = wire = telegram[2:10]
        if telegram[10] in METER_ADDRESS_CIS:
            wire = meter_address_wire(telegram)
        meter = self._meters.get(wire)
        if meter is None:
            meter = self._bind(telegram, wire)
        reading = self._decode_guarded(meter, telegram, True)
        if wire is not link and wire != link:
            _set_link_address(reading, MeterAddress.from_wire(link))
        return reading

    def try_key(self, telegram: bytes, key: bytes) -> Reading:
        """Decode ``telegram`` with a candidate ``key`` without changing any state.

        The config flow uses it to refuse a wrong key: raises PayloadCrcMismatch if the
        key does not fit (ValueError if it is not 16 bytes).
        """
        _check_key(key)
        check_length(telegram)
        meter = _Meter(meter_address_wire(telegram), key, False)
        reading = self._decode_guarded(meter, telegram, False)
        if meter.wire != telegram[2:10]:
            _set_link_address(reading, MeterAddress.from_wire(telegram[2:10]))
        return reading

    def _decode_guarded(self, meter: _Meter, telegram: bytes, commit: bool) -> Reading:
        """``_decode`` with the stages' errors completed and wrong-key runs counted."""
        try:
            reading = self._decode(meter, telegram, commit)
        except WrongKey:
            raise
        except PayloadCrcMismatch as err:
            raise self._crc_failed(meter, telegram, err, commit) from None
        except WmbusError as err:
            if err._header is None:
                # Stages name the problem; the decoder adds which telegram it was.
                err._header = link_header_from_prefix(telegram)
            raise
        except Exception as err:  # pragma: no cover - a bug, but never crash the caller
            raise MalformedRecords(
                f"undecodable telegram ({type(err).__name__})", link_header_from_prefix(telegram)
            ) from err
        if commit:
            meter.crc_failures = 0
        return reading

    def _crc_failed(
        self, meter: _Meter, telegram: bytes, error: PayloadCrcMismatch, commit: bool
    ) -> PayloadCrcMismatch:
        header = error._header or link_header_from_prefix(telegram)
        if commit:
            meter.crc_failures += 1
            if meter.crc_failures >= WRONG_KEY_AFTER_FAILURES:
                return WrongKey(
                    f"{error} for meter {meter.address} {meter.crc_failures} times in a row: "
                    "the configured key is wrong",
                    header,
                )
        error._header = header
        return error

    def _decode(self, meter: _Meter, telegram: bytes, commit: bool) -> Reading:
        extended = telegram[10] in ELL_CIS
        guard = commit and self._duplicate_guard
        if guard:
            # Before any cryptography: from the access number on (the ELL's ACC, SN and
            # payload, or the TPL), what repeaters and other sticks leave alone.
            recent = telegram[12:] if extended else telegram[10:]
            if recent in meter.recent:
                raise Duplicate(f"telegram of meter {meter.address} already decoded")
        if extended:
            ell = open_ell(telegram, meter.cipher, plaintext=meter.plaintext)
            transport = ell.payload
            access_number = ell.access_number
        else:
            transport = telegram[10:]
            access_number = -1
        reading = self._transport(meter, telegram, transport, access_number, commit)
        if guard:
            meter.recent = (recent, *meter.recent[: RECENT_TELEGRAMS - 1])
        return reading

    def _transport(
        self, meter: _Meter, telegram: bytes, transport: bytes, access_number: int, commit: bool
    ) -> Reading:
        """AFL, TPL and APL of the bytes after the link layer and ELL."""
        if not transport:
            raise Truncated("no transport CI after the extended link layer")
        transport = skip_network_layer(transport)
        ci = transport[0]
        afl: AuthenticationLayer | None = None
        if ci == CI_AFL:
            afl, start = parse_afl(transport, 0)
            transport = transport[start:]
            ci = transport[0]
        if ci in TPL_CIS:
            tpl = parse_tpl(transport)
            if tpl.configuration is None:
                apl = transport[1:]  # CI 78/79 (OmniPower): no header, nothing encrypted
            else:
                if access_number < 0 and tpl.access_number is not None:
                    access_number = tpl.access_number
                if tpl.security_mode in MANUFACTURER_SECURITY_MODES:
                    if not meter.profile.decodes_frame(ci):
                        mode = tpl.security_mode
                        raise UnsupportedEncryption(
                            f"security mode {mode} (manufacturer specific) of meter "
                            f"{meter.address} not supported",
                            mode=mode,
                        )
                    # Nothing to decrypt by the standard: the profile gets the TPL header too.
                    return self._manufacturer(meter, ci, transport[1:], access_number)
                if (
                    meter.key is None
                    and not meter.plaintext
                    and tpl.security_mode in DEFAULT_KEY_MODES
                ):
                    apl = _open_with_default_key(meter, tpl, transport, afl)
                else:
                    apl = open_tpl(
                        tpl, transport, meter.wire, meter.key, afl, plaintext=meter.plaintext
                    )
                if meter.own_format:
                    records = self._manufacturer_records(meter, ci, apl)
                    if records:
                        return self._manufacturer_reading(meter, records, apl, access_number)
            kind = tpl.application
            if kind in ("records", "compact"):
                # Behind a radio module the long TPL header names the meter whose records
                # these are (wmbusmeters drivers/src/elster.xmq): its profile and formats apply.
                owner = tpl.address_wire or meter.wire
                owner_address = tpl.address or meter.address
                if kind == "compact":
                    return self._compact(
                        meter, apl, access_number, owner, owner_address, tpl.status
                    )
                return self._records(
                    meter, apl, access_number, commit, owner, owner_address, tpl.status
                )
            if meter.profile.decodes_frame(ci):
                # E.g. Diehl's "real data" under CI 71, which the standard calls an alarm.
                return self._manufacturer(meter, ci, transport[1:], access_number)
            meaning = CI_MEANINGS.get(ci, "no meter data")
            raise UnsupportedCi(f"transport CI 0x{ci:02x} ({meaning}) not supported")
        if ci in MANUFACTURER_CIS:
            return self._manufacturer(meter, ci, transport[1:], access_number)
        where = "transport CI" if telegram[10] != ci else "CI"
        raise UnsupportedCi(f"{where} 0x{ci:02x} not supported")

    def _compile(self, key: int, address: MeterAddress, layout: Layout) -> _Compiled:
        compiled = self._compiled.get(key)
        if compiled is None or compiled.layout is not layout:
            compiled = _Compiled(layout, _select_profile(address, layout.signature))
            if len(self._compiled) >= 1024:
                self._compiled.clear()
            self._compiled[key] = compiled
        return compiled

    def _records(  # noqa: PLR0917 - hot path: positional arguments are cheapest
        self,
        meter: _Meter,
        apl: bytes,
        access_number: int,
        commit: bool,
        owner: bytes,
        owner_address: MeterAddress,
        status: int | None,
    ) -> Reading:
        """APL data records: the meter's compiled layout if it fits, else a full parse.

        ``owner`` (wire) and ``owner_address`` are the address the records belong to: the
        long TPL header's when there is one, else the link layer's. ``status`` is the TPL
        status byte (None without a header).
        """
        compiled = meter.long
        if compiled is not None and meter.long_owner == owner:
            fast_values = compiled.layout.decode_long(apl)
            if fast_values is not None:
                fast = compiled.fast(fast_values)
                if status is not None and compiled.status_key is not None:
                    fast[compiled.status_key] = status_errors(status)
                return _new_reading(
                    meter.address,
                    compiled,
                    fast,
                    access_number,
                    "long",
                    None,
                    compiled.layout,
                    apl,
                    (),
                    status,
                )
        record_set = parse_records(apl)
        layout = compile_layout(record_set.format_bytes)
        manufacturer_id = owner[0] | (owner[1] << 8)
        key = registry_key(manufacturer_id, owner[7], layout.signature)
        compiled = self._compile(key, owner_address, layout)
        records = record_set.records
        problems = record_set.problems
        extra = _manufacturer_data_records(meter, compiled.meter_profile, record_set)
        if commit:
            self.formats.learn(manufacturer_id, owner[7], layout)
            if not extra and not problems:
                meter.long = compiled
                meter.long_owner = owner
        values: dict[str, Value]
        if extra:
            profile = compiled.meter_profile
            records = (*records, *extra)
            headers = tuple(record.header for record in records)
            values = _record_mapper(profile, headers)(tuple(record.value for record in records))
        else:
            values = compiled.checked(tuple(record.value for record in records))
        if status is not None and compiled.status_key is not None:
            values[compiled.status_key] = status_errors(status)
        return _new_reading(
            meter.address,
            compiled,
            values,
            access_number,
            "long",
            records,
            layout,
            apl,
            problems,
            status,
        )

    def _compact(  # noqa: PLR0917 - hot path: positional arguments are cheapest
        self,
        meter: _Meter,
        apl: bytes,
        access_number: int,
        owner: bytes,
        owner_address: MeterAddress,
        status: int | None,
    ) -> Reading:
        """A compact frame: signature, full-frame CRC, values in a known record format."""
        if len(apl) < 4:
            raise Truncated("compact frame without signature and CRC")
        signature = apl[0] | (apl[1] << 8)
        full_crc = apl[2] | (apl[3] << 8)
        data = apl[4:]
        if owner is meter.wire:
            key = meter.registry_base | signature
        else:
            key = registry_key(owner[0] | (owner[1] << 8), owner[7], signature)
        compiled = self._compiled.get(key)
        if compiled is None:
            layout = self.formats.lookup(key)
            if layout is None:
                raise UnknownFormatSignature(
                    f"compact frame format 0x{signature:04x} of meter {meter.address} not "
                    "known yet (waiting for a long frame)"
                )
            compiled = self._compile(key, owner_address, layout)
        layout = compiled.layout
        try:
            values = layout.decode_compact(data)
            computed = crc16_en13757(layout.full_frame(data))
        except MalformedRecords as err:
            raise FormatMismatch(str(err)) from None
        if computed != full_crc:
            raise FormatMismatch(
                f"full-frame CRC 0x{computed:04x} != 0x{full_crc:04x}: format "
                f"0x{signature:04x} does not describe this frame"
            )
        if compiled.meter_profile.record_layouts:
            return _compact_with_layouts(
                meter, compiled, values, data, access_number, owner_address, status
            )
        fast = compiled.fast(values)
        if status is not None and compiled.status_key is not None:
            fast[compiled.status_key] = status_errors(status)
        return _new_reading(
            meter.address,
            compiled,
            fast,
            access_number,
            "compact",
            None,
            layout,
            data,
            (),
            status,
        )

    def _manufacturer(self, meter: _Meter, ci: int, apl: bytes, access_number: int) -> Reading:
        """A manufacturer CI or security mode: only the meter's profile can read it."""
        records = self._manufacturer_records(meter, ci, apl)
        if not records:
            raise UnsupportedCi(
                f"CI 0x{ci:02x} (manufacturer specific) of meter {meter.address} not supported"
            )
        return self._manufacturer_reading(meter, records, apl, access_number)

    @staticmethod
    def _manufacturer_records(meter: _Meter, ci: int, apl: bytes) -> tuple[Record, ...]:
        """Records the meter's profile reads from a payload handed over unparsed.

        ``apl`` is everything after a manufacturer CI, the decrypted APL after the TPL
        header, or (manufacturer security mode) everything after the TPL CI. Empty when
        the profile has no layout for ``ci``.
        """
        profile = meter.profile
        if not profile.decodes_frame(ci):
            return ()
        return profile.decode_manufacturer(ci, apl, meter.address, key=meter.key)

    @staticmethod
    def _manufacturer_reading(
        meter: _Meter, records: tuple[Record, ...], apl: bytes, access_number: int
    ) -> Reading:
        profile = meter.profile
        headers = tuple(record.header for record in records)
        values = _record_mapper(profile, headers)(tuple(record.value for record in records))
        reading = object.__new__(Reading)
        for setter, value in zip(
            _READING_SLOTS,
            (
                meter.address,
                profile.name,
                profile.model,
                values,
                access_number,
                "manufacturer",
                profile,
                (),
                records,
                None,
                apl,
                None,
                None,
            ),
            strict=True,
        ):
            setter(reading, value)
        return reading


_record_mappers: dict[tuple[str, tuple[RecordHeader, ...]], ValueMapper] = {}
_RECORD_MAPPERS_MAX: Final = 1024


def _record_mapper(profile: MeterProfile, headers: tuple[RecordHeader, ...]) -> ValueMapper:
    """The field plan of records no layout describes (manufacturer-derived), compiled once.

    Matching every field against every record costs far more than the decode; a meter
    sends the same headers again and again.
    """
    key = (profile.name, headers)
    mapper = _record_mappers.get(key)
    if mapper is None:
        mapper = _map_values_checked(compile_fields(profile, headers))
        if len(_record_mappers) >= _RECORD_MAPPERS_MAX:
            _record_mappers.clear()
        _record_mappers[key] = mapper
    return mapper


def _open_with_default_key(
    meter: _Meter, tpl: TransportHeader, transport: bytes, afl: AuthenticationLayer | None
) -> bytes:
    """The APL of a keyless meter's encrypted telegram, if its maker's published key opens it.

    Diehl ships meters with one published OMS key unless the customer ordered their own;
    a user who was given no key should still see such a meter. The ``2F 2F`` check (or
    the MAC) decides: a meter with a key of its own stays "no key", never "wrong key",
    because the user configured none. The profile is the long header's meter's where
    there is one (a Hydrus behind a radio module), else the link address's.
    """
    profile = meter.profile
    if tpl.address is not None:
        profile = _select_profile(tpl.address, None)
    default_key = profile.default_key or meter.profile.default_key
    if default_key is None:
        return open_tpl(tpl, transport, meter.wire, None, afl)  # raises "no key"
    try:
        return open_tpl(tpl, transport, meter.wire, default_key, afl)
    except PayloadCrcMismatch:
        mode = tpl.security_mode
        raise UnknownMeter(
            f"meter sends security mode {mode} telegrams, has no key, and the "
            f"{profile.model} default key does not open them"
        ) from None


def _compact_with_layouts(  # noqa: PLR0917 - the compact path's own values, passed on
    meter: _Meter,
    compiled: _Compiled,
    values: tuple[RecordValue, ...],
    data: bytes,
    access_number: int,
    owner_address: MeterAddress,
    status: int | None,
) -> Reading:
    """A compact frame of a meter whose manufacturer records hold values (Kamstrup info codes).

    The compact layout gives only the raw record values; the manufacturer records must be
    read by the profile as in a long frame, or the meter's alarms would vanish whenever it
    sends compact frames (most of the time, for a Multical 21).
    """
    profile = compiled.meter_profile
    layout = compiled.layout
    records = parse_records(layout.full_frame(data)).records
    extra = profile.expand_records(records, owner_address, key=meter.key)
    mapped: dict[str, Value]
    if extra:
        records = (*records, *extra)
        headers = tuple(record.header for record in records)
        mapped = _record_mapper(profile, headers)(tuple(record.value for record in records))
    else:
        mapped = compiled.fast(values)
    if status is not None and compiled.status_key is not None:
        mapped[compiled.status_key] = status_errors(status)
    return _new_reading(
        meter.address, compiled, mapped, access_number, "compact", records, layout, data, (), status
    )


def _select_profile(address: MeterAddress, signature: int | None) -> MeterProfile:
    """The meters package's profile choice for an address and record-format signature."""
    return select_profile(address, signature)


def _manufacturer_data_records(
    meter: _Meter, profile: MeterProfile, record_set: RecordSet
) -> tuple[Record, ...]:
    """Records the profile reads from DIF 0F/1F data and manufacturer-VIF records.

    Empty for a meter without such layouts (and for a missing or wrong key).
    """
    extra: tuple[Record, ...] = ()
    if profile.record_layouts:
        extra = profile.expand_records(record_set.records, meter.address, key=meter.key)
    if record_set.manufacturer_data:
        extra += profile.decode_manufacturer_data(
            record_set.manufacturer_data, meter.address, key=meter.key
        )
    return extra


__all__ = ["Decoder", "MeterAddress", "Reading"]
