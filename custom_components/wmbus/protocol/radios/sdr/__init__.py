"""Wireless M-Bus from an RTL-SDR: demodulating T1 and C1 from raw IQ samples in pure numpy.

:mod:`.demod` turns the unsigned 8-bit IQ samples ``rtl_sdr`` writes (cu8) into link-layer
frames; the driver that reads a dongle (and would register a radio kind) is not here yet.
"""
