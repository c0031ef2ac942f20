"""Config flow for the stick, its options, and the meter subentry flow."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
import logging
import os
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import usb
from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    FileSelector,
    FileSelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.usb import UsbServiceInfo
from homeassistant.util import dt as dt_util

from .const import (
    CONF_AES_KEY,
    CONF_KEM_ALL,
    CONF_KEM_FILE,
    CONF_KEM_METERS,
    CONF_KEM_PASSWORD,
    CONF_LINK_MODE,
    CONF_METER_ID,
    CONF_NAME,
    CONF_ORIGIN,
    CONF_PORT,
    CONF_QUIET_AFTER_MIN,
    CONF_RADIO,
    CONF_RECALC_ENABLED,
    CONF_RECALC_GATEWAY_ID,
    CONF_RECALC_MIRROR_USER_METERS,
    CONF_RECALC_PREFIX,
    CONF_UNAVAILABLE_AFTER_MIN,
    CONF_USB_SERIAL,
    DEFAULT_QUIET_AFTER_MIN,
    DEFAULT_RECALC_PREFIX,
    DEFAULT_UNAVAILABLE_AFTER_MIN,
    DOMAIN,
    ORIGIN_USER,
    SUBENTRY_KEM_IMPORT,
    SUBENTRY_METER,
    SUBENTRY_RECEIVER,
)
from .gateway import entry_link_mode, entry_radio
from .ha_compat import SerialPortCandidate, async_serial_port_candidates, vol
from .meter_identity import (
    address_data,
    identifier_for,
    manufacturer_name,
    new_identifier,
    normalize_key,
    subentry_address,
)
from .meter_texts import MeterTexts
from .protocol.frame import MeterAddress, normalize_meter_id
from .protocol.kem import (
    MAX_DOCUMENT_BYTES,
    DamagedKemFile,
    KemError,
    KemFile,
    KemMeter,
    NoMetersInKem,
    NotAKemFile,
    WrongKemPassword,
    read_kem,
)
from .protocol.meters import heard_profile
from .protocol.radios import (
    NoRadioFound,
    NotThisRadio,
    RadioError,
    RadioIdentity,
    RadioKind,
    build_radio,
    detect_radio,
    identify,
    kinds_for_usb,
    radio_for_address,
    radio_kind,
)
from .receivers import NETWORK_SCHEMES, mqtt_loaded, parse_network_address

if TYPE_CHECKING:
    from .gateway import Gateway
    from .heard import HeardMeter
    from .runtime import WmbusConfigEntry

_LOGGER = logging.getLogger(__name__)

# An rtl_tcp server sends its header at once; a dongle opens within a second or two.
SDR_CONNECT_TIMEOUT_S: Final = 5.0


def _port_options(candidates: list[SerialPortCandidate]) -> list[SelectOptionDict]:
    """Ports with stable by-id paths first, then local devices, then others' (proxies)."""
    options: list[tuple[int, SelectOptionDict]] = []
    for port in candidates:
        label = usb.human_readable_device_name(
            port.device,
            port.serial_number,
            port.manufacturer,
            port.description,
            port.vid,
            port.pid,
        )
        options.append((_port_rank(port.device), {"value": port.device, "label": label}))
    options.sort(key=lambda item: (item[0], item[1]["value"]))
    return [option for _rank, option in options]


def _port_rank(device: str) -> int:
    # A by-id path survives re-plugging; USB serial devices (ttyUSB, ttyACM: every supported
    # stick) come before built-in UARTs (ttyS*, rarely a stick); a URL (another integration's
    # port) is the least likely to be the stick.
    if device.startswith("/dev/serial/by-id/"):
        return 0
    if device.startswith(("/dev/ttyUSB", "/dev/ttyACM")):
        return 1
    return 2 if device.startswith("/") else 3


def _locate_discovered(device: str, configured_ports: list[str]) -> tuple[str, bool]:
    """By-id path of a discovered device, and whether an entry already uses it (blocking)."""
    port = usb.get_serial_by_id(device)
    real = os.path.realpath(port)
    return port, any(os.path.realpath(p) == real for p in configured_ports if p)


def _usb_serial_number(port: str, candidates: list[SerialPortCandidate]) -> str | None:
    """Serial number of the USB adapter behind ``port``, if it is one (blocking: realpath)."""
    real = os.path.realpath(port)
    for candidate in candidates:
        if os.path.realpath(candidate.device) == real and candidate.serial_number:
            return candidate.serial_number.lower()
    return None


type Detected = tuple[RadioKind, RadioIdentity]


async def _detect(
    port: str, first: list[str], placeholders: dict[str, str]
) -> tuple[Detected | None, dict[str, str]]:
    """Find which radio answers at ``port``; return it or the flow error to show.

    The user never picks a radio type: each kind is probed in a safe order (``first``: what USB
    discovery or the entry suggests). ``placeholders`` gets what was tried, for the message.
    An address that names its radio (``rtl_tcp://host:port``, ``rtlsdr://0``) is not probed:
    that radio is asked who it is (an rtl_tcp server: its header is read).
    """
    if (named := radio_for_address(port)) is not None:
        return await _identify_named(named, port, placeholders)
    try:
        return await detect_radio(port, first=first), {}
    except NoRadioFound as err:
        _LOGGER.debug("No supported radio at %s: %s", port, err)
        placeholders["tried"] = "; ".join(
            f"{radio_kind(name).title}: {why}" for name, why in err.attempts.items()
        )
        return None, {"base": "no_radio_found"}
    except (OSError, RadioError) as err:
        _LOGGER.debug("Cannot open %s: %s", port, err)
        placeholders["error"] = str(err)
        return None, {"base": "cannot_connect"}


def _hub_of(entry: WmbusConfigEntry) -> Gateway | None:
    """The hub of a loaded entry (None while it is not set up)."""
    runtime = getattr(entry, "runtime_data", None)
    return runtime.hub if runtime is not None else None


async def _identify_named(
    name: str, port: str, placeholders: dict[str, str]
) -> tuple[Detected | None, dict[str, str]]:
    """Check the SDR a port names: connect, read who it is, disconnect."""
    try:
        identity = await identify(name, port, timeout_s=SDR_CONNECT_TIMEOUT_S)
    except ValueError as err:  # not a well-formed address
        placeholders["error"] = str(err)
        return None, {"base": "invalid_address"}
    except NotThisRadio as err:
        _LOGGER.debug("%s is not %s: %s", port, name, err)
        placeholders["error"] = err.answer
        return None, {"base": "not_rtl_tcp"}
    except (OSError, RadioError) as err:
        _LOGGER.debug("Cannot open %s: %s", port, err)
        placeholders["error"] = str(err)
        return None, {"base": "cannot_connect"}
    return (radio_kind(name), identity), {}


def _is_network_address(text: str) -> bool:
    scheme, sep, _rest = str(text).strip().partition("://")
    return bool(sep) and scheme.lower() in NETWORK_SCHEMES


def network_title(kind: str, address: str) -> str:
    """What a network receiver is called: its kind and where it listens."""
    return f"{radio_kind(kind).title} {address}"


async def async_check_network_address(
    hass: HomeAssistant, text: str, placeholders: dict[str, str]
) -> tuple[tuple[str, str] | None, str | None]:
    """``(kind, address)`` of a network receiver that can run, or the flow error to show.

    A TCP or UDP address is tried by listening on it once (a port taken by another program is
    an error here rather than a setup that keeps failing); an MQTT topic filter needs Home
    Assistant's MQTT integration to be set up.
    """
    try:
        network = parse_network_address(text)
    except ValueError as err:
        placeholders["error"] = str(err)
        return None, "invalid_network_address"
    if network is None:
        return None, "invalid_network_address"
    kind, address = network
    if kind == "mqtt":
        return (network, None) if mqtt_loaded(hass) else (None, "mqtt_not_loaded")
    radio = build_radio(kind, address)
    try:
        await radio.open()
    except (OSError, RadioError) as err:
        placeholders["error"] = str(err)
        return None, "cannot_listen"
    finally:
        await radio.close()
    return network, None


def _radio_unique_id(identity: RadioIdentity, port: str) -> str:
    # The radio's own id survives re-plugging into another USB port; a path does not.
    # (A radio that reports no id, such as a CUL, falls back to its port.)
    return identity.serial_number or port


def _usb_hints(candidates: list[SerialPortCandidate], port: str) -> list[str]:
    """The kinds the USB device behind ``port`` may be, to probe first (blocking: realpath)."""
    real = os.path.realpath(port)
    for candidate in candidates:
        if os.path.realpath(candidate.device) == real:
            return [
                kind.name
                for kind in kinds_for_usb(
                    _hex_id(candidate.vid),
                    _hex_id(candidate.pid),
                    candidate.manufacturer,
                    candidate.description,
                )
            ]
    return []


def _hex_id(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, int) else int(value, 16)
    except ValueError:
        return None


class WmbusConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a radio: from the port list, by USB discovery, or reconfigure its port."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        self._discovered_port: str | None = None
        self._usb_serial: str | None = None
        self._usb_hints: list[str] = []

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> WmbusOptionsFlow:
        """Link mode, availability window and the ReCalc bridge."""
        return WmbusOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Meters and further receivers are subentries; "Import keys" adds meters from a file."""
        return {
            SUBENTRY_METER: MeterSubentryFlow,
            SUBENTRY_KEM_IMPORT: KemImportFlow,
            SUBENTRY_RECEIVER: ReceiverSubentryFlow,
        }

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick a port from the list or type one (a path or socket://host:port)."""
        if user_input is not None and _is_network_address(user_input[CONF_PORT]):
            return await self._async_network_entry(user_input[CONF_PORT])
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"tried": "", "error": ""}
        if user_input is not None:
            port = user_input[CONF_PORT].strip()
            candidates = await async_serial_port_candidates(self.hass)
            hints = await self.hass.async_add_executor_job(_usb_hints, candidates, port)
            detected, errors = await _detect(port, hints, placeholders)
            if detected is not None:
                kind, identity = detected
                await self.async_set_unique_id(_radio_unique_id(identity, port))
                self._abort_if_unique_id_configured(
                    updates={CONF_PORT: port, CONF_RADIO: kind.name}, reload_on_update=False
                )
                data = {CONF_PORT: port, CONF_RADIO: kind.name}
                if usb_serial := await self.hass.async_add_executor_job(
                    _usb_serial_number, port, candidates
                ):
                    data[CONF_USB_SERIAL] = usb_serial
                return self.async_create_entry(title=identity.model, data=data)
        default = (user_input or {}).get(CONF_PORT)
        schema = await self._port_schema(default)
        return self.async_show_form(
            step_id="user",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_usb(self, discovery_info: UsbServiceInfo) -> ConfigFlowResult:
        """A stick was plugged in; confirm before claiming the port."""
        configured = [
            entry.data.get(CONF_PORT, "")
            for entry in self._async_current_entries(include_ignore=False)
        ]
        hints = [
            kind.name
            for kind in kinds_for_usb(
                _hex_id(discovery_info.vid),
                _hex_id(discovery_info.pid),
                discovery_info.manufacturer,
                discovery_info.description,
            )
        ]
        if hints[:1] == ["rtlsdr"]:
            # An RTL-SDR is no serial port: it is opened by librtlsdr, by its serial number.
            serial = discovery_info.serial_number
            port = f"rtlsdr://serial={serial}" if serial else "rtlsdr://0"
            already = port in configured
        else:
            port, already = await self.hass.async_add_executor_job(
                _locate_discovered, discovery_info.device, configured
            )
        if already:
            return self.async_abort(reason="already_configured")
        usb_serial = (discovery_info.serial_number or "").lower() or None
        for entry in self._async_current_entries(include_ignore=False):
            if usb_serial and entry.data.get(CONF_USB_SERIAL) == usb_serial:
                # A known stick at a new path (re-enumerated, moved to another USB port): follow
                # it; the entry's update listener reopens the stick there.
                self.hass.config_entries.async_update_entry(
                    entry, data={**entry.data, CONF_PORT: port}
                )
                return self.async_abort(reason="already_configured")
        self._usb_serial = usb_serial
        self._usb_hints = hints
        # The stick's own id is only known after talking to it, in the confirm step.
        await self._async_handle_discovery_without_unique_id()
        self._discovered_port = port
        self.context["title_placeholders"] = {"port": port}
        return await self.async_step_usb_confirm()

    async def async_step_usb_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Talk to the discovered radio once the user agrees."""
        assert self._discovered_port is not None
        errors: dict[str, str] = {}
        placeholders = {"port": self._discovered_port, "tried": "", "error": ""}
        if user_input is not None:
            detected, errors = await _detect(self._discovered_port, self._usb_hints, placeholders)
            if detected is not None:
                kind, identity = detected
                await self.async_set_unique_id(
                    _radio_unique_id(identity, self._discovered_port), raise_on_progress=False
                )
                self._abort_if_unique_id_configured(
                    updates={CONF_PORT: self._discovered_port, CONF_RADIO: kind.name},
                    reload_on_update=False,
                )
                data = {CONF_PORT: self._discovered_port, CONF_RADIO: kind.name}
                if self._usb_serial:
                    data[CONF_USB_SERIAL] = self._usb_serial
                return self.async_create_entry(title=identity.model, data=data)
        self._set_confirm_only()
        return self.async_show_form(
            step_id="usb_confirm", description_placeholders=placeholders, errors=errors
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the radio to another port; it must be the same radio."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"tried": "", "error": ""}
        if user_input is not None:
            port = user_input[CONF_PORT].strip()
            detected, errors = await _detect(port, [entry_radio(entry)], placeholders)
            if detected is not None:
                kind, identity = detected
                await self.async_set_unique_id(_radio_unique_id(identity, port))
                self._abort_if_unique_id_mismatch(reason="wrong_stick")
                # The entry's update listener reopens the radio on the new port (no reload
                # helper here: 2026.6 forbids combining one with an update listener, and
                # ConfigFlow.async_update_and_abort does not exist on 2025.4).
                self.hass.config_entries.async_update_entry(
                    entry, data={**entry.data, CONF_PORT: port, CONF_RADIO: kind.name}
                )
                return self.async_abort(reason="reconfigure_successful")
        schema = await self._port_schema(entry.data[CONF_PORT])
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_network_entry(self, text: str) -> ConfigFlowResult:
        """A home whose own receiver is on the network: ``udp://``, ``tcp://``, ``mqtt://``.

        Nothing is probed (the scheme says the kind); the address is checked by listening on
        it (or, for MQTT, by Home Assistant's MQTT integration being set up).
        """
        placeholders: dict[str, str] = {"tried": "", "error": ""}
        network, error = await async_check_network_address(self.hass, text, placeholders)
        if network is not None:
            kind, address = network
            await self.async_set_unique_id(f"{kind}:{address}")
            self._abort_if_unique_id_configured()
            return self.async_create_entry(
                title=network_title(kind, address), data={CONF_PORT: address, CONF_RADIO: kind}
            )
        return self.async_show_form(
            step_id="user",
            data_schema=await self._port_schema(text),
            errors={CONF_PORT: error or "invalid_network_address"},
            description_placeholders=placeholders,
        )

    async def _port_schema(self, default: str | None) -> vol.Schema:
        """The port field: listed ports (first one preselected) or any typed path or URL."""
        ports = _port_options(await async_serial_port_candidates(self.hass))
        if default is None:
            default = ports[0]["value"] if ports else ""
        return vol.Schema(
            {
                vol.Required(CONF_PORT, default=default): SelectSelector(
                    SelectSelectorConfig(
                        options=ports, custom_value=True, mode=SelectSelectorMode.DROPDOWN
                    )
                )
            }
        )


class WmbusOptionsFlow(OptionsFlow):
    """Options of a stick entry (never assigns self.config_entry: removed in 2026.2)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form: radio, availability, ReCalc bridge."""
        errors: dict[str, str] = {}
        if user_input is not None:
            gateway_id = str(user_input.get(CONF_RECALC_GATEWAY_ID, "")).strip()
            prefix = str(user_input.get(CONF_RECALC_PREFIX, DEFAULT_RECALC_PREFIX)).strip()
            if user_input.get(CONF_RECALC_ENABLED) and not _topic_level_ok(gateway_id):
                errors[CONF_RECALC_GATEWAY_ID] = "invalid_gateway_id"
            elif not _topic_level_ok(prefix):
                errors[CONF_RECALC_PREFIX] = "invalid_prefix"
            else:
                return self.async_create_entry(
                    data={
                        **user_input,
                        CONF_RECALC_GATEWAY_ID: gateway_id,
                        CONF_RECALC_PREFIX: prefix,
                    }
                )
        options = {**self.config_entry.options, **(user_input or {})}
        # Only the link modes this radio can set are offered.
        kind = radio_kind(entry_radio(self.config_entry))
        link_mode = entry_link_mode(self.config_entry, kind)
        if user_input is not None and user_input.get(CONF_LINK_MODE) in kind.link_modes:
            link_mode = user_input[CONF_LINK_MODE]
        schema = vol.Schema(
            {
                vol.Required(CONF_LINK_MODE, default=str(link_mode)): SelectSelector(
                    SelectSelectorConfig(
                        options=[mode.value for mode in kind.link_modes],
                        translation_key="link_mode",
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Required(
                    CONF_UNAVAILABLE_AFTER_MIN,
                    default=options.get(CONF_UNAVAILABLE_AFTER_MIN, DEFAULT_UNAVAILABLE_AFTER_MIN),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=1,
                        max=1440,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="min",
                    )
                ),
                vol.Required(
                    CONF_QUIET_AFTER_MIN,
                    default=options.get(CONF_QUIET_AFTER_MIN, DEFAULT_QUIET_AFTER_MIN),
                ): NumberSelector(
                    NumberSelectorConfig(
                        min=0,
                        max=10080,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="min",
                    )
                ),
                vol.Required(
                    CONF_RECALC_ENABLED, default=options.get(CONF_RECALC_ENABLED, False)
                ): BooleanSelector(),
                vol.Optional(
                    CONF_RECALC_GATEWAY_ID, default=options.get(CONF_RECALC_GATEWAY_ID, "")
                ): TextSelector(),
                vol.Required(
                    CONF_RECALC_PREFIX,
                    default=options.get(CONF_RECALC_PREFIX, DEFAULT_RECALC_PREFIX),
                ): TextSelector(),
                vol.Required(
                    CONF_RECALC_MIRROR_USER_METERS,
                    default=options.get(CONF_RECALC_MIRROR_USER_METERS, True),
                ): BooleanSelector(),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema, errors=errors)


def _topic_level_ok(text: str) -> bool:
    """One MQTT topic level: not empty, no separators or wildcards."""
    return bool(text) and not any(c in text for c in "/+#\x00")


# The key field shows dots, never the key being typed.
KEY_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
# Kamstrup's KEM files as delivered (``*.zip.kem``, ``*.kem``, ``*.kem2``) or unzipped.
KEM_FILE_SELECTOR = FileSelector(FileSelectorConfig(accept=".kem,.kem2,.zip,.xml"))
# Each way a KEM file cannot be read has its own message (translation key).
KEM_ERRORS: Final[dict[type[KemError], str]] = {
    NotAKemFile: "kem_not_a_kem_file",
    WrongKemPassword: "kem_wrong_password",
    NoMetersInKem: "kem_no_meters",
    DamagedKemFile: "kem_damaged",
}
# Up to this many meters the import shows a list of checkboxes, beyond it a searchable picker.
KEM_LIST_ROWS: Final = 30
# Marks a meter of a KEM file that is set up already (its key is replaced); a plain character.
SET_UP_MARK: Final = "✓"

# The heard list's marks, explained in the form's description (which the frontend shows in the
# user's language; an option's label is the same text for every user). Plain characters, not
# lock emoji: a browser without an emoji font (Debian's headless Chromium) shows those as boxes.
NEEDS_KEY_MARK: Final = "AES"
IN_CLEAR_MARK: Final = "∅"


def heard_label(rank: int, heard: HeardMeter, needs_key: bool | None, now: datetime) -> str:
    """One row of the heard list, without words of any language.

    A subentry flow does not know the user's language (its context has none, and
    ``hass.config.language`` is the system's): only the frontend translates, and only the
    form's texts and options whose value is a translation key. So a row is made of what
    reads the same in every language: its place, the id, the meter type's name from its
    profile (a product name) or else maker and EN 13757-3 device type code, a key mark, the
    signal and the age in SI units; the description explains them. The place comes first
    because newer frontends sort a searchable list by label (numbers numerically): so the
    most recently heard meter stays on top.
    """
    address = heard.header.address  # the meter's, also behind a radio module
    profile = heard_profile(address)
    kind = (
        profile.model
        if profile is not None
        else f"{manufacturer_name(address.manufacturer)} {address.device_type:02X}h"
    )
    parts = [f"{rank}. {address.meter_id}", kind]
    if needs_key is not None:
        parts.append(NEEDS_KEY_MARK if needs_key else IN_CLEAR_MARK)
    if heard.rssi_dbm is not None:
        parts.append(f"{heard.rssi_dbm:.0f} dBm")
    parts.append(_age(now, heard.last_heard))
    return " · ".join(parts)


def _age(now: datetime, then: datetime) -> str:
    """Time since ``then`` in SI units, rounded to a unit that reads at a glance."""
    age_s = max(0, int((now - then).total_seconds()))
    if age_s < 120:
        return f"{age_s} s"
    if age_s < 120 * 60:
        return f"{age_s // 60} min"
    if age_s < 48 * 3600:
        return f"{age_s // 3600} h"
    return f"{age_s // 86400} d"


class MeterSubentryFlow(ConfigSubentryFlow):
    """Add a meter (from those heard, or by id) with its AES key; reconfigure key or name."""

    def __init__(self) -> None:
        self._meter_id: str | None = None
        self._address: MeterAddress | None = None
        """The meter's whole address when known (chosen from the heard list, or its key fit)."""
        self._heard_choices: dict[str, MeterAddress] = {}
        """The heard list's choices as offered: value -> address."""
        self._fitted_address: MeterAddress | None = None
        self._kem_upload = KemUpload()

    def _gateway(self) -> Gateway | None:
        return _hub_of(self._get_entry())

    def _set_up_meters(self) -> list[ConfigSubentry]:
        """The meter subentries of every stick."""
        return [
            sub
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            for sub in entry.subentries.values()
            if sub.subentry_type == SUBENTRY_METER
        ]

    def _taken(self, meter_id: str, address: MeterAddress | None) -> bool:
        """Whether the meter is set up already, on any stick.

        A typed id is taken by any meter with its digits (which of them would it be?); a heard
        meter by one bound to its address, or by one with its digits not bound yet.
        """
        for sub in self._set_up_meters():
            if sub.data[CONF_METER_ID] != meter_id:
                continue
            bound = subentry_address(sub)
            if address is None or bound is None or bound == address:
                return True
        return False

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Choose a heard meter or type its 8-digit id.

        Nothing is chosen for the user: the field has no default (a required select would
        make the frontend pick the list's first meter), and submitting it empty says so.
        """
        errors: dict[str, str] = {}
        if user_input is not None:
            choice = str(user_input.get(CONF_METER_ID) or "").strip()
            address = self._heard_choices.get(choice)
            if not choice:
                errors[CONF_METER_ID] = "meter_required"
            else:
                try:
                    meter_id = address.meter_id if address is not None else _typed_meter_id(choice)
                except ValueError:
                    errors[CONF_METER_ID] = "invalid_meter_id"
                else:
                    if self._taken(meter_id, address):
                        errors[CONF_METER_ID] = "already_configured"
                    else:
                        self._meter_id = meter_id
                        self._address = address
                        return await self.async_step_key()
        gateway = self._gateway()
        now = dt_util.utcnow()
        # Every heard meter not set up yet (the gateway remembers the most recent
        # HEARD_METERS_LIMIT), so none is out of reach; the picker searches as one types.
        offered = [
            h
            for h in (gateway.unconfigured_heard() if gateway else [])
            if not self._taken(h.header.address.meter_id, h.header.address)
        ]
        self._heard_choices = _heard_choices(offered)
        heard = [
            SelectOptionDict(
                value=value,
                label=heard_label(rank, h, gateway.heard.needs_key(h) if gateway else None, now),
            )
            for rank, ((value, _address), h) in enumerate(
                zip(self._heard_choices.items(), offered, strict=True), start=1
            )
        ]
        schema = vol.Schema(
            {
                vol.Optional(
                    CONF_METER_ID, default=(user_input or {}).get(CONF_METER_ID, vol.UNDEFINED)
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=heard, custom_value=True, mode=SelectSelectorMode.DROPDOWN
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="user",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "listed": str(len(heard)),
                "heard": str(len(gateway.heard) if gateway else 0),
                "needs_key": NEEDS_KEY_MARK,
                "in_clear": IN_CLEAR_MARK,
            },
        )

    async def async_step_key(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """AES key and name; a key is tried on the meter's latest telegram when there is one."""
        assert self._meter_id is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            key_text, errors = await self._key_text(user_input)
            if not errors:
                key_hex, errors = self._validate_key(self._address or self._meter_id, key_text)
                if errors and user_input.get(CONF_KEM_FILE):
                    # The file's key: its error belongs beside the file, not the empty key field.
                    errors = {CONF_KEM_FILE: errors[CONF_AES_KEY]}
            if not errors:
                name = user_input.get(CONF_NAME, "").strip() or await self._default_name()
                # Without an address (typed id, nothing heard decoding) the gateway binds the
                # meter to the address of its first telegram that decodes.
                address = self._address or self._fitted_address
                # The digits, unless a meter with them is set up (then only a heard meter of
                # another address gets here): that one's ids are left as they are.
                taken = {identifier_for(sub) for sub in self._set_up_meters()}
                identifier = (
                    self._meter_id
                    if self._address is None
                    else new_identifier(self._address, taken)
                )
                return self.async_create_entry(
                    title=name,
                    data={
                        CONF_METER_ID: self._meter_id,
                        CONF_AES_KEY: key_hex,
                        CONF_ORIGIN: ORIGIN_USER,
                        **(address_data(address) if address is not None else {}),
                    },
                    unique_id=identifier,
                )
        needs_key = self._needs_key(self._address or self._meter_id)
        schema = vol.Schema(
            {
                # Optional even for a meter that encrypts: an empty key is answered with
                # "key_required" in words, never with a bare "required" marker.
                vol.Optional(CONF_AES_KEY): KEY_SELECTOR,
                # Or the key from the meter's KEM file (the file is read once and deleted).
                vol.Optional(CONF_KEM_FILE): KEM_FILE_SELECTOR,
                vol.Optional(CONF_KEM_PASSWORD): KEY_SELECTOR,
                vol.Optional(
                    CONF_NAME,
                    default=(user_input or {}).get(CONF_NAME, await self._default_name()),
                ): TextSelector(),
            }
        )
        return self.async_show_form(
            step_id="key" if needs_key is not False else "key_optional",
            data_schema=schema,
            errors=errors,
            description_placeholders={"meter_id": self._meter_id},
        )

    async def _key_text(self, user_input: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """The key as typed, or this meter's key from an uploaded KEM file, or the error.

        A key typed beside a file is refused rather than one of them silently ignored.
        """
        assert self._meter_id is not None
        typed = str(user_input.get(CONF_AES_KEY, ""))
        file_id = user_input.get(CONF_KEM_FILE)
        if not file_id:
            return typed, {}
        if typed.strip():
            return "", {"base": "kem_and_key"}
        kem, error = await self._kem_upload.async_read(
            self.hass, str(file_id), str(user_input.get(CONF_KEM_PASSWORD, ""))
        )
        if kem is None:
            return "", {CONF_KEM_FILE: error}
        manufacturer = self._address.manufacturer if self._address is not None else None
        for meter in kem.meters:
            if meter.meter_id == self._meter_id and (
                manufacturer is None
                or meter.manufacturer is None
                or meter.manufacturer == manufacturer
            ):
                return meter.key.hex(), {}
        return "", {CONF_KEM_FILE: "kem_meter_not_in_file"}

    async def _default_name(self) -> str:
        """The meter's name unless the user types one, in Home Assistant's language.

        What it is, where it was heard ("Water meter 41290001"), else "Meter 41290001".
        """
        assert self._meter_id is not None
        texts = await MeterTexts.load(self.hass)
        device_type = self._address.device_type if self._address is not None else None
        return texts.default_name(self._meter_id, device_type)

    async def async_step_key_optional(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The key form of a meter heard sending in clear (the key may stay empty)."""
        return await self.async_step_key(user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a meter's key or name."""
        subentry = self._get_reconfigure_subentry()
        meter_id = subentry.data[CONF_METER_ID]
        errors: dict[str, str] = {}
        if user_input is not None:
            text = user_input.get(CONF_AES_KEY, "")
            if text.strip():
                key_hex, errors = self._validate_key(subentry_address(subentry) or meter_id, text)
            else:  # an empty field keeps the key (it is never shown, so it cannot be edited)
                key_hex = subentry.data.get(CONF_AES_KEY, "")
            if not errors:
                return self.async_update_and_abort(
                    self._get_entry(),
                    subentry,
                    title=user_input.get(CONF_NAME, "").strip() or subentry.title,
                    data_updates={CONF_AES_KEY: key_hex},
                )
        schema = vol.Schema(
            {
                vol.Optional(CONF_AES_KEY): KEY_SELECTOR,
                vol.Optional(CONF_NAME, default=subentry.title): TextSelector(),
            }
        )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=schema,
            errors=errors,
            description_placeholders={"meter_id": meter_id},
        )

    def _needs_key(self, meter: str | MeterAddress) -> bool | None:
        """Whether the meter's latest heard telegram is encrypted (None: not heard or unclear).

        For an id heard from several addresses: True only if each of them encrypts.
        """
        gateway = self._gateway()
        if gateway is None:
            return None
        verdicts = {gateway.heard.needs_key(heard) for heard in gateway.heard.heard_as(meter)}
        if not verdicts or None in verdicts:
            return None
        return all(verdicts)

    def _validate_key(self, meter: str | MeterAddress, text: str) -> tuple[str, dict[str, str]]:
        """The key as stored ("" for a meter without one) or the field error to show.

        A key that decodes a heard meter's telegram also tells which address is the meter's
        (``_fitted_address``).
        """
        self._fitted_address = None
        if not text.strip():
            # No key: right for a meter that sends in clear; one heard encrypting needs it.
            if self._needs_key(meter):
                return "", {CONF_AES_KEY: "key_required"}
            return "", {}
        try:
            key = normalize_key(text)
        except ValueError:
            return "", {CONF_AES_KEY: "invalid_key_format"}
        gateway = self._gateway()
        if gateway is not None:
            verdict, self._fitted_address = gateway.heard.key_fits(meter, key)
            if verdict is False:
                return "", {CONF_AES_KEY: "invalid_key"}
        return key.hex().upper(), {}


def _typed_meter_id(text: str) -> str:
    """The id in what the user typed: the digits, or a row of the list copied whole."""
    first = text.split("·", maxsplit=1)[0].strip()
    rank, dot, rest = first.partition(". ")
    return normalize_meter_id(rest if dot and rank.isdigit() else first)


def _heard_choices(offered: list[HeardMeter]) -> dict[str, MeterAddress]:
    """The heard list's values: a meter's digits, or with its address where digits repeat.

    Two heard meters sharing the 8 digits are two rows (their labels say maker and medium).
    """
    repeated = Counter(heard.header.address.meter_id for heard in offered)
    choices: dict[str, MeterAddress] = {}
    for heard in offered:
        address = heard.header.address
        value = address.meter_id if repeated[address.meter_id] == 1 else str(address)
        choices[value] = address
    return choices


def _take_upload(hass: HomeAssistant, file_id: str) -> bytes | None:
    """The uploaded file's bytes, None if there is no such upload; the file is deleted.

    Blocking: ``process_uploaded_file`` removes the file when its context ends, and Home
    Assistant asks for that to run in the executor.
    """
    try:
        with process_uploaded_file(hass, file_id) as path, path.open("rb") as upload:
            return upload.read(MAX_DOCUMENT_BYTES + 1)
    except ValueError:  # "File does not exist": expired, or read already
        return None


class KemUpload:
    """A flow's uploaded KEM file, taken from the upload folder once (which deletes it there).

    It is held in memory while the flow lasts, so a mistyped password costs no second upload
    (the form still names the same upload when it is shown again).
    """

    def __init__(self) -> None:
        self._file_id: str | None = None
        self._content = b""

    async def async_read(
        self, hass: HomeAssistant, file_id: str, password: str
    ) -> tuple[KemFile | None, str]:
        """The file's meters, or the error's translation key.

        Only the error's kind is logged: never the password, a key, or the file's content.
        """
        if file_id != self._file_id:
            content = await hass.async_add_executor_job(_take_upload, hass, file_id)
            if content is None:
                return None, "kem_upload_missing"
            self._file_id, self._content = file_id, content
        try:
            return await hass.async_add_executor_job(read_kem, self._content, password), ""
        except KemError as err:
            _LOGGER.debug("KEM file not read: %s", type(err).__name__)
            return None, KEM_ERRORS.get(type(err), "kem_damaged")


@dataclass(frozen=True, slots=True)
class KemRow:
    """A meter of a KEM file as the import offers it."""

    value: str
    meter: KemMeter
    heard: HeardMeter | None
    set_up: bool


class KemImportFlow(ConfigSubentryFlow):
    """Import keys: meters and keys from a Kamstrup KEM file become meter subentries.

    Ends with an abort that counts what was done (a subentry flow creates one subentry; this
    one adds any number, through the config entries API, and updates keys of meters set up).
    Neither the password nor a key is kept in the flow beyond the file's parsed meters.
    """

    def __init__(self) -> None:
        self._rows: dict[str, KemRow] = {}
        self._skipped = 0
        self._kem_upload = KemUpload()

    def _gateway(self) -> Gateway | None:
        return _hub_of(self._get_entry())

    def _meter_subentries(self) -> list[tuple[ConfigEntry, ConfigSubentry]]:
        """Every meter subentry of every stick, with its entry."""
        return [
            (entry, sub)
            for entry in self.hass.config_entries.async_entries(DOMAIN)
            for sub in entry.subentries.values()
            if sub.subentry_type == SUBENTRY_METER
        ]

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """The KEM file and its password."""
        errors: dict[str, str] = {}
        if user_input is not None:
            kem, error = await self._kem_upload.async_read(
                self.hass,
                str(user_input[CONF_KEM_FILE]),
                str(user_input.get(CONF_KEM_PASSWORD, "")),
            )
            if kem is None:
                errors["base"] = error
            else:
                self._offer(kem)
                return await self.async_step_meters()
        schema = vol.Schema(
            {
                vol.Required(CONF_KEM_FILE): KEM_FILE_SELECTOR,
                vol.Optional(CONF_KEM_PASSWORD): KEY_SELECTOR,
            }
        )
        return self.async_show_form(step_id="user", data_schema=schema, errors=errors)

    def _offer(self, kem: KemFile) -> None:
        """The file's meters: heard ones first (most recently heard first), then file order."""
        gateway = self._gateway()
        set_up = {sub.data[CONF_METER_ID] for _entry, sub in self._meter_subentries()}
        repeated = Counter(meter.meter_id for meter in kem.meters)
        rows: list[KemRow] = []
        for meter in kem.meters:
            heard = [
                h
                for h in (gateway.heard.heard_as(meter.meter_id) if gateway is not None else [])
                if meter.manufacturer is None or h.header.manufacturer == meter.manufacturer
            ]
            value = (
                meter.meter_id
                if repeated[meter.meter_id] == 1
                else f"{meter.meter_id}_{meter.manufacturer or ''}"
            )
            latest = max(heard, key=lambda h: h.last_heard) if heard else None
            rows.append(KemRow(value, meter, latest, meter.meter_id in set_up))
        heard_rows = sorted(
            (row for row in rows if row.heard is not None),
            key=lambda row: row.heard.last_heard if row.heard is not None else dt_util.utcnow(),
            reverse=True,
        )
        self._rows = {row.value: row for row in heard_rows}
        self._rows.update((row.value, row) for row in rows if row.heard is None)
        self._skipped = kem.skipped

    async def async_step_meters(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the meters to add (or whose key to replace); heard and set up ones preselected."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input.get(CONF_KEM_ALL):
                chosen = list(self._rows.values())
            else:
                chosen = [
                    self._rows[value]
                    for value in user_input.get(CONF_KEM_METERS, [])
                    if value in self._rows
                ]
            if chosen:
                return self.async_abort(
                    reason="keys_imported", description_placeholders=await self._import(chosen)
                )
            errors["base"] = "kem_meters_required"
        now = dt_util.utcnow()
        options = [
            SelectOptionDict(value=value, label=_kem_label(row, now))
            for value, row in self._rows.items()
        ]
        preselected = [value for value, row in self._rows.items() if row.heard or row.set_up]
        schema = vol.Schema(
            {
                vol.Optional(CONF_KEM_METERS, default=preselected): SelectSelector(
                    SelectSelectorConfig(
                        options=options,
                        multiple=True,
                        mode=(
                            SelectSelectorMode.LIST
                            if len(options) <= KEM_LIST_ROWS
                            else SelectSelectorMode.DROPDOWN
                        ),
                    )
                ),
                vol.Optional(CONF_KEM_ALL, default=False): BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="meters",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "count": str(len(self._rows)),
                "heard": str(sum(1 for row in self._rows.values() if row.heard)),
                "set_up": str(sum(1 for row in self._rows.values() if row.set_up)),
                "skipped": str(self._skipped),
                "set_up_mark": SET_UP_MARK,
            },
        )

    async def _import(self, chosen: list[KemRow]) -> dict[str, str]:
        """Add the chosen meters, or replace the key of those set up; what was done, counted.

        A meter is the one set up with its digits when that one is bound to the address the
        key decodes, or is the only one with its digits that is unbound or of the file's maker.
        With several such meters (or only another maker's), which one is meant is unclear:
        nothing is changed for it, and it is counted as a conflict.
        """
        entry = self._get_entry()
        gateway = self._gateway()
        texts = await MeterTexts.load(self.hass)
        counts = Counter[str]()
        for row in chosen:
            meter = row.meter
            key_hex = meter.key.hex().upper()
            fitted: MeterAddress | None = None
            if gateway is not None:
                fitted = gateway.heard.key_fits(meter.meter_id, meter.key)[1]
            same = [
                (owner, sub)
                for owner, sub in self._meter_subentries()
                if sub.data[CONF_METER_ID] == meter.meter_id
            ]
            target = _kem_target(same, meter, fitted)
            if target is not None:
                owner, sub = target
                if sub.data.get(CONF_AES_KEY) == key_hex:
                    counts["unchanged"] += 1
                else:
                    self.hass.config_entries.async_update_subentry(
                        owner, sub, data={**sub.data, CONF_AES_KEY: key_hex}
                    )
                    counts["updated"] += 1
                    await asyncio.sleep(0)
                continue
            if same and fitted is None:
                counts["conflicts"] += 1
                continue
            taken = {identifier_for(sub) for _owner, sub in self._meter_subentries()}
            identifier = meter.meter_id if fitted is None else new_identifier(fitted, taken)
            if fitted is not None or not meter.name:
                title = texts.default_name(
                    meter.meter_id, fitted.device_type if fitted is not None else None
                )
            else:
                title = f"{meter.name} {meter.meter_id}"
            self.hass.config_entries.async_add_subentry(
                entry,
                ConfigSubentry(
                    data=MappingProxyType(
                        {
                            CONF_METER_ID: meter.meter_id,
                            CONF_AES_KEY: key_hex,
                            CONF_ORIGIN: ORIGIN_USER,
                            **(address_data(fitted) if fitted is not None else {}),
                        }
                    ),
                    subentry_type=SUBENTRY_METER,
                    title=title,
                    unique_id=identifier,
                ),
            )
            counts["added"] += 1
            # Each change runs the entry's update listener at once (its cost grows with the
            # meters set up): let the loop breathe between meters of a big file.
            await asyncio.sleep(0)
        return {name: str(counts[name]) for name in ("added", "updated", "unchanged", "conflicts")}


def _kem_target(
    same: list[tuple[ConfigEntry, ConfigSubentry]], meter: KemMeter, fitted: MeterAddress | None
) -> tuple[ConfigEntry, ConfigSubentry] | None:
    """The set-up meter a KEM file's meter is (see ``KemImportFlow._import``), if one clearly is."""
    if fitted is not None:
        for owner, sub in same:
            if subentry_address(sub) == fitted:
                return owner, sub
    candidates = [
        (owner, sub)
        for owner, sub in same
        if (address := subentry_address(sub)) is None
        or meter.manufacturer is None
        or address.manufacturer == meter.manufacturer
    ]
    return candidates[0] if len(candidates) == 1 else None


def _kem_label(row: KemRow, now: datetime) -> str:
    """A row of the import list, in no language (see ``heard_label``): id, product, signal.

    A heard meter shows its signal and the time since it was heard; a set-up one the mark.
    """
    parts = [row.meter.meter_id]
    if row.meter.name:
        parts.append(row.meter.name)
    if row.heard is not None:
        if row.heard.rssi_dbm is not None:
            parts.append(f"{row.heard.rssi_dbm:.0f} dBm")
        parts.append(_age(now, row.heard.last_heard))
    if row.set_up:
        parts.append(SET_UP_MARK)
    return " · ".join(parts)


class ReceiverSubentryFlow(ConfigSubentryFlow):
    """Add a further receiver to a home: another stick, or a receiver on the network.

    A stick is found by talking to it (as the entry's own); a network receiver is named by its
    scheme (``udp://:9011``, ``tcp://:9022``, ``mqtt://<topic filter>``). Its frames join the
    home's others through one duplicate filter (see ``receivers``).
    """

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """One field: a serial port, or a network receiver's address."""
        entry = self._get_entry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {"tried": "", "error": ""}
        if user_input is not None:
            text = str(user_input[CONF_PORT]).strip()
            data: dict[str, str] | None = None
            title = ""
            # Checked before talking to it: a receiver of this home holds its port already.
            used = {(entry_radio(entry), entry.data[CONF_PORT])} | {
                (sub.data[CONF_RADIO], sub.data[CONF_PORT])
                for sub in entry.subentries.values()
                if sub.subentry_type == SUBENTRY_RECEIVER
            }
            try:
                network = parse_network_address(text)
            except ValueError:
                network = None  # the check below says what is wrong
            serial_ports = {port for kind, port in used if kind not in NETWORK_SCHEMES}
            if (network in used) if network else (text in serial_ports):
                return self.async_abort(reason="already_configured")
            if _is_network_address(text):
                network, error = await async_check_network_address(self.hass, text, placeholders)
                if network is not None:
                    kind_name, address = network
                    data = {CONF_RADIO: kind_name, CONF_PORT: address}
                    title = network_title(kind_name, address)
                else:
                    errors[CONF_PORT] = error or "invalid_network_address"
            else:
                detected, errors = await _detect(text, [], placeholders)
                if detected is not None:
                    kind, identity = detected
                    data = {CONF_RADIO: kind.name, CONF_PORT: text}
                    title = identity.model
            if data is not None:
                return self.async_create_entry(
                    title=title, data=data, unique_id=f"{data[CONF_RADIO]}:{data[CONF_PORT]}"
                )
        ports = _port_options(await async_serial_port_candidates(self.hass))
        default = (user_input or {}).get(CONF_PORT, "")
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PORT, default=default): SelectSelector(
                        SelectSelectorConfig(
                            options=ports, custom_value=True, mode=SelectSelectorMode.DROPDOWN
                        )
                    )
                }
            ),
            errors=errors,
            description_placeholders=placeholders,
        )
