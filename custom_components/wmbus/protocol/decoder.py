"""Telegram decoder: bytes in, a :class:`Reading` or a typed :class:`WmbusError` out.

The only place that knows keys. Pipeline (PROTOCOL.md 7): length rule -> link header ->
known meter? (header bytes and one dict lookup, before any cryptography) -> ELL ->
AES-128-CTR -> payload CRC -> transport CI (78 full / 79 compact) -> records -> meter
profile -> Reading.

The hot path is written for the DESIGN.md budgets (a few microseconds per telegram):
meter state is looked up by the raw id bytes, the AES context is cached per key, record
layouts and profile plans are compiled once and reused while a meter's format repeats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import struct
from typing import Final, Literal

from .crypto import AesCtr, aes_cbc_decrypt, crc16_en13757, ell_counter_prefix
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
    CI_ELL_I,
    CI_ELL_II,
    LINK_HEADER_SIZE,
    LinkHeader,
    MeterId,
    check_length,
    link_header_from_prefix,
    manufacturer_code,
    manufacturer_id_from_code,
    meter_id_to_wire,
)
from .meters import (
    PROFILES as DEFAULT_PROFILES,
    FieldPlan,
    MeterProfile,
    compile_fields,
    select_profile,
)
from .records import (
    FormatRegistry,
    Layout,
    RecordValue,
    compile_layout,
    parse_records,
    registry_key,
)

type FrameKind = Literal["long", "compact"]
type Value = int | float

CI_FULL: Final = 0x78
CI_COMPACT: Final = 0x79
CI_SHORT_TPL: Final = 0x7A
CI_LONG_TPL: Final = 0x72
CI_COMPACT_SHORT_TPL: Final = 0x7B
CI_COMPACT_LONG_TPL: Final = 0x73
_TPL_CIS: Final = frozenset(
    {CI_FULL, CI_COMPACT, CI_SHORT_TPL, CI_LONG_TPL, CI_COMPACT_SHORT_TPL, CI_COMPACT_LONG_TPL}
)
_SHORT_TPL_SIZE: Final = 4  # ACC, status, configuration word
_LONG_TPL_SIZE: Final = 12  # id, M, version, type, ACC, status, configuration word
SECURITY_MODE_NONE: Final = 0
SECURITY_MODE_AES_CBC: Final = 5

WRONG_KEY_AFTER_FAILURES: Final = 3
"""Consecutive payload CRC failures after which a meter's key is reported as wrong.

One failure is usually radio corruption that slipped past the link CRCs; a run of them
on a meter that used to decode (or never did) means the key does not fit.
"""
RECENT_TELEGRAMS: Final = 4
"""How many telegrams per meter the duplicate guard remembers.

It keeps the bytes from the access number on (ACC, SN and the payload; after CI 8C or
without ELL, ACC and the payload): a repeater changes only CC bits and the C-field, so its
copy matches, while a module that restarts and repeats an ACC/SN pair with new content is
accepted (PROTOCOL.md 7.8).
"""

_ELL_II = struct.Struct("<BBIH")
_new_error = BaseException.__new__
_NO_SN: Final = -1


@dataclass(frozen=True, slots=True)
class Reading:
    """The values one telegram carried, ready for the integration.

    ``values`` holds only what the telegram carries (absent is absent, never 0): energy
    in kWh as float (exact from integer Wh), power in W as int. RSSI and reception time
    are added by the caller, they are not properties of the telegram.
    """

    meter_id: MeterId
    manufacturer: str
    version: int
    device_type: int
    profile: str
    model: str
    values: Mapping[str, Value]
    access_number: int
    frame: FrameKind


_READING_SLOTS = tuple(
    Reading.__dict__[name].__set__
    for name in (
        "meter_id",
        "manufacturer",
        "version",
        "device_type",
        "profile",
        "model",
        "values",
        "access_number",
        "frame",
    )
)


def _new_reading(*fields: object) -> Reading:
    """Build a Reading without the frozen-dataclass ``__init__``.

    The generated ``__init__`` of a frozen dataclass sets each field through
    ``object.__setattr__`` (about 0.9 us for nine fields, a fifth of the whole decode
    budget); writing the slots through their descriptors halves that. The result is an
    ordinary, immutable Reading.
    """
    reading = object.__new__(Reading)
    for setter, value in zip(_READING_SLOTS, fields, strict=True):
        setter(reading, value)
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
    for field in plan:
        raw = f"v[{field.index}]"
        if field.denominator == 1:
            expression = f"{raw} * {field.numerator}" if field.numerator != 1 else raw
            if not field.integer:
                expression = f"float({expression})"
        else:
            expression = f"{raw} * {field.numerator} / {field.denominator}"
            if field.numerator == 1:
                expression = f"{raw} / {field.denominator}"
        items.append(f"{field.key!r}: {expression}")
    source = "lambda v: {" + ", ".join(items) + "}"
    mapper: ValueMapper = eval(source, {"float": float})  # generated, see docstring
    return mapper


def _map_values_checked(plan: tuple[FieldPlan, ...]) -> ValueMapper:
    """Field mapping for values that may be missing or non-numeric (BCD errors, text)."""

    def mapper(values: tuple[RecordValue, ...]) -> dict[str, Value]:
        mapped: dict[str, Value] = {}
        for field in plan:
            raw = values[field.index]
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                continue
            if field.denominator == 1:
                scaled = raw * field.numerator
                mapped[field.key] = scaled if field.integer else float(scaled)
            else:
                mapped[field.key] = raw * field.numerator / field.denominator
        return mapped

    return mapper


class _Compiled:
    """A layout plus the profile chosen for it and the compiled field plan."""

    __slots__ = ("checked", "fast", "layout", "model", "plan", "profile")

    def __init__(self, layout: Layout, profile: MeterProfile) -> None:
        self.layout = layout
        self.profile = profile.name
        self.model = profile.model
        self.plan: tuple[FieldPlan, ...] = compile_fields(profile, layout.headers)
        self.checked = _map_values_checked(self.plan)
        # Struct-decoded values without converters are always numbers.
        numeric = layout.compact is not None and not layout.converters
        self.fast = _map_values(self.plan) if numeric else self.checked


class _Meter:
    """Per-meter state: key, cipher, duplicate guard, failure count, last long layout."""

    __slots__ = (
        "cipher",
        "crc_failures",
        "ident",
        "ident_fields",
        "key",
        "long",
        "long_ident",
        "meter_id",
        "plaintext",
        "recent",
    )

    def __init__(self, meter_id: MeterId, key: bytes | None, plaintext: bool) -> None:
        self.meter_id = meter_id
        self.key = key
        self.cipher = AesCtr(key) if key is not None else None
        self.plaintext = plaintext
        self.crc_failures = 0
        self.recent: tuple[bytes, ...] = ()
        self.long: _Compiled | None = None
        self.long_ident = b""  # M and A of the telegram ``long`` was compiled for
        self.ident = b""
        self.ident_fields: tuple[str, int, int] = ("", 0, 0)


def _ident_fields(telegram: bytes) -> tuple[str, int, int]:
    return (manufacturer_code(telegram[2] | (telegram[3] << 8)), telegram[8], telegram[9])


class Decoder:
    """Decode telegrams of configured meters.

    ``keys`` maps meter ids to 16-byte AES keys (None: the meter sends unencrypted
    telegrams). ``plaintext_meters`` lists meters whose telegrams claim AES-CTR but are
    already decrypted: only wmbusmeters' published test telegrams are like that; real
    captures always decrypt. ``duplicate_guard`` can be switched off for benchmarks and
    replays.
    """

    def __init__(
        self,
        keys: Mapping[MeterId, bytes | None] | None = None,
        *,
        plaintext_meters: frozenset[MeterId] | set[MeterId] | tuple[MeterId, ...] = (),
        duplicate_guard: bool = True,
        profiles: tuple[MeterProfile, ...] = DEFAULT_PROFILES,
    ) -> None:
        self._meters: dict[bytes, _Meter] = {}
        self._compiled: dict[int, _Compiled] = {}
        self._duplicate_guard = duplicate_guard
        self.formats = FormatRegistry()
        for profile in profiles:
            for format_bytes in profile.record_formats:
                for manufacturer in profile.manufacturers:
                    for device_type in profile.device_types:
                        self.formats.declare(
                            manufacturer_id_from_code(manufacturer), device_type, format_bytes
                        )
        for meter_id, key in (keys or {}).items():
            self.set_key(meter_id, key)
        for meter_id in plaintext_meters:
            self.set_key(meter_id, None, payload_is_plaintext=True)

    # -- configuration -------------------------------------------------------------

    def set_key(
        self, meter_id: MeterId, key: bytes | None, *, payload_is_plaintext: bool = False
    ) -> None:
        """Configure (or re-key) a meter; resets its duplicate guard and failure count.

        Raises ValueError for a malformed id or a key that is not 16 bytes.
        """
        wire = meter_id_to_wire(meter_id)
        self._meters[wire] = _Meter(wire[::-1].hex(), key, payload_is_plaintext)

    def remove_meter(self, meter_id: MeterId) -> None:
        """Forget a meter; its telegrams are "unknown meter" again. Unknown ids are ignored."""
        self._meters.pop(meter_id_to_wire(meter_id), None)

    def __contains__(self, meter_id: object) -> bool:
        if not isinstance(meter_id, str):
            return False
        try:
            return meter_id_to_wire(meter_id) in self._meters
        except ValueError:
            return False

    @property
    def meter_ids(self) -> tuple[MeterId, ...]:
        """Configured meter ids."""
        return tuple(meter.meter_id for meter in self._meters.values())

    # -- decoding ------------------------------------------------------------------

    @staticmethod
    def peek_header(telegram: bytes) -> LinkHeader:
        """Header facts of any telegram (for the "heard meters" list); needs no key.

        Raises Truncated/LengthMismatch like :meth:`decode`.
        """
        check_length(telegram)
        return link_header_from_prefix(telegram)

    def decode(self, telegram: bytes) -> Reading:
        """Decode one telegram (L-field first, no link-layer CRCs).

        Raises only :class:`WmbusError` subclasses, whatever the input.
        """
        size = len(telegram)
        if size < LINK_HEADER_SIZE or size != telegram[0] + 1:
            check_length(telegram)
        meter = self._meters.get(telegram[4:8])
        if meter is None:
            # Cheapest possible rejection (most telegrams are the neighbours'): no
            # __init__ call, the header is only parsed if someone asks for it.
            error = _new_error(UnknownMeter)
            error._prefix = telegram[:LINK_HEADER_SIZE]
            raise error
        return self._decode_guarded(meter, telegram, True)

    def try_key(self, telegram: bytes, key: bytes) -> Reading:
        """Decode ``telegram`` with a candidate ``key`` without changing any state.

        The config flow uses it to refuse a wrong key: raises PayloadCrcMismatch if the
        key does not fit (ValueError if it is not 16 bytes).
        """
        check_length(telegram)
        meter = _Meter(telegram[7:3:-1].hex(), key, False)
        return self._decode_guarded(meter, telegram, False)

    def _decode_guarded(self, meter: _Meter, telegram: bytes, commit: bool) -> Reading:
        """``_decode`` with any unexpected exception turned into a typed error."""
        try:
            return self._decode(meter, telegram, commit)
        except WmbusError:
            raise
        except Exception as err:  # pragma: no cover - a bug, but never crash the caller
            raise MalformedRecords(
                f"undecodable telegram ({type(err).__name__})", link_header_from_prefix(telegram)
            ) from err

    def _decode(self, meter: _Meter, telegram: bytes, commit: bool) -> Reading:
        size = len(telegram)
        ci = telegram[10]
        sn = _NO_SN
        if ci == CI_ELL_II:
            if size < 20:
                raise Truncated(
                    f"telegram has {size} bytes, ELL II with a transport CI needs 20",
                    link_header_from_prefix(telegram),
                )
            _cc, access_number, sn, crc = _ELL_II.unpack_from(telegram, 11)
            # ACC, SN and the ciphertext: what a repeater (CC H/R bits, C-field) leaves
            # alone. New content under a repeated ACC/SN (module restart) is not a copy.
            recent = telegram[12:]
            if commit and self._duplicate_guard and recent in meter.recent:
                raise Duplicate(
                    f"telegram ACC {access_number} SN 0x{sn:08x} of meter {meter.meter_id} "
                    "already decoded",
                    link_header_from_prefix(telegram),
                )
            encryption = sn >> 29
            if encryption == 0 or meter.plaintext:
                payload = telegram[17:]
            elif encryption == 1:
                cipher = meter.cipher
                if cipher is None:
                    raise UnknownMeter(
                        f"meter {meter.meter_id} sends AES-CTR telegrams but has no key",
                        link_header_from_prefix(telegram),
                    )
                payload = cipher.decrypt(ell_counter_prefix(telegram), telegram[17:])
            else:
                raise UnsupportedEncryption(
                    f"ELL encryption {encryption} is reserved", link_header_from_prefix(telegram)
                )
            crc = payload[0] | (payload[1] << 8)
            body = payload[2:]
            computed = crc16_en13757(body)
            if computed != crc:
                self._crc_failed(meter, telegram, crc, computed, commit)
            tpl = body
        elif ci == CI_ELL_I:
            if size < 14:
                raise Truncated("ELL I telegram without transport CI", _header(telegram))
            access_number = telegram[12]
            recent = telegram[12:]
            tpl = telegram[13:]
        elif ci in _TPL_CIS:
            access_number = -1
            recent = telegram[10:]
            tpl = telegram[10:]
        else:
            raise UnsupportedCi(f"CI 0x{ci:02x} not supported", _header(telegram))
        if ci != CI_ELL_II and commit and self._duplicate_guard and recent in meter.recent:
            # Without SN only the bytes tell a copy from a new telegram: the access number
            # alone would lock out a meter that does not count it up.
            raise Duplicate(
                f"telegram of meter {meter.meter_id} already decoded", _header(telegram)
            )

        tci = tpl[0]
        if tci == CI_COMPACT:
            reading = self._compact(meter, telegram, tpl, 1, access_number)
        elif tci == CI_FULL:
            reading = self._long(meter, telegram, tpl[1:], access_number, commit)
        elif tci in (CI_SHORT_TPL, CI_LONG_TPL, CI_COMPACT_SHORT_TPL, CI_COMPACT_LONG_TPL):
            reading = self._tpl(meter, telegram, tpl, access_number, commit)
        else:
            raise UnsupportedCi(f"transport CI 0x{tci:02x} not supported", _header(telegram))
        if commit:
            meter.crc_failures = 0
            if self._duplicate_guard:
                meter.recent = (recent, *meter.recent[: RECENT_TELEGRAMS - 1])
        return reading

    def _crc_failed(
        self, meter: _Meter, telegram: bytes, crc: int, computed: int, commit: bool
    ) -> None:
        header = _header(telegram)
        if commit:
            meter.crc_failures += 1
            if meter.crc_failures >= WRONG_KEY_AFTER_FAILURES:
                raise WrongKey(
                    f"payload CRC 0x{computed:04x} != 0x{crc:04x} for meter {meter.meter_id} "
                    f"{meter.crc_failures} times in a row: the configured key is wrong",
                    header,
                )
        raise PayloadCrcMismatch(
            f"payload CRC 0x{computed:04x} != 0x{crc:04x}: wrong key or corrupted telegram",
            header,
        )

    def _ident(self, meter: _Meter, telegram: bytes) -> tuple[bytes, tuple[str, int, int]]:
        ident = telegram[2:10]
        if ident != meter.ident:
            meter.ident = ident
            meter.ident_fields = _ident_fields(telegram)
        return ident, meter.ident_fields

    def _reading(  # noqa: PLR0917 - hot path: positional arguments are cheapest
        self,
        meter: _Meter,
        fields: tuple[str, int, int],
        compiled: _Compiled,
        values: tuple[RecordValue, ...],
        access_number: int,
        frame: FrameKind,
        *,
        checked: bool = False,
    ) -> Reading:
        mapped = compiled.checked(values) if checked else compiled.fast(values)
        return _new_reading(
            meter.meter_id,
            fields[0],
            fields[1],
            fields[2],
            compiled.profile,
            compiled.model,
            mapped,
            access_number,
            frame,
        )

    def _compile(self, key: int, ident: bytes, layout: Layout, manufacturer: str) -> _Compiled:
        compiled = self._compiled.get(key)
        if compiled is None or compiled.layout is not layout:
            profile = select_profile(manufacturer, ident[7], layout.signature)
            compiled = _Compiled(layout, profile)
            if len(self._compiled) >= 1024:
                self._compiled.clear()
            self._compiled[key] = compiled
        return compiled

    def _long(
        self, meter: _Meter, telegram: bytes, records: bytes, access_number: int, commit: bool
    ) -> Reading:
        ident, fields = self._ident(meter, telegram)
        compiled = meter.long
        if compiled is not None and meter.long_ident == ident:
            values = compiled.layout.decode_long(records)
            if values is not None:
                return self._reading(meter, fields, compiled, values, access_number, "long")
        try:
            record_set = parse_records(records)
        except MalformedRecords as err:
            raise MalformedRecords(str(err), _header(telegram)) from None
        layout = compile_layout(record_set.format_bytes)
        key = registry_key(telegram[2] | (telegram[3] << 8), telegram[9], layout.signature)
        compiled = self._compile(key, ident, layout, fields[0])
        if commit:
            self.formats.learn(telegram[2] | (telegram[3] << 8), telegram[9], layout)
            meter.long = compiled
            meter.long_ident = ident
        values = tuple(record.value for record in record_set.records)
        return self._reading(meter, fields, compiled, values, access_number, "long", checked=True)

    def _compact(
        self, meter: _Meter, telegram: bytes, tpl: bytes, start: int, access_number: int
    ) -> Reading:
        if len(tpl) < start + 4:
            raise Truncated("compact frame without signature and CRC", _header(telegram))
        signature = tpl[start] | (tpl[start + 1] << 8)
        full_crc = tpl[start + 2] | (tpl[start + 3] << 8)
        data = tpl[start + 4 :]
        key = registry_key(telegram[2] | (telegram[3] << 8), telegram[9], signature)
        ident, fields = self._ident(meter, telegram)
        compiled = self._compiled.get(key)
        if compiled is None:
            layout = self.formats.lookup(key)
            if layout is None:
                raise UnknownFormatSignature(
                    f"compact frame format 0x{signature:04x} of meter {meter.meter_id} not known "
                    "yet (waiting for a long frame)",
                    _header(telegram),
                )
            compiled = self._compile(key, ident, layout, fields[0])
        layout = compiled.layout
        try:
            values = layout.decode_compact(data)
            computed = crc16_en13757(layout.full_frame(data))
        except MalformedRecords as err:
            raise FormatMismatch(str(err), _header(telegram)) from None
        if computed != full_crc:
            raise FormatMismatch(
                f"full-frame CRC 0x{computed:04x} != 0x{full_crc:04x}: format "
                f"0x{signature:04x} does not describe this frame",
                _header(telegram),
            )
        return self._reading(meter, fields, compiled, values, access_number, "compact")

    def _tpl(
        self, meter: _Meter, telegram: bytes, tpl: bytes, access_number: int, commit: bool
    ) -> Reading:
        """Short/long transport header (CI 7A/72/7B/73), security mode 0 or 5."""
        tci = tpl[0]
        size = _SHORT_TPL_SIZE if tci in (CI_SHORT_TPL, CI_COMPACT_SHORT_TPL) else _LONG_TPL_SIZE
        if len(tpl) < 1 + size:
            raise Truncated(f"transport header of CI 0x{tci:02x} incomplete", _header(telegram))
        header = tpl[1 : 1 + size]
        config = header[-2] | (header[-1] << 8)
        tpl_access = header[-4]
        if access_number < 0:
            access_number = tpl_access
        mode = (config >> 8) & 0x1F
        rest = tpl[1 + size :]
        if mode == SECURITY_MODE_AES_CBC and not meter.plaintext:
            if meter.key is None:
                raise UnknownMeter(
                    f"meter {meter.meter_id} sends mode 5 telegrams but has no key",
                    _header(telegram),
                )
            blocks = (config >> 4) & 0x0F
            encrypted = blocks * 16
            if encrypted > len(rest):
                raise Truncated("mode 5 encrypted blocks run past the end", _header(telegram))
            # IV: M and A of the long TPL header if present, else of the link header.
            ma = (
                header[4:6] + header[0:4] + header[6:8]
                if size == _LONG_TPL_SIZE
                else (telegram[2:10])
            )
            iv = ma + bytes((tpl_access,)) * 8
            clear = aes_cbc_decrypt(meter.key, iv, rest[:encrypted])
            if clear[:2] != b"\x2f\x2f":
                self._crc_failed(meter, telegram, 0x2F2F, clear[0] << 8 | clear[1], commit)
            rest = clear + rest[encrypted:]
        elif mode not in (SECURITY_MODE_NONE, SECURITY_MODE_AES_CBC):
            raise UnsupportedEncryption(f"security mode {mode} not supported", _header(telegram))
        if tci in (CI_COMPACT_SHORT_TPL, CI_COMPACT_LONG_TPL):
            return self._compact(meter, telegram, rest, 0, access_number)
        return self._long(meter, telegram, rest, access_number, commit)


def _header(telegram: bytes) -> LinkHeader:
    return link_header_from_prefix(telegram)
