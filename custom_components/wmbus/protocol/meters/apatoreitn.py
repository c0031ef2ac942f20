"""Apator E-ITN 30.5x heat cost allocator (APA/APT, version 0x04, type 0x08).

Not DIF/VIF. CI A0: the frame follows the CI directly; CI B6: a length byte, that many
bytes, an ``A0`` byte, then the same frame. The frame: low byte of the season start date,
two bytes, previous-period HCA, seal-break date, current HCA, current date, average room
temperature of the previous and of the current season (16 bit LE each; temperatures in
1/256 degC). Facts: wmbusmeters drivers/src/apatoreitn.xmq and its tests.
"""

from __future__ import annotations

from typing import Final

from ..records import Record
from .layout import ByteField, ByteLayout
from .profile import FieldSpec, ManufacturerFrame, MeterProfile, mvt

_FRAME: Final = ByteLayout(
    (
        ByteField(3, 2, "hca_units", "HCA", storage=1),
        ByteField(7, 2, "hca_units", "HCA"),
        ByteField(11, 2, "external_temperature", "C", divisor=256, storage=1),
        ByteField(13, 2, "external_temperature", "C", divisor=256),
    )
)
_FRAME_MARKER: Final = 0xA0


def decode_b6(frame: ManufacturerFrame) -> tuple[Record, ...]:
    """Skip the length-prefixed block and the ``A0`` marker, then read the frame."""
    payload = frame.payload
    if not payload:
        return ()
    start = 1 + payload[0]
    if start >= len(payload) or payload[start] != _FRAME_MARKER:
        return ()
    return _FRAME(ManufacturerFrame(frame.ci, payload[start + 1 :], frame.address, frame.key))


PROFILE: Final = MeterProfile(
    name="apatoreitn",
    model="Apator E-ITN 30.51",
    media="heat cost allocator",
    detect=(mvt("APA", 0x04, 0x08), mvt("APT", 0x04, 0x08)),
    payload="manufacturer",
    frames={0xA0: _FRAME, 0xB6: decode_b6},
    fields=(
        FieldSpec("current_hca", "hca_units", "HCA"),
        FieldSpec("previous_hca", "hca_units", "HCA", storage=1),
        FieldSpec("temp_room_avg_c", "external_temperature", "C"),
        FieldSpec("temp_room_prev_avg_c", "external_temperature", "C", storage=1),
    ),
)
