"""Every step and error of the stick flow, the options flow and the meter subentry flow."""

from __future__ import annotations

from pathlib import Path
import re
from unittest.mock import patch

from homeassistant.components import usb
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USB,
    SOURCE_USER,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.service_info.usb import UsbServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus.const import (
    CONF_AES_KEY,
    CONF_DEVICE_TYPE,
    CONF_LINK_MODE,
    CONF_MANUFACTURER,
    CONF_METER_ID,
    CONF_NAME,
    CONF_ORIGIN,
    CONF_PORT,
    CONF_RADIO,
    CONF_RECALC_ENABLED,
    CONF_RECALC_GATEWAY_ID,
    CONF_RECALC_MIRROR_USER_METERS,
    CONF_RECALC_PREFIX,
    CONF_UNAVAILABLE_AFTER_MIN,
    CONF_USB_SERIAL,
    CONF_VERSION,
    DOMAIN,
    ORIGIN_USER,
    SUBENTRY_METER,
)
from custom_components.wmbus.ha_compat import vol
from custom_components.wmbus.protocol.radios import im871a as hci, radio_kinds
from tests.components.conftest import METER_ID, METER_KEY, STICK_SERIAL, state
from tests.conftest import corpus_vectors
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator

WRONG_KEY = "00112233445566778899AABBCCDDEEFF"
IPERL_ID = "12345699"
NOT_A_STICK_INFO = hci.DeviceInfo(module_type=0x99, device_mode=0, firmware_version=1)


def _no_ports() -> list[object]:
    return []


async def test_user_step_creates_the_entry_from_the_stick(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    with patch("serial.tools.list_ports.comports", _no_ports):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PORT: str(emulator.link)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "iM871A"
    # The radio was found by talking to it; the user never picked a type.
    assert result["data"] == {CONF_PORT: str(emulator.link), CONF_RADIO: "im871a"}
    assert result["result"].unique_id == STICK_SERIAL
    await hass.async_block_till_done()


@pytest.mark.skipif(
    hasattr(usb, "async_scan_serial_ports"),
    reason="from 2026.10 the list comes from usb.async_scan_serial_ports (test_ha_compat.py)",
)
async def test_user_step_lists_by_id_paths_first(hass: HomeAssistant, tmp_path: Path) -> None:
    class Port:
        def __init__(self, device: str, description: str) -> None:
            self.device = device
            self.description = description
            self.serial_number = None
            self.manufacturer = None
            self.vid = 0x10C4
            self.pid = 0x87ED

    def ports() -> list[Port]:
        return [
            Port("/dev/ttyS0", "ttyS0"),
            Port("/dev/ttyUSB0", "iM871A"),
            Port("/dev/ttyACM0", "iU891A"),
        ]

    def by_id(device: str) -> str:
        return "/dev/serial/by-id/usb-IMST_iM871A-if00" if device == "/dev/ttyUSB0" else device

    with (
        patch("serial.tools.list_ports.comports", ports),
        patch("homeassistant.components.usb.get_serial_by_id", by_id),
    ):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["data_schema"] is not None
    options = result["data_schema"].schema[CONF_PORT].config["options"]
    # By-id paths first, then USB serial devices (every supported stick), built-in UARTs last.
    assert [option["value"] for option in options] == [
        "/dev/serial/by-id/usb-IMST_iM871A-if00",
        "/dev/ttyACM0",
        "/dev/ttyS0",
    ]


async def test_user_step_cannot_connect(hass: HomeAssistant, tmp_path: Path) -> None:
    with patch("serial.tools.list_ports.comports", _no_ports):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PORT: str(tmp_path / "nothing-here")}
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_step_silent_port_says_what_was_tried(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    emulator.stop_answering()
    with patch("serial.tools.list_ports.comports", _no_ports):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PORT: str(emulator.link)}
        )
    assert result["errors"] == {"base": "no_radio_found"}
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    tried = placeholders["tried"]
    for kind in radio_kinds().values():
        assert (kind.title in tried) is kind.probe_on_serial  # an SDR is never probed
    assert "no response" in tried


async def test_user_step_unknown_imst_module_is_no_radio(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    async with Im871aEmulator(tmp_path / "other", device_info=NOT_A_STICK_INFO) as other:
        with patch("serial.tools.list_ports.comports", _no_ports):
            result = await hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_USER}
            )
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {CONF_PORT: str(other.link)}
            )
    assert result["errors"] == {"base": "no_radio_found"}
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert "IMST iM871A: answered as unknown module 0x99" in placeholders["tried"]


async def test_user_step_same_stick_twice_aborts(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    await setup_entry.runtime_data.hub.async_stop()  # free the pty for the probe
    with patch("serial.tools.list_ports.comports", _no_ports):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PORT: str(emulator.link)}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


def _usb_info(device: str) -> UsbServiceInfo:
    return UsbServiceInfo(
        device=device,
        vid="10C4",
        pid="87ED",
        serial_number="0001",
        manufacturer="Silicon Labs",
        description="IMST USB-Stick for Smart Meter",
    )


async def test_usb_discovery_confirms_and_creates(
    hass: HomeAssistant, emulator: Im871aEmulator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb_info(str(emulator.link))
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "usb_confirm"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == STICK_SERIAL
    assert result["data"] == {
        CONF_PORT: str(emulator.link),
        CONF_RADIO: "im871a",
        CONF_USB_SERIAL: "0001",
    }
    await hass.async_block_till_done()


async def test_usb_rediscovery_at_a_new_path_moves_the_entry(
    hass: HomeAssistant, emulator: Im871aEmulator, tmp_path: Path
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        data={CONF_PORT: str(tmp_path / "ttyUSB-before-replug"), CONF_USB_SERIAL: "0001"},
        unique_id=STICK_SERIAL,
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb_info(str(emulator.link))
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_PORT] == str(emulator.link)


async def test_usb_discovery_of_a_configured_port_aborts(
    hass: HomeAssistant, config_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb_info(str(emulator.link))
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_usb_confirm_shows_cannot_connect(hass: HomeAssistant, tmp_path: Path) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=_usb_info(str(tmp_path / "gone"))
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_reconfigure_moves_the_stick_to_a_new_port(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Im871aEmulator, tmp_path: Path
) -> None:
    new_link = tmp_path / "ttyUSB-new"
    new_link.symlink_to(emulator.link.resolve())
    with patch("serial.tools.list_ports.comports", _no_ports):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": setup_entry.entry_id}
        )
        assert result["step_id"] == "reconfigure"
        await setup_entry.runtime_data.hub.async_stop()  # one process owns a pty at a time
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PORT: str(new_link)}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert setup_entry.data[CONF_PORT] == str(new_link)
    await wait_until(lambda: setup_entry.runtime_data.hub.port == str(new_link), hass=hass)


async def test_reconfigure_to_another_stick_aborts(
    hass: HomeAssistant, setup_entry: MockConfigEntry, tmp_path: Path
) -> None:
    other_info = hci.DeviceInfo(0x33, 0, 0x15, 0x01, 0x12345678)
    async with Im871aEmulator(tmp_path / "other", device_info=other_info) as other:
        with patch("serial.tools.list_ports.comports", _no_ports):
            result = await hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": setup_entry.entry_id}
            )
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"], {CONF_PORT: str(other.link)}
            )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_stick"


async def test_options_change_link_mode_and_validate_recalc(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    result = await hass.config_entries.options.async_init(setup_entry.entry_id)
    assert result["step_id"] == "init"
    options = {
        CONF_LINK_MODE: "c1b",
        CONF_UNAVAILABLE_AFTER_MIN: 30,
        CONF_RECALC_ENABLED: True,
        CONF_RECALC_GATEWAY_ID: "bad/id",
        CONF_RECALC_PREFIX: "v2",
        CONF_RECALC_MIRROR_USER_METERS: True,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    assert result["errors"] == {CONF_RECALC_GATEWAY_ID: "invalid_gateway_id"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**options, CONF_RECALC_GATEWAY_ID: "706462169"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert setup_entry.options[CONF_LINK_MODE] == "c1b"
    # A new link mode reopens the stick, which then runs in that mode.
    await wait_until(lambda: emulator.link_mode is hci.LinkMode.C1b, hass=hass)
    await wait_until(lambda: setup_entry.runtime_data.hub.link_mode is hci.LinkMode.C1b, hass=hass)


# --- meter subentries -------------------------------------------------------------------


async def _start_meter_flow(hass: HomeAssistant, entry: MockConfigEntry) -> SubentryFlowResult:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
    )


async def test_add_heard_meter_with_the_right_key(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    # Start from a stick that has heard the meter but does not know it.
    sub_id = next(iter(setup_entry.subentries))
    hass.config_entries.async_remove_subentry(setup_entry, sub_id)
    await hass.async_block_till_done()
    gateway = setup_entry.runtime_data.hub
    emulator.send_telegram(captures[4])
    await wait_until(lambda: gateway.heard.heard_as(METER_ID), hass=hass)

    result = await _start_meter_flow(hass, setup_entry)
    assert result["step_id"] == "user"
    assert result["data_schema"] is not None
    options = result["data_schema"].schema[CONF_METER_ID].config["options"]
    assert [option["value"] for option in options] == [METER_ID]
    assert "Kamstrup" in options[0]["label"]
    assert "-60 dBm" in options[0]["label"]

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: METER_ID}
    )
    assert result["step_id"] == "key"
    spaced_lower_key = " ".join(METER_KEY.lower()[i : i + 4] for i in range(0, 32, 4))
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_AES_KEY: spaced_lower_key, CONF_NAME: "Hus"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry = next(iter(setup_entry.subentries.values()))
    assert subentry.title == "Hus"
    assert subentry.unique_id == METER_ID
    # Picked from the heard list: bound to the heard meter's whole address from the start.
    assert dict(subentry.data) == {
        CONF_METER_ID: METER_ID,
        CONF_AES_KEY: METER_KEY,
        CONF_ORIGIN: ORIGIN_USER,
        CONF_MANUFACTURER: "KAM",
        CONF_VERSION: 0x30,
        CONF_DEVICE_TYPE: 0x02,
    }
    # Entities appear live, without reopening the stick.
    await hass.async_block_till_done()
    emulator.send_telegram(captures[5])
    registry = er.async_get(hass)
    unique_id = f"{METER_ID}_energy_imported"
    await wait_until(lambda: registry.async_get_entity_id("sensor", DOMAIN, unique_id), hass=hass)
    entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None
    await wait_until(lambda: state(hass, entity_id) == "2.15", hass=hass)
    assert gateway.stick.state == "connected"


async def test_add_heard_meter_with_a_wrong_key_is_refused(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    hass.config_entries.async_remove_subentry(setup_entry, next(iter(setup_entry.subentries)))
    await hass.async_block_till_done()
    emulator.send_telegram(captures[4])
    await wait_until(lambda: setup_entry.runtime_data.hub.heard.heard_as(METER_ID), hass=hass)

    result = await _start_meter_flow(hass, setup_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: METER_ID}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_AES_KEY: WRONG_KEY, CONF_NAME: "Hus"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_AES_KEY: "invalid_key"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_AES_KEY: "not hex at all", CONF_NAME: "Hus"}
    )
    assert result["errors"] == {CONF_AES_KEY: "invalid_key_format"}
    assert not setup_entry.subentries


async def test_add_meter_by_typed_id(hass: HomeAssistant, setup_entry: MockConfigEntry) -> None:
    result = await _start_meter_flow(hass, setup_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: "1234"}
    )
    assert result["errors"] == {CONF_METER_ID: "invalid_meter_id"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: "12345678"}
    )
    # Never heard: the key cannot be tried, so any well-formed key is accepted.
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_AES_KEY: WRONG_KEY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert {sub.unique_id for sub in setup_entry.subentries.values()} == {METER_ID, "12345678"}


async def test_a_configured_id_is_a_field_error_and_the_flow_goes_on(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    result = await _start_meter_flow(hass, setup_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: METER_ID}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_METER_ID: "already_configured"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: "12345678"}
    )
    assert result["step_id"] == "key"


def _corpus_telegram(vector_id: str) -> bytes:
    return bytes.fromhex(next(v for v in corpus_vectors() if v["id"] == vector_id)["telegram_hex"])


async def _heard_options(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    result = await _start_meter_flow(hass, entry)
    assert result["data_schema"] is not None
    options = result["data_schema"].schema[CONF_METER_ID].config["options"]
    return {option["value"]: option["label"] for option in options}


def _natural_order(label: str) -> list[object]:
    """How newer frontends sort a searchable list: by label, numbers compared as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", label)]


async def test_heard_list_names_each_meter_without_words_of_one_language(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    """A flow cannot know the user's language: the rows read the same in every language."""
    hass.config_entries.async_remove_subentry(setup_entry, next(iter(setup_entry.subentries)))
    await hass.async_block_till_done()
    gateway = setup_entry.runtime_data.hub
    emulator.send_telegram(captures[4])
    emulator.send_telegram(_corpus_telegram("iperl-01"))  # Sensus water meter, in clear
    await wait_until(lambda: {METER_ID, IPERL_ID} <= {a.meter_id for a in gateway.heard}, hass=hass)
    labels = await _heard_options(hass, setup_entry)
    assert list(labels) == [IPERL_ID, METER_ID]  # most recently heard first
    omnipower = rf"2\. {METER_ID} · Kamstrup OmniPower · AES · -60 dBm · \d+ s"
    assert re.fullmatch(omnipower, labels[METER_ID])
    assert re.fullmatch(rf"1\. {IPERL_ID} · Sensus iPERL · ∅ · -60 dBm · \d+ s", labels[IPERL_ID])

    hass.config.language = "da"  # the system's language, not necessarily the user's
    assert list((await _heard_options(hass, setup_entry)).values()) == list(labels.values())


async def test_heard_list_names_meters_by_their_profile_not_the_medium_table(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    """Diehl and Techem put their own device types in the header ("oil", "reserved 0x80")."""
    gateway = setup_entry.runtime_data.hub
    izar_ids = {"21242472": "izarv2-01", "66290778": "izarv2-02"}  # SAP 01h, DME 66h
    techem_id = "11776622"  # TCH 80h, a heat cost allocator
    for vector in (*izar_ids.values(), "fhkvdataiii-01"):
        emulator.send_telegram(_corpus_telegram(vector))
    await wait_until(
        lambda: {*izar_ids, techem_id} <= {a.meter_id for a in gateway.heard}, hass=hass
    )

    labels = await _heard_options(hass, setup_entry)

    for meter_id in izar_ids:
        assert labels[meter_id].split(" · ")[1] == "Diehl IZAR"
    assert labels[techem_id].split(" · ")[1] == "Techem FHKV data III"
    assert not any(word in " ".join(labels.values()) for word in ("oil", "reserved", "breaker"))


async def test_heard_list_offers_every_heard_meter_most_recent_first(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    """More meters than the old limit of 50: all are there, and the form says how many."""
    gateway = setup_entry.runtime_data.hub
    template = bytearray(_corpus_telegram("iperl-01"))
    sent = []
    for number in range(60):
        template[4:8] = bytes.fromhex(f"{number + 10000000:08d}")[::-1]  # the id, LSB first
        emulator.send_telegram(bytes(template))
        sent.append(f"{number + 10000000:08d}")
    await wait_until(lambda: len(gateway.heard) >= 60, timeout_s=30, hass=hass)

    result = await _start_meter_flow(hass, setup_entry)

    assert result["data_schema"] is not None
    options = result["data_schema"].schema[CONF_METER_ID].config["options"]
    assert [option["value"] for option in options] == sent[::-1]
    # Newer frontends sort the list by label: the place in front keeps the order.
    labels = [option["label"] for option in options]
    assert sorted(labels, key=_natural_order) == labels
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    assert placeholders["listed"] == "60"
    assert placeholders["heard"] == str(len(gateway.heard))


async def test_add_meter_chooses_nothing_for_the_user(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
) -> None:
    """A required select makes the frontend pick its first option: the field is optional."""
    gateway = setup_entry.runtime_data.hub
    emulator.send_telegram(_corpus_telegram("iperl-01"))
    await wait_until(lambda: gateway.heard.heard_as(IPERL_ID), hass=hass)

    result = await _start_meter_flow(hass, setup_entry)
    assert result["data_schema"] is not None
    (field,) = result["data_schema"].schema
    assert field == CONF_METER_ID
    assert isinstance(field, vol.Optional)
    assert field.default is vol.UNDEFINED

    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_METER_ID: "meter_required"}
    assert not [s for s in setup_entry.subentries.values() if s.unique_id == IPERL_ID]


async def test_a_row_of_the_list_typed_whole_is_its_meter(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    result = await _start_meter_flow(hass, setup_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: "3. 12345678 · Sensus 07h · -70 dBm · 5 s"}
    )
    assert result["step_id"] == "key"


async def test_a_meter_that_sends_in_clear_is_added_without_a_key(
    hass: HomeAssistant, setup_entry: MockConfigEntry, emulator: Im871aEmulator
) -> None:
    gateway = setup_entry.runtime_data.hub
    emulator.send_telegram(_corpus_telegram("iperl-01"))
    await wait_until(lambda: gateway.heard.heard_as(IPERL_ID), hass=hass)
    result = await _start_meter_flow(hass, setup_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: IPERL_ID}
    )
    assert result["step_id"] == "key_optional"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Water"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = (s for s in setup_entry.subentries.values() if s.unique_id == IPERL_ID)
    assert subentry.data[CONF_AES_KEY] == ""
    await hass.async_block_till_done()
    assert gateway.meters[IPERL_ID].key is None
    emulator.send_telegram(_corpus_telegram("iperl-01"))
    await wait_until(lambda: gateway.meters[IPERL_ID].last_reading is not None, hass=hass)
    assert 7.704 in gateway.meters[IPERL_ID].last_reading.reading.values.values()  # m³


async def test_a_heard_meter_that_encrypts_needs_its_key(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    hass.config_entries.async_remove_subentry(setup_entry, next(iter(setup_entry.subentries)))
    await hass.async_block_till_done()
    emulator.send_telegram(captures[4])
    await wait_until(lambda: setup_entry.runtime_data.hub.heard.heard_as(METER_ID), hass=hass)
    result = await _start_meter_flow(hass, setup_entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_METER_ID: METER_ID}
    )
    assert result["step_id"] == "key"
    assert result["data_schema"] is not None
    key_selector = result["data_schema"].schema[CONF_AES_KEY]
    assert key_selector.config["type"] == "password"  # what is typed is not shown
    # Not marked required: an empty key gets the words below, not a bare "required".
    (key_field,) = (field for field in result["data_schema"].schema if field == CONF_AES_KEY)
    assert isinstance(key_field, vol.Optional)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_AES_KEY: "  ", CONF_NAME: "Hus"}
    )
    assert result["errors"] == {CONF_AES_KEY: "key_required"}
    assert not setup_entry.subentries


async def test_reconfigure_meter_changes_key_and_name(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    emulator: Im871aEmulator,
    captures: list[bytes],
) -> None:
    emulator.send_telegram(captures[4])
    await wait_until(
        lambda: state(hass, "sensor.house_meter_energy_imported") not in (None, "unknown"),
        hass=hass,
    )
    sub_id = next(iter(setup_entry.subentries))
    result = await hass.config_entries.subentries.async_init(
        (setup_entry.entry_id, SUBENTRY_METER),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": sub_id},
    )
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_AES_KEY: WRONG_KEY, CONF_NAME: "Hus"}
    )
    assert result["errors"] == {CONF_AES_KEY: "invalid_key"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_AES_KEY: METER_KEY.lower(), CONF_NAME: "Hus"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert setup_entry.subentries[sub_id].title == "Hus"
    assert setup_entry.subentries[sub_id].data[CONF_AES_KEY] == METER_KEY


async def test_reconfigure_with_an_empty_key_keeps_the_key(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    sub_id = next(iter(setup_entry.subentries))
    result = await hass.config_entries.subentries.async_init(
        (setup_entry.entry_id, SUBENTRY_METER),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": sub_id},
    )
    assert result["data_schema"] is not None
    assert result["data_schema"].schema[CONF_AES_KEY].config["type"] == "password"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Renamed"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert setup_entry.subentries[sub_id].title == "Renamed"
    assert setup_entry.subentries[sub_id].data[CONF_AES_KEY] == METER_KEY
