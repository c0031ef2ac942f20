"""Wireless M-Bus from an RTL-SDR: demodulating T1 and C1 from raw IQ samples in pure numpy.

:mod:`.demod` turns the unsigned 8-bit IQ samples ``rtl_sdr`` writes (cu8) into link-layer
frames; :mod:`.rtl_tcp` is the rtl_tcp protocol; :mod:`.radio` the receiver. Two kinds are
registered: ``rtlsdr``, a dongle on this machine (Realtek RTL2832U, USB ``0bda:2838`` and
``0bda:2832``, read through pyrtlsdr), and ``rtl_tcp``, a dongle shared by an ``rtl_tcp``
server (``rtl_tcp://host:port``). Neither is ever probed on a serial port
(``probe_on_serial``). Nothing here imports numpy until a radio is built.
"""

from __future__ import annotations

from ..base import RadioKind, UsbMatch, driver_factory
from ..link_modes import LinkMode


def describe_stream(stream: bytes) -> list[dict[str, object]]:
    """``frames --radio``: an SDR has no byte framing to show (use ``listen --iq``)."""
    return [
        {
            "error": "not_a_byte_stream",
            "message": f"an SDR sends IQ samples, not frames ({len(stream)} bytes given); "
            "demodulate a cu8 file with listen --iq",
        }
    ]


# The drivers load numpy and the demodulator: named here, loaded when a radio is built.
_build_local = driver_factory(f"{__name__}.radio", "RtlSdrRadio")
_build_rtl_tcp = driver_factory(f"{__name__}.radio", "RtlTcpRadio")


RTLSDR_KIND = RadioKind(
    name="rtlsdr",
    maker="Realtek",
    title="RTL-SDR",
    link_modes=(LinkMode.C1T1,),
    default_link_mode=LinkMode.C1T1,
    usb=(UsbMatch(0x0BDA, 0x2838), UsbMatch(0x0BDA, 0x2832)),
    factory=_build_local,
    describe_stream=describe_stream,
    probe_order=200,
    probe_on_serial=False,
)

RTL_TCP_KIND = RadioKind(
    name="rtl_tcp",
    maker="Realtek",
    title="RTL-SDR via rtl_tcp",
    link_modes=(LinkMode.C1T1,),
    default_link_mode=LinkMode.C1T1,
    usb=(),
    factory=_build_rtl_tcp,
    describe_stream=describe_stream,
    probe_order=201,
    probe_on_serial=False,
)

KINDS = (RTLSDR_KIND, RTL_TCP_KIND)

__all__ = ["KINDS", "RTLSDR_KIND", "RTL_TCP_KIND", "describe_stream"]
