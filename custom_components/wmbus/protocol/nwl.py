"""Network layer (EN 13757-4, CI 81): what a repeater puts between the link and transport layers.

Seen from Sontex meters behind a repeater (wmbusmeters issue #379): the CI and one byte, nothing
a meter's values depend on. The stage skips it and hands the transport layer what follows.
"""

from __future__ import annotations

from typing import Final

from .errors import Truncated

CI_NETWORK_LAYER: Final = 0x81
NETWORK_LAYER_SIZE: Final = 2
"""CI 81 and its one byte."""


def skip_network_layer(transport: bytes) -> bytes:
    """The bytes after a network layer; ``transport`` itself if it does not start with one.

    Raises Truncated when nothing follows the network layer.
    """
    if not transport or transport[0] != CI_NETWORK_LAYER:
        return transport
    rest = transport[NETWORK_LAYER_SIZE:]
    if not rest:
        raise Truncated("no transport CI after the network layer")
    return rest
