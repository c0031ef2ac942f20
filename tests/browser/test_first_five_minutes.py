"""What a newcomer does after ``scripts/develop``, in headless Chromium against a real hass.

Home Assistant runs as its own process from the development environment on a temporary config
folder, with the emulator's simulated OmniPower 32666857, exactly as ``scripts/develop`` starts
them (:class:`tools.develop.DevInstance`). The browser is Debian's Chromium driven by
Playwright (never a downloaded browser). Each step leaves a screenshot named after it in
``tests/browser/output/`` (kept after a failure; the README's pictures come from there).

Waits are on conditions the page shows, with generous timeouts: the machine may be busy.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
import os
from pathlib import Path
import re
import shutil
import socket
import uuid

from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    TimeoutError as PlaywrightTimeoutError,
    expect,
    sync_playwright,
)
import pytest

from tools.develop import DevInstance, DevUser, emulator_link
from tools.simulated_meters import OMNIPOWER_ID, OMNIPOWER_KEY

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).parent / "output"
WAIT_MS = 120_000  # for anything that waits on Home Assistant or a telegram
TELEGRAM_INTERVAL_S = "3"  # the real meter's 15 s would only make the test slower
# The check behind the Energy configuration's warnings, asked as the page itself asks: true
# once the grid source is saved and has no issue.
ENERGY_GRID_VALID = """async () => {
    const hass = document.querySelector("home-assistant").hass;
    const result = await hass.callWS({type: "energy/validate"});
    const sources = result.energy_sources;
    return sources.length > 0 && sources.every((issues) => issues.length === 0);
}"""
STATISTICS_WAIT_MS = 420_000  # the recorder compiles statistics every 5 minutes
HEARD_ATTEMPTS = 20  # times 5 s: enough for a meter that sends every few seconds
DIALOG_ATTEMPTS = 3  # a click that a re-render moved away is tried again
WRONG_KEY = "00112233445566778899AABBCCDDEEFF"
NOTHING_CHOSEN = "Choose a meter from the list, or type its 8-digit serial number."

if not CHROMIUM.exists():
    message = (
        f"{CHROMIUM} is missing: the browser test needs Debian's chromium "
        "(scripts/setup installs it when run as root)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def output() -> Path:
    shutil.rmtree(OUTPUT, ignore_errors=True)
    OUTPUT.mkdir(parents=True)
    return OUTPUT


@pytest.fixture(scope="module")
def instance(output: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevInstance]:
    config = tmp_path_factory.mktemp("config")
    tag = uuid.uuid4().hex[:8]
    link = emulator_link(tag) or config / "ttyWMBUS-emulator"
    with (output / "home-assistant.out").open("wb") as hass_output:
        dev = DevInstance(
            config,
            port=_free_port(),
            link=link,
            # The stick people buy now (the iM871A is end of life); the flow detects it.
            emulator_args=[
                "--radio",
                "iu891a",
                "--interval",
                TELEGRAM_INTERVAL_S,
                "--status-file",
                str(output / "emulator-status.json"),
            ],
            hass_output=hass_output,
        )
        try:
            dev.start()
            yield dev
        finally:
            dev.stop()
    assert dev.packages_changed() == [], "Home Assistant changed the development environment"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class Steps:
    """Numbered screenshots: ``01-login.png``, ``02-...``."""

    def __init__(self, page: Page, output: Path) -> None:
        self.page = page
        self.output = output
        self.count = 0

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=self.output / f"{self.count:02d}-{name}.png")


def _meter_reading(status_file: Path) -> dict[str, float]:
    status = json.loads(status_file.read_text())
    reading: dict[str, float] = status["meters"][OMNIPOWER_ID]
    return reading


def _number(text: str) -> float:
    match = re.search(r"-?[\d,]*\.?\d+", text)
    assert match, f"no number in {text!r}"
    return float(match.group().replace(",", ""))


def _wait_for_values_of_the_meter(
    page: Page, row_energy: Locator, row_power: Locator, status_file: Path
) -> None:
    """The device page shows what the meter sent last (a new telegram every few seconds)."""

    def shown_equals_sent() -> bool:
        reading = _meter_reading(status_file)
        try:
            energy = _number(row_energy.text_content(timeout=1000) or "")
            power = _number(row_power.text_content(timeout=1000) or "")
        except (AssertionError, PlaywrightTimeoutError):
            return False
        return (
            abs(energy - reading["energy_imported_kwh"]) < 0.005
            and power == reading["power_imported_w"]
        )

    for _ in range(WAIT_MS // 500):
        if shown_equals_sent():
            return
        page.wait_for_timeout(500)
    reading = _meter_reading(status_file)
    pytest.fail(
        f"device page shows {row_energy.text_content()!r} / {row_power.text_content()!r}, "
        f"the meter sent {reading}"
    )


def _wait_until_the_grid_is_valid(page: Page) -> None:
    """Ask Home Assistant's energy check every few seconds until the grid has no issue."""
    for _ in range(STATISTICS_WAIT_MS // 5000):
        if page.evaluate(ENERGY_GRID_VALID):
            return
        page.wait_for_timeout(5000)
    pytest.fail("the Energy configuration still reports issues for the grid")


def _open_statistic_picker(page: Page, button: str) -> None:
    """Click an "Add ..." button of the grid card until its dialog offers a statistic.

    Seen once in a CI run: after the first save, clicking "Add return" opened no dialog. The
    card re-renders when Home Assistant's energy check answers after a save (it adds a
    "Statistics not defined" alert above the buttons), which can move the button between
    Playwright finding it and clicking it, so the click is repeated until the dialog is there.
    """
    picker = page.get_by_text("Select a statistic")
    for _ in range(DIALOG_ATTEMPTS):
        page.get_by_role("button", name=button).click()
        try:
            picker.wait_for(timeout=10_000)
        except PlaywrightTimeoutError:
            continue
        picker.click()
        return
    pytest.fail(f'"{button}" never opened its dialog')


def _open_add_meter_until_heard(page: Page, steps: Steps) -> Locator:
    """Open "Add meter" and its meter list; the option of the meter once it has been heard.

    The first time, Submit is pressed before anything is chosen: nothing is pre-selected, so
    the form must say that a meter is to be chosen.
    """
    heard = page.get_by_text(f"{OMNIPOWER_ID} · Kamstrup OmniPower")
    for attempt in range(HEARD_ATTEMPTS):
        page.get_by_role("button", name="Add meter").click()
        meter_field = page.get_by_label("Meter", exact=True).first
        expect(meter_field).to_be_visible()
        if attempt == 0:
            page.get_by_role("button", name="Submit").click()
            expect(page.get_by_text(NOTHING_CHOSEN)).to_be_visible()
            steps.shot("nothing-chosen")
        meter_field.click()
        try:
            expect(heard).to_be_visible(timeout=5000)
        except AssertionError:
            page.keyboard.press("Escape")  # closes the list, and in some versions the dialog
            close = page.get_by_role("button", name="Close")
            if close.count() and close.first.is_visible():
                close.first.click()
            expect(meter_field).to_have_count(0)
            continue
        return heard
    pytest.fail(f"meter {OMNIPOWER_ID} never appeared in the heard list")


def test_first_five_minutes(instance: DevInstance, browser: Browser, output: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    steps = Steps(page, output)
    try:
        walk_through(page, instance, steps, output / "emulator-status.json")
    except BaseException:
        steps.shot("failure")
        raise
    finally:
        page.close()


def walk_through(page: Page, instance: DevInstance, steps: Steps, status_file: Path) -> None:
    """Log in, add the stick and the meter, check its values, add it to the Energy config."""
    user: DevUser = instance.user

    # Log in with the user scripts/develop prints.
    page.goto(f"{instance.url}/")
    page.get_by_role("textbox", name="Username").fill(user.username)
    page.get_by_role("textbox", name="Password").fill(user.password)
    steps.shot("login")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/home/**")

    # Settings -> Devices & services -> Add integration -> Wireless M-Bus.
    page.locator("ha-sidebar a[href='/config']").click()
    page.locator("a[href='/config/integrations']").first.click()
    page.wait_for_url("**/config/integrations/**")
    page.get_by_role("button", name="Add integration").click()
    page.locator("dialog-add-integration").get_by_role("textbox").first.fill("Wireless M-Bus")
    brand = page.get_by_text("Wireless M-Bus")
    expect(brand).to_be_visible()
    steps.shot("add-integration")
    brand.click()

    # The emulated stick is in the port list; pick it.
    port_field = page.get_by_label("Serial port")
    expect(port_field).to_be_visible()
    port_field.click()
    stick = page.get_by_text(f"{instance.link},")
    expect(stick).to_be_visible()
    steps.shot("pick-stick")
    stick.click()
    page.get_by_role("button", name="Submit").click()
    finish = page.get_by_role("button", name="Skip and finish")
    expect(finish).to_be_visible()
    steps.shot("stick-added")
    finish.click()

    # Add meter 32666857 from the heard list: the list is made when the form opens, so reopen
    # it until the stick has heard the meter (the meter sends every few seconds).
    page.goto(f"{instance.url}/config/integrations/integration/wmbus")
    heard = _open_add_meter_until_heard(page, steps)
    steps.shot("heard-meter")
    heard.click()
    page.get_by_role("button", name="Submit").click()

    # A wrong key is refused with a clear message; the right one is accepted.
    key_field = page.get_by_label("AES key", exact=True).first
    key_field.fill(WRONG_KEY)
    page.get_by_role("button", name="Submit").click()
    expect(
        page.get_by_text("This key does not decrypt the meter's latest telegram.")
    ).to_be_visible()
    steps.shot("wrong-key")
    key_field.fill(OMNIPOWER_KEY.hex().upper())
    page.get_by_role("button", name="Submit").click()
    created = f"Created configuration for Electricity meter {OMNIPOWER_ID}."
    expect(page.get_by_text(created)).to_be_visible()
    page.get_by_role("button", name="Finish").click()

    # The meter's device page shows what the simulated meter sends.
    page.goto(f"{instance.url}/config/devices/dashboard")
    page.get_by_text(f"Electricity meter {OMNIPOWER_ID}").first.click()
    page.wait_for_url("**/config/devices/device/**")
    rows = page.locator("hui-generic-entity-row")
    _wait_for_values_of_the_meter(
        page,
        rows.filter(has_text="Energy imported"),
        rows.filter(has_text="Power imported"),
        status_file,
    )
    page.wait_for_load_state("networkidle")  # icons and the activity card, for the picture
    steps.shot("device-values")

    # Energy configuration: grid consumption and return to grid, no warning.
    page.goto(f"{instance.url}/config/energy")
    for button, sensor in (
        ("Add consumption", "Energy imported"),
        ("Add return", "Energy exported"),
    ):
        _open_statistic_picker(page, button)
        page.get_by_text(sensor, exact=True).click()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text(f"Electricity meter {OMNIPOWER_ID} {sensor}")).to_be_visible()
    # New sensors have no statistics until the recorder's next 5-minute compile: until then
    # Home Assistant warns "Statistics not defined". Wait for its check to pass, then look.
    _wait_until_the_grid_is_valid(page)
    page.reload()
    expect(page.get_by_text(f"Electricity meter {OMNIPOWER_ID} Energy exported")).to_be_visible()
    expect(page.locator("ha-energy-validation-result ha-alert")).to_have_count(0)
    expect(page.get_by_text("Statistics not defined")).to_have_count(0)
    steps.shot("energy")
