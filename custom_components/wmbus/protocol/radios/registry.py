"""Which radios exist, how each is found, and telling which one sits at a port.

Adding a radio is adding its folder (with a ``KIND``, or ``KINDS`` when one folder serves
several, as ``sdr`` does for a local dongle and rtl_tcp) and its name in :data:`RADIO_PACKAGES`.
Folders are imported on first use, so the command line's ``decode`` never loads a driver.

Receivers on the network (TCP and UDP listeners, MQTT feeds: the ``feeds`` folder) are listed
apart in :data:`NETWORK_RADIOS`: they have no USB ids and nothing answers for them at a serial
port, so :func:`radio_kinds` (what is probed, offered for a port and matched by USB id) leaves
them out, while :func:`radio_kind` and :func:`build_radio` find them by name and build one
from an address (a port, or an MQTT topic filter). A separate list rather than a high
``probe_order``: every caller of ``radio_kinds`` would otherwise have to filter them out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
import importlib
import logging
from typing import Any, Final

from .base import NoRadioFound, NotThisRadio, Radio, RadioError, RadioIdentity, RadioKind

_LOGGER = logging.getLogger(__name__)

RADIO_PACKAGES: Final = ("im871a", "iu891a", "amb8465", "cul", "sdr")
NETWORK_RADIOS: Final = ("tcp", "udp", "mqtt")  # in the feeds folder's KINDS
PROBE_TIMEOUT_S: Final = 1.0

_kinds: dict[str, RadioKind] = {}


def radio_kinds() -> dict[str, RadioKind]:
    """Every registered kind of radio by name, in probe order."""
    if not _kinds:
        found: list[RadioKind] = []
        for package in RADIO_PACKAGES:
            module = importlib.import_module(f"{__package__}.{package}")
            found.extend(getattr(module, "KINDS", None) or (module.KIND,))
        for kind in sorted(found, key=lambda kind: kind.probe_order):
            _kinds[kind.name] = kind
    return _kinds


def network_radio_kinds() -> dict[str, RadioKind]:
    """Receivers on the network by name: built from an address, never probed."""
    from .feeds import KINDS  # noqa: PLC0415 - imported on first use, as the serial folders

    return {name: KINDS[name] for name in NETWORK_RADIOS}


def radio_kind(name: str) -> RadioKind:
    """The kind registered under ``name``; KeyError naming the known ones if none is."""
    kinds = radio_kinds()
    if name in kinds:
        return kinds[name]
    if name in NETWORK_RADIOS:
        return network_radio_kinds()[name]
    raise KeyError(f"unknown radio {name!r}; known: {', '.join((*kinds, *NETWORK_RADIOS))}")


def kinds_for_usb(
    vid: int | None, pid: int | None, manufacturer: str | None, product: str | None
) -> list[RadioKind]:
    """The kinds a USB device may be, most specific match first (ids and strings)."""
    matched: list[tuple[int, RadioKind]] = []
    for kind in radio_kinds().values():
        for usb in kind.usb:
            if usb.matches(vid, pid, manufacturer, product):
                specificity = (usb.manufacturer is not None) + (usb.product is not None)
                matched.append((-specificity, kind))
                break
    return [kind for _, kind in sorted(matched, key=lambda item: item[0])]


# Ports that name their radio by a scheme: never a serial port, never probed.
ADDRESS_SCHEMES: Final = {"rtl_tcp://": "rtl_tcp", "rtlsdr://": "rtlsdr"}


def radio_for_address(port: str) -> str | None:
    """The kind a port names by its scheme (``rtl_tcp://``, ``rtlsdr://``); None for the rest."""
    text = port.strip().lower()
    for scheme, name in ADDRESS_SCHEMES.items():
        if text.startswith(scheme):
            return name
    return None


def build_radio(name: str, port: str, **kwargs: Any) -> Radio:
    """A radio of the kind named ``name`` at ``port`` (nothing opened yet).

    For a network receiver ``port`` is its address: a TCP or UDP port (``9011``,
    ``host:9011``) or an MQTT topic filter.
    """
    return radio_kind(name).factory(port, **kwargs)


async def identify(
    name: str, port: str, *, timeout_s: float = PROBE_TIMEOUT_S, **kwargs: Any
) -> RadioIdentity:
    """Ask the radio of kind ``name`` at ``port`` who it is, changing nothing; then close."""
    radio = build_radio(name, port, response_timeout_s=timeout_s, **kwargs)
    identify_only = getattr(radio, "identify_only", None)
    if identify_only is None:
        raise RadioError(f"{radio.kind.title} cannot be probed")
    identity: RadioIdentity = await identify_only()
    return identity


async def detect_radio(
    port: str,
    *,
    first: Sequence[str] = (),
    only: Iterable[str] | None = None,
    timeout_s: float = PROBE_TIMEOUT_S,
    **kwargs: Any,
) -> tuple[RadioKind, RadioIdentity]:
    """Tell which radio answers at ``port``: probe each kind in a safe order.

    ``first`` are kinds to try before the rest (what USB discovery suggested); the others
    follow in their ``probe_order``: the AMB8465 (9600 baud) before any 57600 baud probe,
    because after one it needs about a second to answer again (wmbusmeters, ``src/wmbus.cc``).
    Raises OSError if the port cannot be opened at all, NoRadioFound naming every kind tried
    and how it failed. Kinds that are not serial radios (``probe_on_serial`` False: an SDR)
    are never tried.
    """
    kinds = {name: kind for name, kind in radio_kinds().items() if kind.probe_on_serial}
    names = [name for name in first if name in kinds]
    names += [name for name in kinds if name not in names]
    if only is not None:
        allowed = set(only)
        names = [name for name in names if name in allowed]
    attempts: dict[str, str] = {}
    for name in names:
        try:
            identity = await identify(name, port, timeout_s=timeout_s, **kwargs)
        except NotThisRadio as err:
            attempts[name] = f"answered as {err.answer}"
        except (RadioError, ValueError, TimeoutError) as err:
            attempts[name] = str(err) or type(err).__name__
        else:
            return kinds[name], identity
        # A probe at one rate leaves junk in the other radios' buffers; let it pass.
        await asyncio.sleep(0)
        _LOGGER.debug("no %s at %s: %s", name, port, attempts[name])
    raise NoRadioFound(port, attempts)
