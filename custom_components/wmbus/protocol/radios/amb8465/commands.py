"""AMB8465 commands: typed requests and what their confirms carry.

Only volatile commands: SET_MODE changes the receive mode in RAM, and nothing here writes the
parameter memory (SET 0x09 wears the flash and needs a reset to take effect). Byte examples in
the tests come from the Amber manual (AMBMAN p.7, p.12) and the recorded ioBroker.wmbus init
session ``Amber.init-T-cmdout.json``, their XORs recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .frames import AmberFrame, encode_frame
from .types import (
    AMB3665_PARAMETER_BYTES,
    AMB8465_PARAMETER_BYTES,
    CONFIRM_FLAG,
    FULL_DUMP_COUNT,
    AmberPayloadError,
    Command,
    CommandRefused,
    Parameter,
)


@dataclass(frozen=True, slots=True)
class Request:
    """One host request and the id of the confirm that answers it (``cmd | 0x80``)."""

    name: str
    command: Command
    payload: bytes = b""

    @property
    def confirm_id(self) -> int:
        """The command id of the answer."""
        return self.command | CONFIRM_FLAG

    def encode(self) -> bytes:
        """The serial bytes of the request."""
        return encode_frame(self.command, self.payload)


def set_mode(code: int) -> Request:
    """Receive in the mode of SET_MODE ``code`` until reset; it cannot be read back."""
    return Request("set_mode", Command.SET_MODE, bytes((code,)))


def reset() -> Request:
    """Software reset, ``ff 05 00 fa``: the receive mode returns to the one in NVM."""
    return Request("reset", Command.RESET)


def get_parameters(offset: int, count: int) -> Request:
    """Read ``count`` bytes of the parameter memory from ``offset`` (GET, 0x0A)."""
    return Request("get_parameters", Command.GET, bytes((offset, count)))


def get_all_parameters() -> Request:
    """The whole parameter memory, ``ff 0a 02 00 80 77``: its size names the family member."""
    return get_parameters(0, FULL_DUMP_COUNT)


def serial_number() -> Request:
    """The module's serial number, ``ff 0b 00 f4``."""
    return Request("serial_number", Command.SERIALNO)


def firmware_version() -> Request:
    """The firmware version, ``ff 0c 00 f3``."""
    return Request("firmware_version", Command.FWV)


# --- confirms -------------------------------------------------------------------------------


def check_status(frame: AmberFrame, request: Request) -> None:
    """Raise CommandRefused unless the confirm's status byte is 0 (success)."""
    if len(frame.payload) != 1:
        raise AmberPayloadError(f"{request.name} confirm has {len(frame.payload)} bytes, not 1")
    if frame.payload[0] != 0:
        raise CommandRefused(request.name, frame.payload[0])


@dataclass(frozen=True, slots=True)
class ParameterDump:
    """A block of the parameter memory as GET returns it: offset, then the bytes."""

    offset: int
    values: bytes

    @classmethod
    def parse(cls, payload: bytes) -> ParameterDump:
        """Parse a GET confirm payload, ``offset count values``."""
        if len(payload) < 2 or len(payload) != 2 + payload[1]:
            raise AmberPayloadError(f"GET confirm of {len(payload)} bytes is not offset+count+data")
        return cls(payload[0], payload[2:])

    def encode(self) -> bytes:
        """Payload bytes of this dump (for the emulator)."""
        return bytes((self.offset, len(self.values))) + self.values

    def get(self, parameter: int) -> int | None:
        """The byte at ``parameter`` if this dump covers it."""
        index = parameter - self.offset
        return self.values[index] if 0 <= index < len(self.values) else None

    @property
    def model(self) -> str:
        """Family member by the size of a full dump (wmbusmeters ``decode8465``/``decode3665``)."""
        if self.offset == 0 and len(self.values) == AMB8465_PARAMETER_BYTES:
            return "AMB8465"
        if self.offset == 0 and len(self.values) == AMB3665_PARAMETER_BYTES:
            return "AMB3665"
        return f"unknown ({len(self.values)} parameter bytes)"

    @property
    def command_output(self) -> bool | None:
        """Telegrams as DATA_IND (parameter 0x05 UART_CMD_Out_Enable = 1)."""
        value = self.get(Parameter.UART_CMD_OUT_ENABLE)
        return None if value is None else value == 1

    @property
    def rssi_enabled(self) -> bool | None:
        """DATA_IND carries the RSSI byte (parameter 0x45 RSSI_Enable = 1)."""
        value = self.get(Parameter.RSSI_ENABLE)
        return None if value is None else value == 1


def parse_serial_number(payload: bytes) -> str:
    """SERIALNO confirm: 4 bytes, most significant first, as 8 hex digits."""
    if len(payload) != 4:
        raise AmberPayloadError(f"serial number needs 4 bytes, got {len(payload)}")
    return payload.hex()


def parse_firmware_version(payload: bytes) -> str:
    """FWV confirm: major, minor, patch, as ``1.0.5``."""
    if len(payload) != 3:
        raise AmberPayloadError(f"firmware version needs 3 bytes, got {len(payload)}")
    return ".".join(str(part) for part in payload)
