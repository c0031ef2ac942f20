"""Meters that the iM871A emulator's radio hears: they build telegrams as the real ones do.

The telegrams are made from the standards (EN 13757-4 link and extended link layers, EN 13757-3
records, OMS Volume 2 security mode 5), with their own small
CRC and AES code rather than the integration's, so decoding them in tests checks the decoder
against an independent encoder. An :class:`OmniPower` set to a real capture's counters and
values sends that capture byte for byte (``tests/protocol/test_simulated_meters.py``).

A meter is anything with ``meter_id``, ``interval_s``, ``telegram(elapsed_s)`` and ``reading``:
the emulator asks each meter for its next telegram every ``interval_s`` seconds, passing the
time since its previous one, and reports ``reading`` (what the last telegram said) to whoever
wants to compare it with what the host shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
import random
import time
from typing import Final, Literal, Protocol

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

OMNIPOWER_ID: Final = "32666857"
OMNIPOWER_KEY: Final = bytes.fromhex("9A25139E3244CC2E391A8EF6B915B697")  # seed's test meter
OMNIPOWER_INTERVAL_S: Final = 15.0  # 4 telegrams per SN minute, as the real captures show
# The seed's meter module counts SN minutes from about this moment (EN 13757-4 ELL, CI 8Dh SN).
OMNIPOWER_COMMISSIONED_AT: Final = 1601596800.0  # 2020-10-02 00:00 UTC
AVERAGE_HOME_LOAD_W: Final = 350.0  # about 3 MWh a year

WATER_ID: Final = "41290001"
# The emulated water meter's key: made up for it, printed by scripts/develop.
WATER_KEY: Final = bytes.fromhex("5E7A11C0FFEE0042DEADBEEF0BADCAFE")
WATER_INTERVAL_S: Final = 16.0  # OMS T1 meters send every 8 to 16 s (EN 13757-4 "frequent")
HEAT_ID: Final = "41290002"
HEAT_KEY: Final = bytes.fromhex("4EA7C0DE0123456789ABCDEF00C0FFEE")  # made up, like the water key
HEAT_INTERVAL_S: Final = 16.0
# Averages the water and heat meters' totals follow when no total is given (see ClockedTotal).
AVERAGE_WATER_L_PER_H: Final = 150.0
AVERAGE_HEAT_W: Final = 1_000.0  # about 8.8 MWh a year
HEAT_VOLUME_L_PER_KWH: Final = 43.0  # 1 / (1.163 kWh/(m³ K) x 20 K spread)

C_SND_NR: Final = 0x44
CI_ELL_II: Final = 0x8D
CI_FULL_FRAME: Final = 0x78
CI_COMPACT_FRAME: Final = 0x79
CI_SHORT_TPL: Final = 0x7A
ELL_CC_SYNCHRONOUS: Final = 0x20
ELL_ENCRYPTION_AES_CTR: Final = 1 << 29
DEVICE_TYPE_ELECTRICITY: Final = 0x02
DEVICE_TYPE_WATER: Final = 0x07
DEVICE_TYPE_HEAT: Final = 0x04
SECURITY_MODE_5: Final = 5
IDLE_FILLER: Final = 0x2F

# OmniPower's record headers (DIF VIF [VIFE]) in order: A+, A-, P+, P- (wmbusmeters
# src/driver_omnipower.cc).
OMNIPOWER_RECORD_HEADERS: Final = (b"\x04\x04", b"\x04\x84\x3c", b"\x04\x2b", b"\x04\xab\x3c")


class SimulatedMeter(Protocol):
    """What the emulator needs from a meter."""

    @property
    def meter_id(self) -> str:
        """Printed id (8 digits)."""

    @property
    def interval_s(self) -> float:
        """Seconds between two telegrams."""

    @property
    def radio_mode(self) -> Literal["c", "t"]:
        """The wireless M-Bus mode it sends in: C1 or T1 (a stick hears one or both)."""

    @property
    def reading(self) -> dict[str, float | int | str]:
        """Values of the last telegram sent (empty before the first)."""

    def telegram(self, elapsed_s: float) -> bytes:
        """The next telegram, ``elapsed_s`` seconds after the previous one."""


def crc16_en13757(data: bytes) -> int:
    """CRC-16/EN-13757 (poly 0x3D65, init 0, no reflection, xorout 0xFFFF), bit by bit."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x3D65 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc ^ 0xFFFF


def manufacturer_bytes(code: str) -> bytes:
    """The M-field for a three-letter code, in wire order ("KAM" -> 2d 2c)."""
    value = ((ord(code[0]) - 64) << 10) | ((ord(code[1]) - 64) << 5) | (ord(code[2]) - 64)
    return value.to_bytes(2, "little")


def address_bytes(meter_id: str, version: int, device_type: int) -> bytes:
    """The A-field: 8 BCD digits least significant byte first, version, device type."""
    if len(meter_id) != 8 or not meter_id.isdigit():
        raise ValueError(f"meter id must be 8 digits, got {meter_id!r}")
    return bytes.fromhex(meter_id)[::-1] + bytes((version, device_type))


def bcd(value: int, size: int) -> bytes:
    """A non-negative integer as ``size`` bytes of BCD, least significant byte first."""
    digits = f"{value:0{size * 2}d}"
    if len(digits) > size * 2:
        raise ValueError(f"{value} does not fit {size * 2} BCD digits")
    return bytes.fromhex(digits)[::-1]


def aes_ctr(key: bytes, counter_block: bytes, data: bytes) -> bytes:
    """AES-128-CTR, the whole 16-byte block a big-endian counter (EN 13757-4 ELL, ENC=1)."""
    encryptor = Cipher(algorithms.AES(key), modes.CTR(counter_block)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def aes_cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-128-CBC without padding: ``data`` is already a multiple of 16 bytes."""
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


# (power in W, typical run time in s) of things a home switches on now and then: kettle,
# dishwasher, washing machine, oven.
APPLIANCES: Final = ((2000, 180.0), (1200, 600.0), (800, 900.0), (2200, 1800.0))


def wall_clock_s() -> float:
    """Seconds since the epoch: where the meters' clocked totals stand (tests move it)."""
    return time.time()


class ClockedTotal:
    """A meter's total that restarts of the emulator never set back.

    A real meter counts on while the emulator (and Home Assistant with it) restarts, and
    Home Assistant restores the last total it showed. A simulated meter that started from a
    fixed total, or from the clock's average while the last run had metered more than the
    average, sent less than that after a restart: a false "a total went down". Without a
    given total the meter therefore starts at the average for the time since
    ``OMNIPOWER_COMMISSIONED_AT`` and never runs ahead of it: what it meters (random loads
    and flows) is added, capped at the average so far. The next run starts at the average
    for its own start, which is at least what the last run sent. A given total (tests,
    replays of real captures) is neither placed nor capped.
    """

    def __init__(self, per_second: float, total: float | None, now_s: float) -> None:
        self._per_second = per_second
        self._time_s = now_s
        self._capped = total is None
        self.value = self._average() if total is None else total

    def _average(self) -> float:
        return self._per_second * (self._time_s - OMNIPOWER_COMMISSIONED_AT)

    def add(self, amount: float, elapsed_s: float) -> float:
        """Meter ``amount`` over ``elapsed_s``; the new total."""
        self._time_s += elapsed_s
        self.value += amount
        if self._capped:
            self.value = min(self.value, self._average())
        return self.value


@dataclass
class HouseholdLoad:
    """Electric load of a home: a drifting base load with appliances switching on and off.

    Deterministic for a seed, so a run can be repeated; ``fixed_w`` pins the power instead
    (used to reproduce captures).
    """

    seed: int = 0
    fixed_w: int | None = None
    base_w: float = 320.0
    _random: random.Random = field(init=False, repr=False)
    _appliance_w: int = field(init=False, default=0)
    _appliance_left_s: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def power_w(self, elapsed_s: float) -> int:
        """Power now, ``elapsed_s`` after the previous call."""
        if self.fixed_w is not None:
            return self.fixed_w
        draw = self._random
        self.base_w = min(900.0, max(120.0, self.base_w + draw.gauss(0.0, 8.0)))
        self._appliance_left_s -= elapsed_s
        if self._appliance_left_s <= 0:
            self._appliance_w = 0
            if draw.random() < 0.08:
                self._appliance_w, typical_s = draw.choice(APPLIANCES)
                self._appliance_left_s = typical_s * draw.uniform(0.5, 1.5)
        return round(self.base_w + self._appliance_w)


class OmniPower:
    """A Kamstrup OmniPower: ELL AES-CTR, one long frame (CI 78) then seven compact ones (79).

    Counters follow the real meter's captures (EN 13757-4 ELL: ACC and SN): ACC + 1 per
    telegram, a long frame when ACC is 4 mod 8, SN session 0..3 then the minute counter + 1.
    Energy is metered from the load's power over the time between telegrams and sent in 10 Wh
    steps, so it only rises.

    ``wrong_key_every``: every n-th telegram is encrypted with another key, as a meter
    re-keyed by its grid operator would look (0: never).

    Without ``energy_imported_wh`` and ``sn_minutes`` both follow the clock (an average load
    since the module's commissioning, never run ahead of: :class:`ClockedTotal`; minutes since
    then), so totals keep rising from one run of the emulator to the next, as they do on a
    real meter, and a host that restored the last value never sees one go down.
    """

    VERSION: Final = 0x30

    def __init__(
        self,
        meter_id: str = OMNIPOWER_ID,
        key: bytes = OMNIPOWER_KEY,
        *,
        interval_s: float = OMNIPOWER_INTERVAL_S,
        energy_imported_wh: float | None = None,
        load: HouseholdLoad | None = None,
        access_number: int = 4,
        sn_minutes: int | None = None,
        sn_session: int = 0,
        wrong_key_every: int = 0,
    ) -> None:
        self._meter_id = meter_id
        self._address = address_bytes(meter_id, self.VERSION, DEVICE_TYPE_ELECTRICITY)
        self._key = key
        self._interval_s = interval_s
        now_s = wall_clock_s()
        since_commissioning_s = now_s - OMNIPOWER_COMMISSIONED_AT
        self._energy_imported_wh = ClockedTotal(
            AVERAGE_HOME_LOAD_W / 3600.0, energy_imported_wh, now_s
        )
        self._load = load if load is not None else HouseholdLoad()
        self.access_number = access_number
        self.sn_minutes = int(since_commissioning_s // 60) if sn_minutes is None else sn_minutes
        self.sn_session = sn_session
        self.wrong_key_every = wrong_key_every
        self.telegrams_sent = 0
        self._reading: dict[str, float | int | str] = {}

    @property
    def meter_id(self) -> str:
        """Printed id."""
        return self._meter_id

    @property
    def interval_s(self) -> float:
        """Seconds between telegrams (the real meter: about 15 s)."""
        return self._interval_s

    @property
    def radio_mode(self) -> Literal["c", "t"]:
        """OmniPower sends C1."""
        return "c"

    @property
    def reading(self) -> dict[str, float | int | str]:
        """What the last telegram said, in the units Home Assistant shows."""
        return dict(self._reading)

    def telegram(self, elapsed_s: float) -> bytes:
        """Meter the load for ``elapsed_s`` and send the next telegram."""
        power_w = self._load.power_w(elapsed_s)
        energy_wh = self._energy_imported_wh.add(power_w * elapsed_s / 3600.0, elapsed_s)
        energy_10wh = math.floor(energy_wh / 10.0)
        values = (energy_10wh, 0, power_w, 0)
        long_frame = self.access_number % 8 == 4
        records = b"".join(
            header + value.to_bytes(4, "little")
            for header, value in zip(OMNIPOWER_RECORD_HEADERS, values, strict=True)
        )
        if long_frame:
            tpl = bytes((CI_FULL_FRAME,)) + records
        else:
            signature = crc16_en13757(b"".join(OMNIPOWER_RECORD_HEADERS))
            tpl = (
                bytes((CI_COMPACT_FRAME,))
                + signature.to_bytes(2, "little")
                + crc16_en13757(records).to_bytes(2, "little")
                + b"".join(value.to_bytes(4, "little") for value in values)
            )
        plaintext = crc16_en13757(tpl).to_bytes(2, "little") + tpl
        self.telegrams_sent += 1
        wrong = self.wrong_key_every and self.telegrams_sent % self.wrong_key_every == 0
        key = self._key[::-1] if wrong else self._key
        sn = (
            (self.sn_session & 0x0F) | ((self.sn_minutes & 0x1FFFFFF) << 4) | ELL_ENCRYPTION_AES_CTR
        ).to_bytes(4, "little")
        m_field = manufacturer_bytes("KAM")
        head = bytes((C_SND_NR,)) + m_field + self._address
        ell = bytes((CI_ELL_II, ELL_CC_SYNCHRONOUS, self.access_number)) + sn
        counter_block = m_field + self._address + bytes((ELL_CC_SYNCHRONOUS,)) + sn + bytes(3)
        body = head + ell + aes_ctr(key, counter_block, plaintext)
        self._reading = {
            "energy_imported_kwh": energy_10wh / 100,
            "energy_exported_kwh": 0.0,
            "power_imported_w": power_w,
            "power_exported_w": 0,
            "access_number": self.access_number,
            "frame": "long" if long_frame else "compact",
            "encrypted_with": "wrong key" if wrong else "meter key",
        }
        self.access_number = (self.access_number + 1) & 0xFF
        self.sn_session += 1
        if self.sn_session == 4:
            self.sn_session = 0
            self.sn_minutes += 1
        return bytes((len(body),)) + body


def oms_mode5_telegram(
    manufacturer: str, address: bytes, key: bytes, access_number: int, records: bytes
) -> bytes:
    """A telegram of an OMS meter: short TPL header (CI 7A), security mode 5 (AES-CBC).

    The plaintext starts with 2F 2F (the receiver's check) and is filled up to whole blocks
    with 2F idle fillers; the IV is M, A and the access number 8 times (OMS Volume 2, security
    mode 5).
    """
    plaintext = bytes((IDLE_FILLER, IDLE_FILLER)) + records
    plaintext += bytes((IDLE_FILLER,)) * (-len(plaintext) % 16)
    blocks = len(plaintext) // 16
    configuration = (SECURITY_MODE_5 << 8) | (blocks << 4)
    m_field = manufacturer_bytes(manufacturer)
    iv = m_field + address + bytes((access_number,)) * 8
    tpl = bytes((CI_SHORT_TPL, access_number, 0x00)) + configuration.to_bytes(2, "little")
    body = bytes((C_SND_NR,)) + m_field + address + tpl + aes_cbc(key, iv, plaintext)
    return bytes((len(body),)) + body


class WaterMeter:
    """An OMS water meter in security mode 5 (T1 mode, CI 7A, AES-CBC).

    Standard records only (EN 13757-3), so it needs no meter profile: total volume (BCD,
    litres), volume at the last month end (storage 1) and volume flow (BCD, l/h). Made up to
    show a generic meter; the manufacturer code EMU says so. Without ``volume_l`` the total
    follows the clock (:class:`ClockedTotal`).
    """

    VERSION: Final = 0x01

    def __init__(
        self,
        meter_id: str = WATER_ID,
        key: bytes = WATER_KEY,
        *,
        interval_s: float = WATER_INTERVAL_S,
        volume_l: float | None = None,
        seed: int = 1,
        access_number: int = 0,
    ) -> None:
        self._meter_id = meter_id
        self._address = address_bytes(meter_id, self.VERSION, DEVICE_TYPE_WATER)
        self._key = key
        self._interval_s = interval_s
        self._volume_l = ClockedTotal(AVERAGE_WATER_L_PER_H / 3600.0, volume_l, wall_clock_s())
        self._month_end_l = max(0, math.floor(self._volume_l.value) - 4_321)
        self._random = random.Random(seed)
        self.access_number = access_number
        self._reading: dict[str, float | int | str] = {}

    @property
    def meter_id(self) -> str:
        """Printed id."""
        return self._meter_id

    @property
    def interval_s(self) -> float:
        """Seconds between telegrams."""
        return self._interval_s

    @property
    def radio_mode(self) -> Literal["c", "t"]:
        """OMS meters send T1."""
        return "t"

    @property
    def reading(self) -> dict[str, float | int | str]:
        """What the last telegram said (volumes in m³, flow in m³/h)."""
        return dict(self._reading)

    def telegram(self, elapsed_s: float) -> bytes:
        """Meter the flow for ``elapsed_s`` and send the next telegram."""
        flow_l_h = self._random.choice((0, 0, 0, 0, 240, 480, 720))
        volume_l = math.floor(self._volume_l.add(flow_l_h * elapsed_s / 3600.0, elapsed_s))
        records = (
            b"\x0c\x13" + bcd(volume_l, 4)  # volume, 8 BCD digits, 10^-3 m³
            + b"\x4c\x13" + bcd(self._month_end_l, 4)  # the same at storage 1 (month end)
            + b"\x0b\x3b" + bcd(flow_l_h, 3)  # volume flow, 6 BCD digits, 10^-3 m³/h
        )  # fmt: skip
        telegram = oms_mode5_telegram("EMU", self._address, self._key, self.access_number, records)
        self._reading = {
            "volume_m3": volume_l / 1000,
            "volume_month_end_m3": self._month_end_l / 1000,
            "volume_flow_m3_h": flow_l_h / 1000,
            "access_number": self.access_number,
        }
        self.access_number = (self.access_number + 1) & 0xFF
        return telegram


class HeatMeter:
    """An OMS heat meter in security mode 5 (T1 mode, CI 7A, AES-CBC), standard records only.

    Heat energy (BCD, kWh), volume (BCD, 10 l), power (BCD, W), flow and return temperature
    (BCD, 0.1 °C); the power follows the flow and the temperature difference, the energy
    integrates it. Made up to show a generic meter (manufacturer code EMU). Without totals
    both follow the clock (:class:`ClockedTotal`).
    """

    VERSION: Final = 0x02
    KWH_PER_M3_K: Final = 1.163  # heat carried by water

    def __init__(
        self,
        meter_id: str = HEAT_ID,
        key: bytes = HEAT_KEY,
        *,
        interval_s: float = HEAT_INTERVAL_S,
        energy_kwh: float | None = None,
        volume_l: float | None = None,
        seed: int = 2,
        access_number: int = 0,
    ) -> None:
        self._meter_id = meter_id
        self._address = address_bytes(meter_id, self.VERSION, DEVICE_TYPE_HEAT)
        self._key = key
        self._interval_s = interval_s
        now_s = wall_clock_s()
        kwh_per_s = AVERAGE_HEAT_W / 3_600_000
        self._energy_kwh = ClockedTotal(kwh_per_s, energy_kwh, now_s)
        self._volume_l = ClockedTotal(kwh_per_s * HEAT_VOLUME_L_PER_KWH, volume_l, now_s)
        self._random = random.Random(seed)
        self.access_number = access_number
        self._reading: dict[str, float | int | str] = {}

    @property
    def meter_id(self) -> str:
        """Printed id."""
        return self._meter_id

    @property
    def interval_s(self) -> float:
        """Seconds between telegrams."""
        return self._interval_s

    @property
    def radio_mode(self) -> Literal["c", "t"]:
        """OMS meters send T1."""
        return "t"

    @property
    def reading(self) -> dict[str, float | int | str]:
        """What the last telegram said (kWh, m³, W, °C)."""
        return dict(self._reading)

    def telegram(self, elapsed_s: float) -> bytes:
        """Meter the heat for ``elapsed_s`` and send the next telegram."""
        flow_l_h = self._random.choice((0, 120, 180, 240))
        flow_dc = self._random.randint(550, 650)  # 0.1 °C
        return_dc = flow_dc - self._random.randint(150, 300)
        power_w = round(flow_l_h / 1000 * self.KWH_PER_M3_K * (flow_dc - return_dc) / 10 * 1000)
        energy_kwh = math.floor(self._energy_kwh.add(power_w * elapsed_s / 3_600_000, elapsed_s))
        volume_10l = math.floor(self._volume_l.add(flow_l_h * elapsed_s / 3600, elapsed_s) / 10)
        records = (
            b"\x0c\x06" + bcd(energy_kwh, 4)  # energy, 8 BCD digits, kWh
            + b"\x0c\x14" + bcd(volume_10l, 4)  # volume, 8 BCD digits, 10^-2 m³
            + b"\x0b\x2b" + bcd(power_w, 3)  # power, 6 BCD digits, W
            + b"\x0a\x5a" + bcd(flow_dc, 2)  # flow temperature, 4 BCD digits, 0.1 °C
            + b"\x0a\x5e" + bcd(return_dc, 2)  # return temperature, 4 BCD digits, 0.1 °C
        )  # fmt: skip
        telegram = oms_mode5_telegram("EMU", self._address, self._key, self.access_number, records)
        self._reading = {
            "energy_kwh": float(energy_kwh),
            "volume_m3": volume_10l / 100,
            "power_w": power_w,
            "flow_temperature_c": flow_dc / 10,
            "return_temperature_c": return_dc / 10,
            "access_number": self.access_number,
        }
        self.access_number = (self.access_number + 1) & 0xFF
        return telegram
