"""Link modes in the receiver's terms: what a host asks a radio to listen for.

EN 13757-4 names the modes (S, T, C, R, ...; "1" a meter that only sends, "2" both ways) and,
for C, the two frame formats A and B. Radios speak their own codes for these (the iM871A has a
byte per mode and format, the iU891A one for "C", the AMB8465 "C2-Other", culfw the command
``brc``): each radio folder maps the modes it can set to its codes and declares that set, so the
options a user is offered are only those the radio can set. The string values are what config
entries store and the command line takes; they are the iM871A's names from before there was a
second radio, kept so existing entries need no migration.
"""

from __future__ import annotations

from enum import StrEnum


class LinkMode(StrEnum):
    """What a radio listens for."""

    S1 = "s1"
    S1m = "s1m"
    S2 = "s2"
    T1 = "t1"
    T2 = "t2"
    R2 = "r2"
    C1a = "c1a"  # C1, frame format A (the iM871A's own name; it also hears frame B in it)
    C1b = "c1b"
    C2a = "c2a"
    C2b = "c2b"
    C1 = "c1"  # C1, both frame formats: radios whose C mode does not name a format
    C1T1 = "c1t1"  # C1 and T1 at the same time

    @property
    def hears_c(self) -> bool:
        """Whether a radio in this mode receives C-mode telegrams."""
        return self in _C_MODES

    @property
    def hears_t(self) -> bool:
        """Whether a radio in this mode receives T-mode telegrams (meters that send T1)."""
        return self in _T_MODES


_C_MODES = frozenset(
    {LinkMode.C1a, LinkMode.C1b, LinkMode.C2a, LinkMode.C2b, LinkMode.C1, LinkMode.C1T1}
)
_T_MODES = frozenset({LinkMode.T1, LinkMode.T2, LinkMode.C1T1})
