"""Wireless M-Bus protocol stack for the iM871A stick and Kamstrup OmniPower meters.

Nothing in this package imports Home Assistant: it can be used (and published) on its own.
"""
