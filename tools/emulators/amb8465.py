"""An Amber AMB8465 on a pseudo terminal: 9600 baud, ``ff cmd len .. xor`` and transparent output.

    python -m tools.emulator --radio amb8465 --link /tmp/amb8465

It answers what a host sends an AMB8465 (Amber AMB8426-M/8626-M manual; wmbusmeters
``src/wmbus_amb8465.cc``): SET_MODE in RAM only and with no way to read it back, RESET (back to
the mode in the parameter memory, after a short reboot), GET of the parameter memory (120 bytes,
as an AMB8465 answers a request for 128), SERIALNO, FWV, and SET (recorded in ``nvm_writes``,
applied at the next reset; the driver must never send it). Every confirm carries the XOR of its
bytes.

Telegrams go out as the radio's current mode hears them, in the framing parameter 0x05 selects:
transparent (``command_mode=False``, the factory setting: ``len C .. RSSI``, the RSSI byte always
there, wmbusmeters #336/#1049) or DATA_IND (``command_mode=True``, as the Metis-II in
wmbusmeters #1049 came; RSSI only with ``rssi_enable=True``, parameter 0x45). Real sticks were
seen to put a stray byte before an answer (wmbusmeters #26, #1049): ``stray_byte_every=N``
does that before every n-th answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final

from custom_components.wmbus.protocol.radios import LinkMode
from custom_components.wmbus.protocol.radios.amb8465 import (
    Command,
    Parameter,
    checksum,
    dbm_to_rssi,
    encode_data_ind,
    encode_frame,
    encode_transparent,
    link_mode_of_code,
)
from custom_components.wmbus.protocol.radios.amb8465.types import (
    AMB8465_PARAMETER_BYTES,
    CONFIRM_FLAG,
    METER_C_FIELDS,
    MIN_TRANSPARENT_LEN,
    START,
)

from .base import PtyRadioEmulator, RadioMode, hears

# The mode in the parameter memory, in effect from power-up and after a reset: C2/T2-Other (0x09),
# so a reader that configures nothing (tools.soak's baseline) hears the simulated meters. An
# assumption: the factory value is not in the sources at hand. Tests that must see the driver set
# the mode start the emulator in another (``nvm_mode``).
NVM_MODE: Final = 0x09
RESET_REBOOT_S: Final = 0.1  # no answers while the module restarts after RESET
CHUNK_GAP_S: Final = 0.005  # between the pieces of an answer sent in chunks
SERIAL_NUMBER: Final = 0x2A01C30C
FIRMWARE: Final = (1, 0, 5)
STATUS_OK: Final = 0x00
STATUS_FAILED: Final = 0x01
# Mode codes an AMB8465 accepts (S, T, C in meter and other roles; wmbusmeters and ioBroker
# use 0x03, 0x07, 0x08, 0x09, 0x0D, 0x0E of them).
VALID_MODE_CODES: Final = frozenset(range(0x01, 0x0F))


@dataclass(frozen=True, slots=True)
class HostRequest:
    """One request the host sent, as the emulator parsed it."""

    command: int
    payload: bytes


class Amb8465Emulator(PtyRadioEmulator):
    """An emulated AMB8465 behind a pty whose slave end is symlinked at ``link``."""

    NAME: ClassVar[str] = "amb8465"
    BYTES_PER_S: ClassVar[float] = 960.0  # 9600 baud, 8N1

    def __init__(
        self,
        link: str | Path,
        *,
        command_mode: bool = False,
        rssi_enable: bool = False,
        nvm_mode: int = NVM_MODE,
        parameter_bytes: int = AMB8465_PARAMETER_BYTES,
        serial_number: int = SERIAL_NUMBER,
        firmware: tuple[int, int, int] = FIRMWARE,
        stray_byte_every: int = 0,
        chunk_bytes: int = 0,
        **options: Any,
    ) -> None:
        """Prepare the emulator; ``start()`` creates the pty.

        command_mode: parameter 0x05 (1: telegrams as DATA_IND). rssi_enable: parameter 0x45.
        nvm_mode: the receive mode after power-up and reset. parameter_bytes: the size of the
        parameter memory (128 makes it answer as a 169 MHz AMB3665). stray_byte_every: put one stray
        byte before every n-th answer (0: never). chunk_bytes: send answers in pieces of this
        many bytes, CHUNK_GAP_S apart (as the answers in wmbusmeters #1085's log came; 0: whole).
        """
        self.nvm = bytearray(parameter_bytes)
        self.nvm[Parameter.UART_CMD_OUT_ENABLE] = int(command_mode)
        self.nvm[Parameter.RSSI_ENABLE] = int(rssi_enable)
        self.nvm_mode = nvm_mode
        self.serial_number = serial_number
        self.firmware = firmware
        self.stray_byte_every = stray_byte_every
        self.chunk_bytes = chunk_bytes
        self.parameters = bytearray(self.nvm)
        self.mode = nvm_mode
        self.nvm_writes: list[bytes] = []
        self.answers_sent = 0
        self.resets = 0
        self._input = bytearray()
        self._rebooting_until = 0.0
        super().__init__(link, **options)

    # --- state seen by tests ----------------------------------------------------------------

    @property
    def command_mode(self) -> bool:
        """Telegrams go out as DATA_IND (parameter 0x05 in effect)."""
        return self.parameters[Parameter.UART_CMD_OUT_ENABLE] == 1

    @property
    def rssi_enable(self) -> bool:
        """A DATA_IND carries the RSSI byte (parameter 0x45 in effect)."""
        return self.parameters[Parameter.RSSI_ENABLE] == 1

    @property
    def link_mode(self) -> LinkMode | None:
        """The LinkMode of the current receive mode (None if it is none of the driver's)."""
        return link_mode_of_code(self.mode)

    # --- hooks ------------------------------------------------------------------------------

    def _power_up(self) -> None:
        self.parameters = bytearray(self.nvm)
        self.mode = self.nvm_mode
        self._input.clear()
        self._rebooting_until = 0.0

    def _on_host_bytes(self, data: bytes) -> None:
        buf = self._input
        buf += data
        while buf:
            start = buf.find(START)
            if start < 0:
                buf.clear()
                return
            del buf[:start]
            if len(buf) < 3 or len(buf) < 4 + buf[2]:
                return
            size = 4 + buf[2]
            if checksum(buf[:size]) != 0:  # the stick ignores a frame whose XOR fails
                del buf[:1]
                continue
            request = HostRequest(buf[1], bytes(buf[3 : size - 1]))
            del buf[:size]
            self.requests.append(request)
            self._answer(request)

    def _encode_telegram(self, telegram: bytes, rssi_dbm: float, mode: RadioMode) -> bytes | None:
        # Only the driver's four modes hear anything here (the -Meter modes hear collectors).
        if not hears(self.link_mode, mode):
            return None
        rssi_raw = dbm_to_rssi(rssi_dbm)
        try:
            if self.command_mode:
                return encode_data_ind(telegram, rssi_raw if self.rssi_enable else None)
            return encode_transparent(telegram, rssi_raw)
        except ValueError:  # not an L-field telegram, or too long for the stick
            return None

    # --- requests ---------------------------------------------------------------------------

    def _answer(self, request: HostRequest) -> None:
        if not self.answering or self.now < self._rebooting_until:
            return
        command, payload = request.command, request.payload
        if command == Command.SET_MODE and len(payload) == 1:
            ok = payload[0] in VALID_MODE_CODES
            if ok:
                self.mode = payload[0]
            self._confirm(command, bytes((STATUS_OK if ok else STATUS_FAILED,)))
        elif command == Command.RESET:
            self._confirm(command, bytes((STATUS_OK,)))
            self.resets += 1
            self._power_up()
            self._rebooting_until = self.now + RESET_REBOOT_S
        elif command == Command.GET and len(payload) == 2:
            offset = min(payload[0], len(self.parameters))
            block = bytes(self.parameters[offset : offset + payload[1]])
            self._confirm(command, bytes((offset, len(block))) + block)
        elif command == Command.SET and len(payload) >= 2:
            offset, count = payload[0], payload[1]
            values = payload[2 : 2 + count]
            self.nvm_writes.append(payload)
            self.nvm[offset : offset + len(values)] = values
            self._confirm(command, bytes((STATUS_OK,)))
        elif command == Command.SERIALNO:
            self._confirm(command, self.serial_number.to_bytes(4, "big"))
        elif command == Command.FWV:
            self._confirm(command, bytes(self.firmware))

    def _confirm(self, command: int, payload: bytes) -> None:
        self.answers_sent += 1
        if self.stray_byte_every and self.answers_sent % self.stray_byte_every == 0:
            self._write(bytes((self._random.randrange(0xFF),)))  # any byte but ff
        answer = encode_frame(command | CONFIRM_FLAG, payload)
        if not self.chunk_bytes:
            self._write(answer)
            return
        assert self._loop is not None
        for index, start in enumerate(range(0, len(answer), self.chunk_bytes)):
            piece = answer[start : start + self.chunk_bytes]
            self._loop.call_later(index * CHUNK_GAP_S, self._write, piece)


def minimal_reader() -> Callable[[bytes], int]:
    """The least any reader of the AMB8465's output must do, as a baseline for ``tools.soak``.

    Finds frame boundaries in both framings (a transparent telegram: a len of at least 10
    followed by a meter's C-field; a command frame: ff, an id, len, checked by its XOR), and cuts
    the telegram out with its L-field rebuilt and the RSSI byte dropped. Returns, per read, how
    many telegrams the read completed.
    """
    buf = bytearray()

    def read(data: bytes) -> int:
        buf.extend(data)
        count = 0
        pos = 0
        end = len(buf)
        while pos < end:
            first = buf[pos]
            if end - pos < 2:
                break
            if first == START and (buf[pos + 1] & CONFIRM_FLAG or buf[pos + 1] == Command.DATA_IND):
                if end - pos < 3:
                    break
                size = 4 + buf[pos + 2]
                if end - pos < size:
                    break
                if checksum(buf[pos : pos + size]) != 0:
                    pos += 1
                    continue
                if buf[pos + 1] == Command.DATA_IND:
                    _ = bytes((buf[pos + 2] - 1,)) + buf[pos + 3 : pos + size - 2]
                    count += 1
                pos += size
            elif first >= MIN_TRANSPARENT_LEN and buf[pos + 1] in METER_C_FIELDS:
                if end - pos < first + 1:
                    break
                _ = bytes((first - 1,)) + buf[pos + 1 : pos + first]
                count += 1
                pos += first + 1
            else:
                pos += 1
        del buf[:pos]
        return count

    return read
