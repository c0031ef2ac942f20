"""The network layer stage: a repeater's CI 81 and its byte are skipped, nothing else."""

from __future__ import annotations

import pytest

from custom_components.wmbus.protocol.errors import Truncated
from custom_components.wmbus.protocol.nwl import CI_NETWORK_LAYER, skip_network_layer


def test_a_network_layer_is_skipped() -> None:
    transport = bytes((CI_NETWORK_LAYER, 0x1D, 0x7A, 0x01, 0x02))
    assert skip_network_layer(transport) == bytes((0x7A, 0x01, 0x02))


def test_without_a_network_layer_the_bytes_are_the_transport() -> None:
    transport = bytes((0x7A, 0x81, 0x02))  # 0x81 later in the bytes is no network layer
    assert skip_network_layer(transport) is transport
    assert skip_network_layer(b"") == b""


def test_a_network_layer_with_nothing_after_it_is_truncated() -> None:
    with pytest.raises(Truncated, match="network layer"):
        skip_network_layer(bytes((CI_NETWORK_LAYER, 0x1D)))
