"""Repair issues: a wrong key (with its fix flow) and a stick that stays away."""

from __future__ import annotations

from datetime import timedelta
from types import MappingProxyType

from homeassistant.config_entries import ConfigEntryDisabler, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.wmbus.const import CONF_AES_KEY, DOMAIN
from custom_components.wmbus.issues import stick_issue_id, wrong_key_issue_id
from tests.components.conftest import METER_ID, METER_KEY, state
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator

WRONG_KEY = "00112233445566778899AABBCCDDEEFF"
ENERGY = "sensor.house_meter_energy_imported"


async def _configure_wrong_key(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    subentry: ConfigSubentry = next(iter(entry.subentries.values()))
    hass.config_entries.async_update_subentry(
        entry, subentry, data=MappingProxyType({**subentry.data, CONF_AES_KEY: WRONG_KEY})
    )
    await hass.async_block_till_done()
    return subentry.subentry_id


async def test_wrong_key_raises_a_fixable_issue_and_the_fix_clears_it(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
    issue_registry: ir.IssueRegistry,
    hass_client: ClientSessionGenerator,
) -> None:
    subentry_id = await _configure_wrong_key(hass, setup_entry)
    issue_id = wrong_key_issue_id(setup_entry.entry_id, METER_ID)
    for telegram in captures[:3]:
        emulator.send_telegram(telegram)
    await wait_until(
        lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None, hass=hass
    )
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_key == "wrong_key"
    assert state(hass, ENERGY) is None  # no garbage value was shown

    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    flow = await response.json()
    assert flow["step_id"] == "key"
    response = await client.post(
        f"/api/repairs/issues/fix/{flow['flow_id']}", json={CONF_AES_KEY: WRONG_KEY}
    )
    flow = await response.json()
    assert flow["errors"] == {CONF_AES_KEY: "invalid_key"}
    response = await client.post(
        f"/api/repairs/issues/fix/{flow['flow_id']}", json={CONF_AES_KEY: METER_KEY.lower()}
    )
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()

    assert setup_entry.subentries[subentry_id].data[CONF_AES_KEY] == METER_KEY
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    emulator.send_telegram(captures[4])
    await wait_until(lambda: state(hass, ENERGY) == "2.15", hass=hass)


async def test_wrong_key_issue_clears_when_the_key_is_corrected_elsewhere(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
    issue_registry: ir.IssueRegistry,
) -> None:
    subentry_id = await _configure_wrong_key(hass, setup_entry)
    issue_id = wrong_key_issue_id(setup_entry.entry_id, METER_ID)
    for telegram in captures[:3]:
        emulator.send_telegram(telegram)
    await wait_until(
        lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None, hass=hass
    )
    subentry = setup_entry.subentries[subentry_id]
    hass.config_entries.async_update_subentry(
        setup_entry, subentry, data=MappingProxyType({**subentry.data, CONF_AES_KEY: METER_KEY})
    )
    await hass.async_block_till_done()
    emulator.send_telegram(captures[4])
    await wait_until(lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is None, hass=hass)


async def test_stick_away_for_long_raises_an_issue_that_clears_on_reconnect(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    issue_id = stick_issue_id(setup_entry.entry_id)
    gateway = setup_entry.runtime_data.hub
    await emulator.stop()  # the stick is gone and stays gone
    await wait_until(lambda: not gateway.connected, hass=hass)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=1))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None  # short drops are normal
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=6))
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert not issue.is_fixable

    await emulator.start()
    await wait_until(lambda: gateway.connected, timeout_s=10, hass=hass)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_unloading_clears_the_issues_nothing_would_clear_later(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
    issue_registry: ir.IssueRegistry,
) -> None:
    """Either issue says it clears itself; an unloaded entry hears nothing that would clear it."""
    issue_id = stick_issue_id(setup_entry.entry_id)
    key_issue_id = wrong_key_issue_id(setup_entry.entry_id, METER_ID)
    gateway = setup_entry.runtime_data.hub
    await _configure_wrong_key(hass, setup_entry)
    for telegram in captures[:3]:
        emulator.send_telegram(telegram)
    await wait_until(
        lambda: issue_registry.async_get_issue(DOMAIN, key_issue_id) is not None, hass=hass
    )
    await emulator.stop()
    await wait_until(lambda: not gateway.connected, hass=hass)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=6))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    assert await hass.config_entries.async_set_disabled_by(
        setup_entry.entry_id, ConfigEntryDisabler.USER
    )
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert issue_registry.async_get_issue(DOMAIN, key_issue_id) is None
