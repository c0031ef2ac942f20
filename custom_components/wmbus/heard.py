"""The meters a stick has heard, configured or not, and what their latest telegram tells.

The "add meter" form lists them (most recently heard first) and tries a key on a meter's
latest telegram before it is saved; ReCalc's commands learn a meter's type the same way. The
list is bounded (``HEARD_METERS_LIMIT``, the least recently heard go first).

Trying a telegram never touches the hub's decoder state: keys are tried with
``Decoder.try_key`` (stateless), and whether a meter encrypts is found on a second, scratch
``Decoder`` that never holds a key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .const import HEARD_METERS_LIMIT
from .protocol.decoder import Decoder
from .protocol.errors import PayloadCrcMismatch, UnknownMeter, WmbusError
from .protocol.frame import LinkHeader, MeterAddress
from .protocol.radios import RadioFrame


@dataclass(slots=True)
class HeardMeter:
    """A meter the stick has heard (configured or not), for the "add meter" choice."""

    header: LinkHeader
    rssi_dbm: float | None
    last_heard: datetime
    telegram: bytes
    telegrams: int = 1


class HeardList(OrderedDict[MeterAddress, HeardMeter]):
    """Heard meters by address, least recently heard first."""

    def __init__(self, decoder: Decoder) -> None:
        super().__init__()
        self._decoder = decoder
        # Tells whether a heard meter encrypts; never holds a key.
        self._probe = Decoder(duplicate_guard=False)

    def note(
        self, address: MeterAddress, frame: RadioFrame, header: LinkHeader | None = None
    ) -> None:
        """Remember who was heard; the header is parsed only for a meter new to the list."""
        heard = self.get(address)
        if heard is None:
            if header is None:
                header = self._decoder.peek_header(frame.telegram)
            self[address] = HeardMeter(header, frame.rssi_dbm, frame.received_at, frame.telegram)
            if len(self) > HEARD_METERS_LIMIT:
                self.popitem(last=False)
            return
        if header is not None:
            heard.header = header
        heard.rssi_dbm = frame.rssi_dbm
        heard.last_heard = frame.received_at
        heard.telegram = frame.telegram
        heard.telegrams += 1
        self.move_to_end(address)

    def unconfigured(self, configured: Callable[[MeterAddress], object | None]) -> list[HeardMeter]:
        """Heard meters ``configured`` knows nothing of, most recently heard first.

        ``configured`` is the meter table's lookup: a meter not yet bound to an address stands
        for every address with its digits.
        """
        return [heard for address, heard in reversed(self.items()) if configured(address) is None]

    def heard_as(self, meter: str | MeterAddress) -> list[HeardMeter]:
        """The heard meters an address names (one at most) or an id does (one per address)."""
        if isinstance(meter, MeterAddress):
            heard = self.get(meter)
            return [] if heard is None else [heard]
        return [heard for address, heard in self.items() if address.meter_id == meter]

    def needs_key(self, heard: HeardMeter) -> bool | None:
        """Whether a heard meter encrypts: True, False (sends in clear), None (cannot tell yet).

        Decodes its latest telegram as a meter without a key on the scratch decoder, so the
        hub's own decoder (keys, duplicate guards) is never touched.
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
                return self._decoder.try_key(heard.telegram, key).profile
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
                self._decoder.try_key(heard.telegram, key)
            except PayloadCrcMismatch:
                verdict = False if verdict is None else verdict
                continue
            except WmbusError:
                # e.g. a compact frame of a format not learned yet: cannot tell
                verdict = None
                continue
            return True, heard.header.address
        return verdict, None
