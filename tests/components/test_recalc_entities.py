"""The stick's ReCalc entities exist only where ReCalc is turned on in its options."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus.const import (
    CONF_RECALC_ENABLED,
    CONF_RECALC_GATEWAY_ID,
    CONF_RECALC_PREFIX,
    DOMAIN,
)
from tests.components.conftest import STICK_SERIAL

RECALC_ENTITIES = {
    ("sensor", f"{STICK_SERIAL}_recalc_outbox"),
    ("sensor", f"{STICK_SERIAL}_recalc_dropped"),
    ("switch", f"{STICK_SERIAL}_recalc_mirroring"),
}
RECALC_ON = {CONF_RECALC_ENABLED: True, CONF_RECALC_GATEWAY_ID: "gw1", CONF_RECALC_PREFIX: "v2"}


def _recalc_entities(registry: er.EntityRegistry) -> set[tuple[str, str]]:
    return {
        (platform, unique_id)
        for platform, unique_id in RECALC_ENTITIES
        if registry.async_get_entity_id(platform, DOMAIN, unique_id)
    }


async def test_recalc_entities_follow_the_options(
    hass: HomeAssistant, config_entry: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """None on a stick without ReCalc (those of an earlier version go); on and off again."""
    config_entry.add_to_hass(hass)
    # Registered on every stick by earlier versions.
    for platform, unique_id in RECALC_ENTITIES:
        entity_registry.async_get_or_create(platform, DOMAIN, unique_id, config_entry=config_entry)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert _recalc_entities(entity_registry) == set()
    assert not [s for s in hass.states.async_all() if "recalc" in s.entity_id]

    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, **RECALC_ON}
    )
    await hass.async_block_till_done()
    assert _recalc_entities(entity_registry) == RECALC_ENTITIES
    waiting = entity_registry.async_get_entity_id("sensor", DOMAIN, f"{STICK_SERIAL}_recalc_outbox")
    assert waiting is not None
    outbox = hass.states.get(waiting)
    assert outbox is not None
    assert outbox.state == "0"
    # No unit: Home Assistant would show a unit from strings.json in English to everyone.
    assert "unit_of_measurement" not in outbox.attributes
    assert outbox.attributes["friendly_name"] == "iM871A ReCalc messages waiting"

    hass.config_entries.async_update_entry(
        config_entry, options={**config_entry.options, CONF_RECALC_ENABLED: False}
    )
    await hass.async_block_till_done()
    assert _recalc_entities(entity_registry) == set()
    assert not [s for s in hass.states.async_all() if "recalc" in s.entity_id]
