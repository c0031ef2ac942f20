"""The one interface every wireless M-Bus receiver offers the rest of the integration.

A receiver (a USB stick, an SDR, a feed on the network) is a :class:`Radio`: it opens and
closes, says who it is (:class:`RadioIdentity`), sets the link modes its :class:`RadioKind`
declares, and delivers :class:`RadioFrame` objects: the telegram from its L-field with the
link layer's block CRCs checked and removed, the RSSI in dBm, when it arrived and which receiver
heard it. Nothing above this module knows a radio's framing, baud rate or commands; the Home
Assistant layer, the config flow, diagnostics, the command line and the emulators reach radios
through this interface and the registry (:mod:`.registry`).

The shape follows zigpy-znp's split of a radio (frames, commands, types, the radio object), one
folder per radio under this package.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

if TYPE_CHECKING:
    from .link_modes import LinkMode


# --- errors ---------------------------------------------------------------------------------


class RadioError(Exception):
    """The radio could not be opened, or did not behave as the radio it was taken for."""


class RadioTimeout(RadioError):
    """A request got no response in time."""


class RadioDisconnected(RadioError):
    """The port went away (or was closed) while a request was waiting."""


class NotThisRadio(RadioError):
    """Something answered at the port, but not as this kind of radio."""

    def __init__(self, kind: str, answer: str) -> None:
        super().__init__(f"the device does not answer as {kind}: {answer}")
        self.kind = kind
        self.answer = answer


class NoRadioFound(RadioError):
    """No supported radio answered at a port; says which were tried and how each failed."""

    def __init__(self, port: str, attempts: Mapping[str, str]) -> None:
        tried = "; ".join(f"{kind}: {why}" for kind, why in attempts.items())
        super().__init__(f"no supported radio answered at {port} (tried {tried})")
        self.port = port
        self.attempts = dict(attempts)


# --- what a radio delivers ------------------------------------------------------------------


class RadioFrame(NamedTuple):
    """One wM-Bus telegram heard by a receiver.

    ``telegram`` starts at the L-field and carries no block CRCs (EN 13757-4 frame format A or
    B, checked and removed by the radio or the host), L counting the bytes that follow it.
    ``receiver`` names the receiver that heard it (its port or address). A NamedTuple rather
    than a frozen dataclass: as immutable, and made in half the time, which counts on the read
    path (one per telegram, ``tools.soak``).
    """

    telegram: bytes
    rssi_dbm: float | None
    received_at: datetime
    receiver: str = ""


class RadioState(StrEnum):
    """Connection state reported to ``on_state``."""

    CLOSED = "closed"  # never opened, or closed by the owner
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # lost; reconnecting in the background


@dataclass(frozen=True, slots=True)
class RadioIdentity:
    """Who a radio says it is: shown on its device, in diagnostics and by the command line.

    ``serial_number`` is the radio's own hardware id when it has one (it survives re-plugging
    into another port, so it makes a config entry's unique id); ``details`` holds what only this
    kind of radio reports (module type bytes, build names), JSON-friendly.
    """

    radio: str  # the registry name of its kind, e.g. "im871a"
    maker: str
    model: str
    firmware: str
    serial_number: str | None = None
    details: Mapping[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly view (command line, diagnostics)."""
        return {
            "radio": self.radio,
            "maker": self.maker,
            "model": self.model,
            "firmware": self.firmware,
            "serial_number": self.serial_number,
            **self.details,
        }


type FrameCallback = Callable[[RadioFrame], None]
type StateCallback = Callable[[RadioState], None]
type QuietCallback = Callable[[bool], None]


@dataclass(frozen=True, slots=True)
class UsbMatch:
    """A USB id (and, where the id is shared, the strings) a kind of radio is found by.

    The same facts go to ``manifest.json``'s ``usb`` matchers (checked by a test), so Home
    Assistant offers the radio when it is plugged in.
    """

    vid: int
    pid: int
    manufacturer: str | None = None  # a substring, compared without case
    product: str | None = None  # a substring, compared without case

    def matches(
        self, vid: int | None, pid: int | None, manufacturer: str | None, product: str | None
    ) -> bool:
        """Whether a USB device with these ids and strings is this radio."""
        if vid != self.vid or pid != self.pid:
            return False
        for wanted, seen in ((self.manufacturer, manufacturer), (self.product, product)):
            if wanted is not None and wanted.lower() not in (seen or "").lower():
                return False
        return True


@dataclass(frozen=True, slots=True)
class RadioKind:
    """A kind of radio, as registered: its facts and how to build one."""

    name: str  # registry name: entries, the command line and emulators use it
    maker: str
    title: str  # e.g. "IMST iM871A / iM170A": what a person calls it
    link_modes: tuple[LinkMode, ...]  # the modes it can set, in the order offered
    default_link_mode: LinkMode
    usb: tuple[UsbMatch, ...]
    factory: Callable[..., Radio]
    # The command line's ``frames --radio``: a byte stream of this radio split into frames,
    # one JSON-friendly dict each (what it is, its bytes, RSSI, telegram), garbage included.
    describe_stream: Callable[[bytes], list[dict[str, object]]]
    # Probed in ascending order when a port's radio is not known (see registry.detect_radio).
    probe_order: int = 100
    # False for radios that are not behind a serial port (an SDR): detect_radio never probes
    # them, since probing writes bytes to whatever sits at the port.
    probe_on_serial: bool = True


def driver_factory(module: str, class_name: str) -> Callable[..., Radio]:
    """A ``RadioKind.factory`` that loads the driver class only when a radio is built.

    A radio's package describes its kind (name, link modes, USB ids) without asyncio or
    serialx, and its driver module uses that description: naming the driver here, instead of
    importing it from the package, keeps the two from importing each other.
    """

    def build(*args: Any, **kwargs: Any) -> Radio:
        driver: type[Radio] = getattr(import_module(module), class_name)
        return driver(*args, **kwargs)

    return build


# --- the interface --------------------------------------------------------------------------


class Radio(ABC):
    """A wireless M-Bus receiver: open it, get RadioFrames, close it."""

    kind: ClassVar[RadioKind]

    @property
    @abstractmethod
    def receiver(self) -> str:
        """Names this receiver in every frame it delivers (its port or address)."""

    @property
    @abstractmethod
    def state(self) -> RadioState:
        """Current connection state."""

    @property
    @abstractmethod
    def identity(self) -> RadioIdentity | None:
        """Identity read when it was last opened (None before that)."""

    @property
    @abstractmethod
    def link_mode(self) -> LinkMode:
        """The link mode it was asked to listen in."""

    @property
    @abstractmethod
    def quiet(self) -> bool:
        """Whether it used to hear telegrams and has gone quiet (see ``quiet_after_s``)."""

    @property
    @abstractmethod
    def counters(self) -> Mapping[str, int]:
        """Frames received, bytes and frames dropped by reason, reconnects, restarts."""

    @abstractmethod
    async def open(self) -> None:
        """Connect and configure the radio; raise RadioError or OSError if that fails."""

    @abstractmethod
    async def close(self) -> None:
        """Stop receiving and reconnecting; release the port. Safe to call twice."""

    @abstractmethod
    def frames(self) -> AsyncIterator[RadioFrame]:
        """Iterate over received frames until the radio is closed."""

    def diagnostics(self) -> dict[str, Any]:
        """What diagnostics show of the radio beyond identity and counters."""
        return {}
