"""Block CRCs of frame formats A and B: checked, stripped, and never passed when damaged."""

from __future__ import annotations

from hypothesis import given, strategies as st
import pytest

from custom_components.wmbus.protocol.blocks import (
    BlockCrcMismatch,
    BlockLengthMismatch,
    FrameFormat,
    add_block_crcs,
    format_a_size,
    strip_block_crcs,
    strip_format_a,
    strip_format_b,
)

# A Techem T1 frame as received on the air, block CRCs included (rtl-wmbus issue #48 recording).
TECHEM_ON_AIR = bytes.fromhex(
    "294468506985166076F0D4F7A0009F2F613000186130008061000109F30A006BA1007CB2008DC3009ED4000FE50096BA"
)


def test_a_real_frame_a_is_stripped() -> None:
    telegram = strip_format_a(TECHEM_ON_AIR)
    assert telegram[0] == 0x29 == len(telegram) - 1
    assert telegram[1:10].hex() == "4468506985166076f0"
    assert len(TECHEM_ON_AIR) == format_a_size(0x29)


def test_a_damaged_block_is_named() -> None:
    damaged = bytearray(TECHEM_ON_AIR)
    damaged[15] ^= 0x01  # inside block 2
    with pytest.raises(BlockCrcMismatch, match="block 2") as caught:
        strip_format_a(bytes(damaged))
    assert caught.value.frame_format is FrameFormat.A
    with pytest.raises(BlockCrcMismatch):
        strip_block_crcs(bytes(damaged))  # neither format accepts it


def test_a_cut_frame_is_a_length_mismatch() -> None:
    with pytest.raises(BlockLengthMismatch, match="frame format A"):
        strip_format_a(TECHEM_ON_AIR[:-3])
    with pytest.raises(BlockLengthMismatch):
        strip_format_b(b"")


@given(st.binary(min_size=9, max_size=250), st.sampled_from(FrameFormat))
def test_add_then_strip_is_the_identity(body: bytes, frame_format: FrameFormat) -> None:
    telegram = bytes((len(body),)) + body
    on_air = add_block_crcs(telegram, frame_format)
    assert strip_block_crcs(on_air, frame_format) == telegram
    assert strip_block_crcs(on_air) == telegram


@given(
    st.binary(min_size=9, max_size=250),
    st.sampled_from(FrameFormat),
    st.integers(min_value=0),
    st.integers(min_value=0, max_value=7),
)
def test_one_flipped_bit_never_passes(
    body: bytes, frame_format: FrameFormat, position: int, bit: int
) -> None:
    on_air = bytearray(add_block_crcs(bytes((len(body),)) + body, frame_format))
    on_air[1 + position % (len(on_air) - 1)] ^= 1 << bit  # any byte but L
    with pytest.raises((BlockCrcMismatch, BlockLengthMismatch)):
        strip_block_crcs(bytes(on_air), frame_format)


def test_frame_b_with_three_blocks_rewrites_l() -> None:
    telegram = bytes((200,)) + bytes(range(200))
    on_air = add_block_crcs(telegram, FrameFormat.B)
    assert on_air[0] == 200 + 4  # L counts both CRCs in frame format B
    assert strip_format_b(on_air) == telegram
