"""The registry: every radio registered once, found by USB ids, detected in a safe order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custom_components.wmbus.protocol.radios import (
    LinkMode,
    NoRadioFound,
    detect_radio,
    kinds_for_usb,
    radio_kind,
    radio_kinds,
)
from custom_components.wmbus.protocol.radios.registry import RADIO_PACKAGES
from tools.emulators import EMULATORS
from tools.emulators.im871a import Im871aEmulator

MANIFEST = Path(__file__).resolve().parents[3] / "custom_components" / "wmbus" / "manifest.json"
TIMEOUT_S = 0.3


def test_every_package_registers_its_kinds_under_their_own_names() -> None:
    kinds = radio_kinds()
    serial = {name for name, kind in kinds.items() if kind.probe_on_serial}
    assert sorted(serial) == sorted(p for p in RADIO_PACKAGES if p != "sdr")
    assert sorted(set(kinds) - serial) == ["rtl_tcp", "rtlsdr"]  # the sdr package's two
    for name, kind in kinds.items():
        assert kind.name == name
        assert kind.default_link_mode in kind.link_modes
        assert len(set(kind.link_modes)) == len(kind.link_modes)
        assert kind.usb or name == "rtl_tcp", f"{name} cannot be found by USB id"


def test_every_serial_radio_has_an_emulator() -> None:
    serial = {name for name, kind in radio_kinds().items() if kind.probe_on_serial}
    assert set(EMULATORS) == serial


def test_an_sdr_is_never_probed_on_a_serial_port() -> None:
    """Probing writes bytes; an SDR is not behind a serial port, so detection skips it."""
    for name in ("rtlsdr", "rtl_tcp"):
        kind = radio_kind(name)
        assert not kind.probe_on_serial
        assert kind.link_modes == (LinkMode.C1T1,)


def test_the_realtek_ids_name_the_rtl_sdr() -> None:
    for pid in (0x2838, 0x2832):
        assert [kind.name for kind in kinds_for_usb(0x0BDA, pid, "Realtek", "RTL2838UHIDIR")] == [
            "rtlsdr"
        ]


def test_probe_order_puts_the_9600_baud_amber_before_57600_baud_probes() -> None:
    order = list(radio_kinds())
    if "amb8465" in order:
        assert order.index("amb8465") < order.index("im871a")


def test_manifest_matches_what_the_radios_declare() -> None:
    """Home Assistant offers a plugged-in stick by the manifest's matchers: same facts."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    declared = set()
    for kind in radio_kinds().values():
        for usb in kind.usb:
            matcher = {"vid": f"{usb.vid:04X}", "pid": f"{usb.pid:04X}"}
            if usb.manufacturer:
                matcher["manufacturer"] = f"*{usb.manufacturer.lower()}*"
            if usb.product:
                matcher["description"] = f"*{usb.product.lower()}*"
            declared.add(json.dumps(matcher, sort_keys=True))
    assert {json.dumps(m, sort_keys=True) for m in manifest["usb"]} == declared


def test_usb_ids_name_the_radio() -> None:
    assert [kind.name for kind in kinds_for_usb(0x10C4, 0x87ED, "Silicon Labs", "x")] == ["im871a"]
    # Silicon Labs' generic CP2102 id is an iM871A only when its product string says so.
    assert [k.name for k in kinds_for_usb(0x10C4, 0xEA60, None, "WiMOD iM871A-usb")] == ["im871a"]
    assert kinds_for_usb(0x10C4, 0xEA60, None, "CP2102 USB to UART") == []
    assert kinds_for_usb(None, None, None, None) == []


def test_unknown_radio_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="im871a"):
        radio_kind("im999")


def test_a_radio_refuses_a_link_mode_it_cannot_set() -> None:
    kind = radio_kind("im871a")
    assert LinkMode.C1 not in kind.link_modes
    with pytest.raises(ValueError, match="cannot listen in link mode c1"):
        kind.factory("/dev/null", link_mode=LinkMode.C1)


async def test_detect_finds_the_im871a_and_changes_nothing(tmp_path: Path) -> None:
    async with Im871aEmulator(tmp_path / "stick") as emulator:
        kind, identity = await detect_radio(str(emulator.link), timeout_s=TIMEOUT_S)
        assert kind.name == "im871a"
        assert (identity.maker, identity.model, identity.firmware) == ("IMST", "iM871A", "0x15")
        assert identity.serial_number == "00c0ffee"
        assert emulator.link_mode is LinkMode.C1a  # probing does not reconfigure


async def test_detect_names_every_radio_tried_when_none_answers(tmp_path: Path) -> None:
    async with Im871aEmulator(tmp_path / "silent") as emulator:
        emulator.stop_answering()
        with pytest.raises(NoRadioFound) as caught:
            await detect_radio(str(emulator.link), timeout_s=TIMEOUT_S)
    serial = [name for name, kind in radio_kinds().items() if kind.probe_on_serial]
    assert list(caught.value.attempts) == serial  # every serial radio, never an SDR
    assert all("no response" in why for why in caught.value.attempts.values())
    assert "tried" in str(caught.value)


async def test_detect_of_a_missing_port_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="nothing"):
        await detect_radio(str(tmp_path / "nothing"), timeout_s=TIMEOUT_S)
