"""Wireless M-Bus protocol stack: radios (receivers), the link to application layers, meters.

Nothing in this package imports Home Assistant: it can be used (and published) on its own.
"""
