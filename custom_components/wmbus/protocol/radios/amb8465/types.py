"""Amber / Würth AMB8465 family: the numbers (command ids, parameters, link-mode codes, RSSI).

The Amber AMB8426-M/8626-M manual (v2.4, pages 7 and 12-16) defines the command framing and the
RSSI curve; wmbusmeters' ``src/wmbus_amb8465.h`` and ioBroker.wmbus' ``AmberMessage.js`` use the
same ids. Two byte streams reach the host:

    command framing:      ff | command | len | payload (len) | XOR of every byte before it
    transparent telegram: len | C-field ... last data byte | RSSI      (len counts all after it)

Confirms carry ``command | 0x80``; received telegrams come as DATA_IND (``ff 03``) when the stick
is in command output mode (parameter 0x05 = 1), else in the transparent form, which has no
marker and no check value at all.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from ..base import RadioError
from ..link_modes import LinkMode

START: Final = 0xFF
HEADER_SIZE: Final = 3  # ff, command, len
CHECKSUM_SIZE: Final = 1
CONFIRM_FLAG: Final = 0x80
MAX_PAYLOAD_SIZE: Final = 255


class Command(IntEnum):
    """Command ids of the host interface (AMBMAN p.7; wmbusmeters ``wmbus_amb8465.h``)."""

    DATA_REQ = 0x00
    DATA_IND = 0x03
    SET_MODE = 0x04
    RESET = 0x05
    SET_CHANNEL = 0x06
    SET = 0x09  # writes the parameter memory (NVM): never sent by this driver
    GET = 0x0A
    SERIALNO = 0x0B
    FWV = 0x0C
    RSSI = 0x0D
    SETUARTSPEED = 0x10
    FACTORYRESET = 0x11


# The factory reset is confirmed with 0x90 in the manual and by wmbusmeters, not 0x91 as the
# +0x80 rule would give; both are accepted as frames (the driver never sends it).
FACTORYRESET_CONFIRM: Final = 0x90

# Ids a frame from the stick can carry: DATA_IND and the confirms. A ff followed by anything else
# starts no command frame (it may be the len byte of a 255-byte transparent telegram, or noise).
STICK_FRAME_IDS: Final = frozenset(
    {Command.DATA_IND, FACTORYRESET_CONFIRM}
    | {int(command) | CONFIRM_FLAG for command in Command if command is not Command.DATA_IND}
)


class Parameter(IntEnum):
    """Offsets in the parameter memory read with GET (AMBMAN; wmbusmeters; ioBroker.wmbus)."""

    UART_CMD_OUT_ENABLE = 0x05  # 1: telegrams arrive as DATA_IND, 0: transparent (factory)
    MBUS_BL_ADD_DISABLE = 0x30
    C_FIELD = 0x31
    AUTO_SLEEP = 0x3F
    RSSI_ENABLE = 0x45  # 1: DATA_IND carries the RSSI byte (transparent mode always does)


# GET 0x00 0x80 (all 128 bytes) tells the family members apart by how many bytes come back
# (wmbusmeters ``decode8465``/``decode3665``): 120 on the 868 MHz AMB8465/8665/Metis-II,
# 128 on the 169 MHz AMB3665.
FULL_DUMP_COUNT: Final = 0x80
AMB8465_PARAMETER_BYTES: Final = 120
AMB3665_PARAMETER_BYTES: Final = 128

# A transparent telegram's len counts C, M (2), A (6), CI at least (wmbusmeters
# ``checkAMB8465Frame``); with the RSSI byte that is one more, but the check stays at 10.
MIN_TRANSPARENT_LEN: Final = 10

# C-fields a meter sends (EN 13757-4; the "-Other" receive modes hear meters, not collectors):
# SND_NR 0x44, SND_IR 0x46, ACC_NR 0x47, ACC_DMD 0x48, RSP_UD 0x08. wmbusmeters accepts only 0x44
# and 0x46. Each value added lets one more byte pair of noise start a false frame, so RSP_UD's
# FCB/ACD variants (0x18, 0x28, 0x38: 0x28 is also a common len byte), CNF_IR 0x06 (sent by
# collectors) and ACK 0x00 (common in noise) are left out.
METER_C_FIELDS: Final = frozenset({0x44, 0x46, 0x47, 0x48, 0x08})

# SET_MODE codes (wmbusmeters ``setupAmberBusDeviceToReceiveTelegrams``; ioBroker ``getMode``).
# The "-Other" modes receive what meters send; C1T1 is the one combination the stick allows.
LINK_MODE_CODES: Final[dict[LinkMode, int]] = {
    LinkMode.C1T1: 0x09,  # C2/T2-Other
    LinkMode.T1: 0x08,  # T2-Other
    LinkMode.C1: 0x0E,  # C2-Other (frame formats A and B)
    LinkMode.S1: 0x03,  # S2
}
LINK_MODES: Final = tuple(LINK_MODE_CODES)


def link_mode_code(mode: LinkMode) -> int:
    """The SET_MODE byte of ``mode``; KeyError for a mode the AMB8465 cannot set."""
    return LINK_MODE_CODES[mode]


def link_mode_of_code(code: int) -> LinkMode | None:
    """The link mode of a SET_MODE byte, None if it is none of ours (emulator, logs)."""
    for mode, mode_code in LINK_MODE_CODES.items():
        if mode_code == code:
            return mode
    return None


def rssi_to_dbm(raw: int) -> float:
    """RSSI byte to dBm: two's complement, halved, minus 74 (AMBMAN p.14)."""
    return (raw - 256 if raw >= 128 else raw) / 2 - 74


def dbm_to_rssi(dbm: float) -> int:
    """Inverse of :func:`rssi_to_dbm`, clamped to the byte's range (used by the emulator)."""
    value = max(-128, min(127, round((dbm + 74) * 2)))
    return value & 0xFF


class AmberPayloadError(RadioError, ValueError):
    """A confirm's payload is malformed: too short, or not the layout its command has."""


class CommandRefused(AmberPayloadError):
    """A confirm's status byte is not 0: the stick did not carry the command out."""

    def __init__(self, command: str, status: int) -> None:
        super().__init__(f"{command} refused (status 0x{status:02x})")
        self.command = command
        self.status = status
