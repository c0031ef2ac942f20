"""Wireless M-Bus (iM871A): Kamstrup OmniPower meters in Home Assistant."""
