"""Import keys from Kamstrup KEM files: the stick's "Import keys" flow and the add-meter flow.

Files are uploaded through Home Assistant's real upload endpoint (``/api/file_upload``), as the
frontend's file selector does; the KEM files are the shared example (``tests/data/kem``) and
files built here in the real format (``tests/kem_files.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
import logging
from pathlib import Path
import tempfile
from types import MappingProxyType
from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient
from homeassistant.config_entries import SOURCE_USER, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus.const import (
    CONF_AES_KEY,
    CONF_DEVICE_TYPE,
    CONF_KEM_ALL,
    CONF_KEM_FILE,
    CONF_KEM_METERS,
    CONF_KEM_PASSWORD,
    CONF_MANUFACTURER,
    CONF_METER_ID,
    CONF_ORIGIN,
    CONF_PORT,
    CONF_VERSION,
    DOMAIN,
    ORIGIN_USER,
    SUBENTRY_KEM_IMPORT,
    SUBENTRY_METER,
)
from custom_components.wmbus.diagnostics import async_get_config_entry_diagnostics
from tests.components.conftest import METER_ID, METER_KEY, STICK_SERIAL
from tests.helpers import wait_until
from tests.kem_files import EXAMPLE_KEM, EXAMPLE_METERS, EXAMPLE_PASSWORD, Entry, kem_file
from tools.emulators.im871a import Im871aEmulator

type ClientFactory = Callable[[], Awaitable[TestClient[Any, Any]]]

KEY_A = "00112233445566778899AABBCCDDEEFF"
KEY_B = "F0E1D2C3B4A5968778695A4B3C2D1E0F"
OLD_KEY = "0F0E0D0C0B0A09080706050403020100"


@pytest.fixture
def config_entry(emulator: Im871aEmulator) -> MockConfigEntry:
    """A stick whose meter 32666857 is set up with an old key (the KEM file has the new one)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        unique_id=STICK_SERIAL,
        subentries_data=[
            ConfigSubentryData(
                data=MappingProxyType(
                    {CONF_METER_ID: METER_ID, CONF_AES_KEY: OLD_KEY, CONF_ORIGIN: ORIGIN_USER}
                ),
                subentry_type=SUBENTRY_METER,
                title="House meter",
                unique_id=METER_ID,
            )
        ],
    )


async def _upload(hass_client: ClientFactory, content: bytes, name: str = "x.zip.kem") -> str:
    """Upload ``content`` as the frontend's file selector does; the upload's id."""
    client = await hass_client()
    form = FormData()
    form.add_field("file", content, filename=name)
    response = await client.post("/api/file_upload", data=form)
    assert response.status == 200
    return str((await response.json())["file_id"])


async def _start_import(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_KEM_IMPORT), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(result)


async def _submit_file(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_client: ClientFactory,
    content: bytes,
    password: str,
) -> dict[str, Any]:
    result = await _start_import(hass, entry)
    file_id = await _upload(hass_client, content)
    return dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_KEM_FILE: file_id, CONF_KEM_PASSWORD: password}
        )
    )


def _meters(entry: MockConfigEntry) -> dict[str, dict[str, Any]]:
    return {
        sub.data[CONF_METER_ID]: {"title": sub.title, "unique_id": sub.unique_id, **sub.data}
        for sub in entry.subentries.values()
        if sub.subentry_type == SUBENTRY_METER
    }


def _option_values(result: dict[str, Any]) -> list[str]:
    return [
        option["value"]
        for option in result["data_schema"].schema[CONF_KEM_METERS].config["options"]
    ]


async def test_shared_example_adds_its_new_meter_and_replaces_the_old_key(
    hass: HomeAssistant, setup_entry: MockConfigEntry, hass_client: ClientFactory
) -> None:
    result = await _submit_file(
        hass, setup_entry, hass_client, EXAMPLE_KEM.read_bytes(), EXAMPLE_PASSWORD
    )
    assert result["step_id"] == "meters"
    assert _option_values(result) == list(EXAMPLE_METERS)
    assert result["description_placeholders"]["count"] == "2"
    assert result["description_placeholders"]["set_up"] == "1"
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_KEM_METERS: list(EXAMPLE_METERS)}
        )
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "keys_imported"
    assert result["description_placeholders"] == {
        "added": "1",
        "updated": "1",
        "unchanged": "0",
        "conflicts": "0",
    }
    meters = _meters(setup_entry)
    assert meters[METER_ID][CONF_AES_KEY] == EXAMPLE_METERS[METER_ID]
    assert meters[METER_ID]["title"] == "House meter"
    # Same shape as the add-meter flow makes for a meter typed by id (not heard: unbound).
    assert meters["41290001"] == {
        "title": "MC21 41290001",
        "unique_id": "41290001",
        CONF_METER_ID: "41290001",
        CONF_AES_KEY: EXAMPLE_METERS["41290001"],
        CONF_ORIGIN: ORIGIN_USER,
    }
    # The gateway takes both up live: the new meter and the set-up meter's new key.
    gateway = setup_entry.runtime_data.hub
    await wait_until(lambda: "41290001" in gateway.meters, hass=hass)
    assert gateway.meters[METER_ID].key == bytes.fromhex(EXAMPLE_METERS[METER_ID])

    # Importing the same file again changes nothing.
    result = await _submit_file(
        hass, setup_entry, hass_client, EXAMPLE_KEM.read_bytes(), EXAMPLE_PASSWORD
    )
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_KEM_ALL: True}
        )
    )
    assert result["description_placeholders"]["unchanged"] == "2"
    assert len(_meters(setup_entry)) == 2


async def test_heard_meters_come_first_and_a_new_heard_one_is_bound_to_its_address(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    hass_client: ClientFactory,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    hass.config_entries.async_remove_subentry(setup_entry, next(iter(setup_entry.subentries)))
    await hass.async_block_till_done()
    gateway = setup_entry.runtime_data.hub
    emulator.send_telegram(captures[4])
    await wait_until(lambda: gateway.heard.heard_as(METER_ID), hass=hass)
    content = kem_file(
        [Entry("41290001", KEY_A), Entry("41290002", KEY_B), Entry(METER_ID, METER_KEY)],
        "12345",
    )
    result = await _submit_file(hass, setup_entry, hass_client, content, "12345")
    assert _option_values(result) == [METER_ID, "41290001", "41290002"]
    labels = result["data_schema"].schema[CONF_KEM_METERS].config["options"]
    assert "-60 dBm" in labels[0]["label"]
    # The heard meter is preselected; the others wait to be chosen.
    assert result["data_schema"]({})[CONF_KEM_METERS] == [METER_ID]
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_KEM_METERS: [METER_ID, "41290002"]}
        )
    )
    assert result["description_placeholders"]["added"] == "2"
    meters = _meters(setup_entry)
    assert set(meters) == {METER_ID, "41290002"}
    # Its key decoded the heard telegram: bound to that meter's whole address at once.
    assert meters[METER_ID][CONF_MANUFACTURER] == "KAM"
    assert meters[METER_ID][CONF_VERSION] == 0x30
    assert meters[METER_ID][CONF_DEVICE_TYPE] == 0x02
    emulator.send_telegram(captures[5])
    await wait_until(lambda: gateway.meters[METER_ID].last_reading is not None, hass=hass)


@pytest.mark.parametrize(
    ("content", "password", "error"),
    [
        (kem_file([Entry("41290001", KEY_A)], "right-one"), "wrong-one", "kem_wrong_password"),
        (b"this is a note, not a key file", "12345", "kem_not_a_kem_file"),
        (
            kem_file([Entry("41290001", None), Entry("41290002", "ABCD")], "12345"),
            "12345",
            "kem_no_meters",
        ),
        (kem_file([Entry("41290001", KEY_A)], "12345")[:60], "12345", "kem_damaged"),
    ],
    ids=["wrong-password", "not-a-kem-file", "no-meters", "damaged"],
)
async def test_each_unreadable_file_gets_its_own_error_and_changes_nothing(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    hass_client: ClientFactory,
    content: bytes,
    password: str,
    error: str,
) -> None:
    before = _meters(setup_entry)
    result = await _submit_file(hass, setup_entry, hass_client, content, password)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}
    assert _meters(setup_entry) == before


async def test_password_longer_than_16_characters_and_a_bare_xml(
    hass: HomeAssistant, setup_entry: MockConfigEntry, hass_client: ClientFactory
) -> None:
    password = "Kamstrup-Download-2026-12-07"
    content = kem_file([Entry("41290001", KEY_A)], password, zipped=False)
    result = await _submit_file(hass, setup_entry, hass_client, content, password)
    assert result["step_id"] == "meters"
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_KEM_METERS: ["41290001"]}
        )
    )
    assert result["description_placeholders"]["added"] == "1"
    assert _meters(setup_entry)["41290001"][CONF_AES_KEY] == KEY_A


async def test_nothing_chosen_is_an_error(
    hass: HomeAssistant, setup_entry: MockConfigEntry, hass_client: ClientFactory
) -> None:
    content = kem_file([Entry("41290001", KEY_A)], "12345")
    result = await _submit_file(hass, setup_entry, hass_client, content, "12345")
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_KEM_METERS: []}
        )
    )
    assert result["errors"] == {"base": "kem_meters_required"}
    assert "41290001" not in _meters(setup_entry)


async def test_the_upload_is_deleted_when_read_and_a_retyped_password_needs_no_new_upload(
    hass: HomeAssistant, setup_entry: MockConfigEntry, hass_client: ClientFactory
) -> None:
    result = await _start_import(hass, setup_entry)
    file_id = await _upload(hass_client, EXAMPLE_KEM.read_bytes())
    upload_dir = Path(tempfile.gettempdir()) / "home-assistant-file_upload" / file_id
    assert upload_dir.exists()
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_KEM_FILE: file_id, CONF_KEM_PASSWORD: "wrong"}
        )
    )
    assert result["errors"] == {"base": "kem_wrong_password"}
    assert not upload_dir.exists()
    # The form names the same upload again: the file read before is used.
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {CONF_KEM_FILE: file_id, CONF_KEM_PASSWORD: EXAMPLE_PASSWORD}
        )
    )
    assert result["step_id"] == "meters"
    # Another flow cannot read it: it is gone from the upload folder.
    other = await _start_import(hass, setup_entry)
    result = dict(
        await hass.config_entries.subentries.async_configure(
            other["flow_id"], {CONF_KEM_FILE: file_id, CONF_KEM_PASSWORD: EXAMPLE_PASSWORD}
        )
    )
    assert result["errors"] == {"base": "kem_upload_missing"}


async def test_neither_key_nor_password_in_logs_or_diagnostics(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    hass_client: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    password = "Sesame-Password-Long"
    content = kem_file([Entry("41290001", KEY_A), Entry(METER_ID, KEY_B)], password)
    result = await _submit_file(hass, setup_entry, hass_client, content, "Wrong-Password")
    result = await _submit_file(hass, setup_entry, hass_client, content, password)
    await hass.config_entries.subentries.async_configure(result["flow_id"], {CONF_KEM_ALL: True})
    await hass.async_block_till_done()
    assert _meters(setup_entry)[METER_ID][CONF_AES_KEY] == KEY_B
    diagnostics = json.dumps(
        await async_get_config_entry_diagnostics(hass, setup_entry), default=str
    ).lower()
    for secret in (KEY_A, KEY_B, password, "Wrong-Password"):
        assert secret.lower() not in caplog.text.lower()
        assert secret.lower() not in diagnostics
    # The password is kept nowhere, and a key only as its meter's key.
    stored = json.dumps([sub.as_dict() for sub in setup_entry.subentries.values()]).lower()
    assert password.lower() not in stored
    assert stored.count(KEY_A.lower()) == 1  # meter 41290001's own key
    assert KEY_A.lower() not in json.dumps(dict(setup_entry.data)).lower()


# --- the add-meter flow takes a KEM file in place of a typed key ---------------------------


async def _meter_key_step(hass: HomeAssistant, entry: MockConfigEntry, meter_id: str) -> str:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: meter_id}
    )
    assert result["step_id"] == "key"
    return str(result["flow_id"])


async def test_add_meter_takes_its_key_from_a_kem_file(
    hass: HomeAssistant, setup_entry: MockConfigEntry, hass_client: ClientFactory
) -> None:
    flow_id = await _meter_key_step(hass, setup_entry, "41290001")
    file_id = await _upload(hass_client, EXAMPLE_KEM.read_bytes())
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_KEM_FILE: file_id, CONF_KEM_PASSWORD: "not-it"}
    )
    assert result["errors"] == {CONF_KEM_FILE: "kem_wrong_password"}
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_AES_KEY: KEY_A, CONF_KEM_FILE: file_id, CONF_KEM_PASSWORD: EXAMPLE_PASSWORD}
    )
    assert result["errors"] == {"base": "kem_and_key"}
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_KEM_FILE: file_id, CONF_KEM_PASSWORD: EXAMPLE_PASSWORD}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert _meters(setup_entry)["41290001"][CONF_AES_KEY] == EXAMPLE_METERS["41290001"]


async def test_add_meter_with_a_kem_file_that_lacks_the_meter(
    hass: HomeAssistant, setup_entry: MockConfigEntry, hass_client: ClientFactory
) -> None:
    flow_id = await _meter_key_step(hass, setup_entry, "41290009")
    file_id = await _upload(hass_client, EXAMPLE_KEM.read_bytes())
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {CONF_KEM_FILE: file_id, CONF_KEM_PASSWORD: EXAMPLE_PASSWORD}
    )
    assert result["errors"] == {CONF_KEM_FILE: "kem_meter_not_in_file"}
    assert "41290009" not in _meters(setup_entry)
