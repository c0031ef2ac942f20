"""Words for meters in Home Assistant's language: their device models and default names.

Home Assistant translates entity names, not a device's model or the name a flow suggests:
those are plain strings the integration writes. So the integration picks them itself from its
translations (``selector.meter_type``, ``selector.meter_name`` in strings.json), in Home
Assistant's language.

A product name stays as its maker spells it ("Kamstrup OmniPower", "Sensus iPERL"); what is a
description ("Diehl water meter", a meter without a profile: "Kamstrup electricity meter")
is said in the user's language.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Final, Self

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from .const import DOMAIN

# Media (the link header's device type) with a translation under selector.meter_type.
MEDIA: Final[Mapping[int, str]] = {
    0x00: "other",
    0x01: "oil",
    0x02: "electricity",
    0x03: "gas",
    0x04: "heat",
    0x05: "steam",
    0x06: "warm_water",
    0x07: "water",
    0x08: "heat_cost_allocator",
    0x09: "compressed_air",
    0x0A: "cooling_outlet",
    0x0B: "cooling_inlet",
    0x0C: "heat_inlet",
    0x0D: "heat_cooling",
    0x0E: "bus_component",
    0x0F: "unknown",
    0x15: "hot_water",
    0x16: "cold_water",
    0x17: "dual_water",
    0x18: "pressure",
    0x1A: "smoke_detector",
    0x1B: "room_sensor",
    0x1C: "gas_detector",
    0x37: "radio_converter",
}
GENERIC_PROFILE: Final = "generic"
# Profile models that describe rather than name the meter: "<maker> water meter (0x0B)".
DESCRIBED_MODEL: Final = re.compile(
    r"^(?P<maker>.+) (?P<what>water meter|gas meter|heat meter|electricity meter|"
    r"pressure sensor)(?P<rest> \(.*\))?$"
)
DESCRIBED_MEDIA: Final[Mapping[str, str]] = {
    "water meter": "water",
    "gas meter": "gas",
    "heat meter": "heat",
    "electricity meter": "electricity",
    "pressure sensor": "pressure",
}


class MeterTexts:
    """The integration's words for meters in one language (English where one is missing)."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self._texts = texts

    @classmethod
    async def load(cls, hass: HomeAssistant) -> Self:
        """The selector texts in Home Assistant's language."""
        texts = await async_get_translations(hass, hass.config.language, "selector", {DOMAIN})
        return cls(texts)

    def text(self, key: str, default: str) -> str:
        """``selector.<key>`` of this integration."""
        return self._texts.get(f"component.{DOMAIN}.selector.{key}", default)

    def meter_type(self, slug: str) -> str:
        """What kind of meter, as said after its maker: "water meter", "Wasserzähler"."""
        return self.text(f"meter_type.options.{slug}", "meter")

    def model(self, model: str, profile: str, maker: str, device_type: int) -> str:
        """The device's model: a product name as it is, a description translated."""
        if profile == GENERIC_PROFILE:
            return f"{maker} {self.meter_type(MEDIA.get(device_type, 'unknown'))}"
        if described := DESCRIBED_MODEL.match(model):
            what = self.meter_type(DESCRIBED_MEDIA[described["what"]])
            return f"{described['maker']} {what}{described['rest'] or ''}"
        return model

    def default_name(self, meter_id: str, device_type: int | None) -> str:
        """The name a new meter gets unless the user types one: "Water meter 41290001"."""
        slug = MEDIA.get(device_type, "unknown") if device_type is not None else "unknown"
        if slug in {"other", "unknown"}:
            template = self.text("meter_name.options.meter", "Meter {meter_id}")
            return template.replace("{meter_id}", meter_id)
        what = self.meter_type(slug)
        template = self.text("meter_name.options.of_type", "{meter_type} {meter_id}")
        name = template.replace("{meter_type}", what).replace("{meter_id}", meter_id)
        return name[:1].upper() + name[1:]
