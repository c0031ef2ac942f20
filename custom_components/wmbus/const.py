"""Constants shared by the Home Assistant side of the integration."""

from typing import Final

DOMAIN: Final = "wmbus"
