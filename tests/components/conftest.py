"""Home Assistant harness fixtures: a real pty with the project's iM871A emulator behind it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import MappingProxyType

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant, State
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus import gateway as gateway_module
from custom_components.wmbus.const import (
    CONF_AES_KEY,
    CONF_METER_ID,
    CONF_ORIGIN,
    CONF_PORT,
    DOMAIN,
    ORIGIN_USER,
    SUBENTRY_METER,
)
from tests.conftest import omnipower_captures
from tools.emulators.im871a import DEFAULT_DEVICE_INFO, Im871aEmulator

METER_ID = "32666857"
METER_KEY = omnipower_captures()[0]["key_hex"].upper()
STICK_SERIAL = DEFAULT_DEVICE_INFO.uid and f"{DEFAULT_DEVICE_INFO.uid:08x}"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    async_setup_recorder_instance: object, enable_custom_integrations: None
) -> None:
    """Let the harness load custom_components/wmbus in every test of this folder.

    The recorder fixture comes first so that a test may ask for ``recorder_mock``: the
    harness insists on preparing the recorder before ``hass`` exists.
    """


@pytest.fixture(autouse=True)
def fast_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect within a test's patience; the backoff policy itself is tested in protocol/."""
    monkeypatch.setattr(gateway_module, "RECONNECT_INITIAL_DELAY_S", 0.1)
    monkeypatch.setattr(gateway_module, "RECONNECT_MAX_DELAY_S", 0.4)


@pytest.fixture
def captures() -> list[bytes]:
    """Telegrams of meter 32666857 in capture order."""
    return [bytes.fromhex(v["telegram_hex"]) for v in omnipower_captures()]


@pytest.fixture
async def emulator(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[Im871aEmulator]:
    """An emulated stick on a pty (telegrams sent on demand); depends on hass so it stops first."""
    async with Im871aEmulator(tmp_path / "ttyIM871A", rssi_dbm=-60.0) as running:
        yield running


def meter_subentry(
    meter_id: str = METER_ID, key: str = METER_KEY, title: str = "House meter"
) -> ConfigSubentryData:
    """Subentry data of a meter added by the user."""
    return ConfigSubentryData(
        data=MappingProxyType(
            {CONF_METER_ID: meter_id, CONF_AES_KEY: key, CONF_ORIGIN: ORIGIN_USER}
        ),
        subentry_type=SUBENTRY_METER,
        title=title,
        unique_id=meter_id,
    )


@pytest.fixture
def config_entry(emulator: Im871aEmulator) -> MockConfigEntry:
    """A stick entry on the emulator's port with meter 32666857 configured."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        unique_id=STICK_SERIAL,
        subentries_data=[meter_subentry()],
    )


@pytest.fixture
async def setup_entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The entry, set up and loaded."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def entity_state(hass: HomeAssistant, entity_id: str) -> State:
    """An entity's state object; fails the test if the entity does not exist."""
    current = hass.states.get(entity_id)
    assert current is not None, f"{entity_id} does not exist"
    return current


def state(hass: HomeAssistant, entity_id: str) -> str | None:
    """An entity's state, None while the entity does not exist (a meter's sensors appear with
    the first telegram that carries their value)."""
    current = hass.states.get(entity_id)
    return None if current is None else current.state
