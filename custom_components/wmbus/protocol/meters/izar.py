"""Diehl IZAR radio water meter (PRIOS; manufacturers DME, HYD, SAP; CI A0-A3).

Not DIF/VIF: three clear status bytes follow the CI (the first holds the transmit period
2^(p+2) s in bits 0-3), one more clear byte, then PRIOS-scrambled data (``prios.py``):
the check byte 0x4B, the total volume in litres (32 bit LE), the volume at the last
billing date and that date. The link address of PRIOS telegrams is not standard (version
and type are inside the id), so detection is by manufacturer: any Diehl meter without a
more specific profile; its "real data" telegrams (CI 7A, manufacturer security mode)
are descrambled the same way and hold records. Facts: wmbusmeters
src/manufacturer_specificities.cc, src/driver_izar.cc and drivers/src/izarv2.xmq (tests).
"""

from __future__ import annotations

from typing import Final

from ..records import Record
from .layout import ByteField, record, wire_address
from .prios import (
    DIEHL_DEFAULT_OMS_KEY,
    PRIOS_DEFAULT_KEYS,
    REAL_DATA_FRAMES,
    SCRAMBLED_OFFSET,
    descramble_any,
)
from .profile import ERROR_FLAGS, FieldSpec, ManufacturerFrame, MeterProfile, mvt

_TOTAL: Final = ByteField(1, 4, "volume", "m3", exponent=-3)
_LAST_PERIOD: Final = ByteField(5, 4, "volume", "m3", exponent=-3, storage=1)
_PERIOD_MASK: Final = 0x0F
_PRIOS_KEY_SIZE: Final = 8
_CLEAR_BYTES: Final = 4
"""Bytes between the CI and the scrambled part."""
_CURRENT_ALARMS: Final = bytes((0x80, 0xA0, 0xFA))
"""The alarm bits of the three clear status bytes that describe now, not the past
(wmbusmeters src/driver_izar.cc; ioBroker.wmbus lib/prios-decoder.js): general alarm;
leakage now, meter blocked; backflow, underflow, overflow, submarine, sensor fraud now,
mechanical fraud now.
"Leakage before" and the "fraud before" bits stay set after the event and are left out, as
are the transmit period and battery life sharing these bytes."""


def decode_prios(frame: ManufacturerFrame) -> tuple[Record, ...]:
    """Total volume, last billing-date volume and the transmit period."""
    payload = frame.payload
    if len(payload) <= _CLEAR_BYTES:
        return ()
    header = b"\x00\x00" + wire_address(frame.address) + bytes((frame.ci,)) + payload[:3]
    keys: tuple[bytes, ...] = PRIOS_DEFAULT_KEYS
    if frame.key is not None and len(frame.key) >= _PRIOS_KEY_SIZE:
        keys = (frame.key[:_PRIOS_KEY_SIZE], *keys)
    assert len(header) == SCRAMBLED_OFFSET - 1
    clear = descramble_any(header, payload[_CLEAR_BYTES:], keys)
    if clear is None:
        return ()
    records = [read for spec in (_TOTAL, _LAST_PERIOD) if (read := spec.read(clear))]
    period_s = 1 << ((payload[0] & _PERIOD_MASK) + 2)
    records.append(record(period_s, payload[:1], "transmit_period", "s"))
    status = payload[:3]
    alarms = bytes(byte & mask for byte, mask in zip(status, _CURRENT_ALARMS, strict=True))
    records.append(record(int.from_bytes(alarms, "little"), status, "error_flags", ""))
    return tuple(records)


PROFILE: Final = MeterProfile(
    name="izar",
    model="Diehl IZAR",
    media="water",
    default_key=DIEHL_DEFAULT_OMS_KEY,
    detect=(mvt("DME", None), mvt("HYD", None), mvt("SAP", None)),
    frames={**dict.fromkeys((0xA0, 0xA1, 0xA2, 0xA3), decode_prios), **REAL_DATA_FRAMES},
    fields=(
        ERROR_FLAGS,
        FieldSpec("total_m3", "volume", "m3", medium="water"),
        FieldSpec("target_m3", "volume", "m3", storage=1),
        FieldSpec(
            "transmit_period_s",
            "transmit_period",
            "s",
        ),
    ),
)
