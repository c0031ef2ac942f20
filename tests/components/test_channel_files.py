"""User channel files for ReCalc: picked up while running, a bad one reported and ignored."""

from __future__ import annotations

from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.wmbus.const import (
    CONF_RECALC_ENABLED,
    CONF_RECALC_GATEWAY_ID,
    DOMAIN,
)
from custom_components.wmbus.recalc import load_shipped_plans
from custom_components.wmbus.recalc.channel_files import CHECK_INTERVAL
from custom_components.wmbus.runtime import bridge_of

GOOD = """\
channels:
  - {number: 1, data_type: accumulated-volume, name: Volume, field: total_volume_m3}
"""


def _issue(hass: HomeAssistant, entry: MockConfigEntry, profile: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"recalc_channel_file_{entry.entry_id}_{profile}"
    )


async def _look_again(hass: HomeAssistant) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + CHECK_INTERVAL)
    await hass.async_block_till_done()


async def test_a_bad_file_is_reported_once_and_ignored_until_mended(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hass.config.config_dir = str(tmp_path)
    folder = tmp_path / "wmbus" / "recalc"
    folder.mkdir(parents=True)
    (folder / "generic.yaml").write_text("channels: [ {number: 1\n")  # not YAML
    (folder / "omnipower.yaml").write_text(GOOD.replace("number: 1", "number: 0"))
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_RECALC_ENABLED: True, CONF_RECALC_GATEWAY_ID: "706462169"}
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    channels = bridge_of(config_entry).channels

    generic = _issue(hass, config_entry, "generic")
    assert generic is not None
    assert generic.translation_key == "recalc_channel_file"
    assert generic.translation_placeholders is not None
    assert generic.translation_placeholders["reason"].startswith("not readable as YAML")
    omnipower = _issue(hass, config_entry, "omnipower")
    assert omnipower is not None
    assert omnipower.translation_placeholders is not None
    assert omnipower.translation_placeholders["reason"] == (
        "channel 1: number must be a whole number from 1 to 255"
    )
    # Ignored: OmniPower keeps its shipped channels, the generic type has none.
    assert channels.plans["omnipower"] == load_shipped_plans()["omnipower"]
    assert "generic" not in channels.plans
    await _look_again(hass)  # nothing changed: nothing logged again
    assert caplog.text.count("is ignored") == 2

    (folder / "generic.yaml").write_text(GOOD)
    (folder / "omnipower.yaml").unlink()
    await _look_again(hass)
    assert _issue(hass, config_entry, "generic") is None
    assert _issue(hass, config_entry, "omnipower") is None
    assert [c.name for c in channels.plans["generic"].channels] == ["Volume"]
    assert caplog.text.count("is ignored") == 2


async def test_unload_withdraws_the_file_issues(
    hass: HomeAssistant, config_entry: MockConfigEntry, tmp_path: Path
) -> None:
    hass.config.config_dir = str(tmp_path)
    folder = tmp_path / "wmbus" / "recalc"
    folder.mkdir(parents=True)
    (folder / "Water Meter.yaml").write_text(GOOD)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    issue = _issue(hass, config_entry, "Water Meter")
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert "file name must be a meter type" in issue.translation_placeholders["reason"]
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, config_entry, "Water Meter") is None
