"""A development Home Assistant with this integration and an emulated stick (``scripts/develop``).

    python -m tools.develop                 # http://127.0.0.1:8123, config in ./config
    python -m tools.develop --water         # emulator options go through

Starts the iM871A emulator (meter 32666857 by default) and a real ``hass`` from the interpreter
running this module, with ``--skip-pip``: Home Assistant never installs anything, so the
environment stays exactly as its pins say (missing packages show as import errors in the log
instead of being installed behind the developer's back); the packages are compared before and
after and a change is reported. Onboarding is done through Home Assistant's own onboarding API
for a local development user, and the steps that would set up integrations from the internet
(weather, radio, text-to-speech) are marked done beforehand. The emulated stick is linked at
``/dev/ttyUSB-im871a-emulator*`` when ``/dev`` is writable (root), where the integration's port
list finds it like any serial port; otherwise the link is in the config folder and its path is
printed.

Ctrl-C, SIGINT and SIGTERM stop Home Assistant first (so it closes the port cleanly), then the
emulator. Python installs these handlers itself, so ``kill -INT`` also works on an instance
started in the background of a non-interactive shell, where SIGINT is ignored on entry.

The browser test (``tests/browser``) drives the same :class:`DevInstance` on a temporary folder.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
import contextlib
from dataclasses import dataclass
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import IO, Final
import urllib.error
import urllib.request

from tools.simulated_meters import (
    HEAT_ID,
    HEAT_KEY,
    OMNIPOWER_ID,
    OMNIPOWER_KEY,
    WATER_ID,
    WATER_KEY,
)

REPO_ROOT: Final = Path(__file__).resolve().parents[1]
CONFIG_TEMPLATE: Final = REPO_ROOT / "config" / "configuration.yaml"
DEFAULT_PORT: Final = 8123
START_TIMEOUT_S: Final = 900.0  # first start on a busy 2-core machine builds the database
STOP_TIMEOUT_S: Final = 120.0
EMULATOR_START_TIMEOUT_S: Final = 60.0
# The onboarding steps after "user" set up weather, radio and text-to-speech integrations that
# need the internet and packages a development environment does not have.
ONBOARDING_STEPS_SKIPPED: Final = ("core_config", "analytics", "integration")
ONBOARDING_STORE_VERSION: Final = 4  # homeassistant.components.onboarding STORAGE_VERSION


@dataclass(frozen=True)
class DevUser:
    """The local development login (this instance listens on 127.0.0.1 only)."""

    name: str = "Developer"
    username: str = "dev"
    password: str = "wmbus-dev"  # a local throwaway instance's documented login


class DevelopmentError(RuntimeError):
    """The development instance could not be started or stopped; the message says why."""


class StopRequested(Exception):
    """SIGINT or SIGTERM arrived."""


def emulator_link(tag: str = "") -> Path | None:
    """Where the port listing of the config flow finds the emulated stick, if we may write there.

    pyserial lists ``/dev/ttyUSB*``, symlinks included, so a link there is offered like a USB
    stick without any change to the integration. None when ``/dev`` is not writable.
    """
    if not os.access("/dev", os.W_OK):
        return None
    return Path("/dev") / f"ttyUSB-im871a-emulator{'-' + tag if tag else ''}"


def installed_packages(python: Path) -> dict[str, str]:
    """Distribution name -> version in the environment of ``python``."""
    listing = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    packages: dict[str, str] = json.loads(listing.stdout)
    return packages


def package_changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Human-readable differences between two package listings, empty if none."""
    changes = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes.append(f"{name}: {old or 'absent'} -> {new or 'absent'}")
    return changes


class DevInstance:
    """An emulator process and a ``hass`` process on one config folder; ``start``, then ``stop``."""

    def __init__(
        self,
        config_dir: Path,
        *,
        port: int = DEFAULT_PORT,
        link: Path,
        python: Path = Path(sys.executable),
        emulator_args: Sequence[str] = (),
        hass_output: IO[bytes] | None = None,
        user: DevUser = DevUser(),
    ) -> None:
        self.config_dir = config_dir
        self.port = port
        self.link = link
        self.python = python
        self.emulator_args = list(emulator_args)
        self.hass_output = hass_output
        self.user = user
        self.packages_before: dict[str, str] = {}
        self._emulator: subprocess.Popen[bytes] | None = None
        self._hass: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where the frontend is."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def hass_running(self) -> bool:
        """Home Assistant's process has not exited."""
        return self._hass is not None and self._hass.poll() is None

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start both processes and onboard the user; raises DevelopmentError on failure."""
        self._prepare_config()
        self.packages_before = installed_packages(self.python)
        self._start_emulator()
        environment = dict(os.environ)
        # The repository root on the path makes its custom_components/ importable unchanged.
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(REPO_ROOT), environment.get("PYTHONPATH")])
        )
        command = [str(self.python), "-m", "homeassistant", "--config", str(self.config_dir)]
        self._hass = subprocess.Popen(
            [*command, "--skip-pip"],
            cwd=REPO_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=self.hass_output,
            stderr=subprocess.STDOUT if self.hass_output is not None else None,
            process_group=0,  # Ctrl-C reaches this process only; it stops the others in order
        )
        self._wait_for_http(timeout_s)
        self._onboard()

    def wait(self) -> int:
        """Block until Home Assistant exits; its exit code."""
        assert self._hass is not None
        return self._hass.wait()

    def stop(self) -> None:
        """Stop Home Assistant, then the emulator; each gets SIGINT, then SIGKILL if stuck."""
        for process, timeout_s in ((self._hass, STOP_TIMEOUT_S), (self._emulator, 10.0)):
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with contextlib.suppress(FileNotFoundError):
            if self.link.is_symlink():
                self.link.unlink()

    def packages_changed(self) -> list[str]:
        """What changed in the environment since ``start`` (Home Assistant must change nothing)."""
        return package_changes(self.packages_before, installed_packages(self.python))

    # --- steps ------------------------------------------------------------------------------

    def _prepare_config(self) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        configuration = self.config_dir / "configuration.yaml"
        if not configuration.exists():
            template = CONFIG_TEMPLATE.read_text(encoding="utf-8")
            configuration.write_text(
                template.replace(f"server_port: {DEFAULT_PORT}", f"server_port: {self.port}"),
                encoding="utf-8",
            )
        store = self.config_dir / ".storage" / "onboarding"
        if not store.exists():
            store.parent.mkdir(exist_ok=True)
            document = {
                "version": ONBOARDING_STORE_VERSION,
                "minor_version": 1,
                "key": "onboarding",
                "data": {"done": list(ONBOARDING_STEPS_SKIPPED)},
            }
            store.write_text(json.dumps(document, indent=2), encoding="utf-8")

    def _start_emulator(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        command = [str(self.python), "-m", "tools.emulator", "--link", str(self.link)]
        self._emulator = subprocess.Popen(
            [*command, *self.emulator_args],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            process_group=0,
        )
        deadline = time.monotonic() + EMULATOR_START_TIMEOUT_S
        while not self.link.is_symlink():
            if self._emulator.poll() is not None:
                raise DevelopmentError(f"the emulator exited with code {self._emulator.returncode}")
            if time.monotonic() > deadline:
                raise DevelopmentError(f"the emulator did not create {self.link}")
            time.sleep(0.1)

    def _wait_for_http(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if not self.hass_running:
                assert self._hass is not None
                raise DevelopmentError(f"Home Assistant exited with code {self._hass.returncode}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/api/onboarding", timeout=5) as answer,
            ):
                if answer.status == 200:
                    return
            if time.monotonic() > deadline:
                raise DevelopmentError(f"Home Assistant did not answer on {self.url} in time")
            time.sleep(1.0)

    def _onboard(self) -> None:
        with urllib.request.urlopen(f"{self.url}/api/onboarding", timeout=30) as answer:
            steps = {step["step"]: step["done"] for step in json.load(answer)}
        if steps.get("user", True):
            return  # onboarded on an earlier start
        request = urllib.request.Request(
            f"{self.url}/api/onboarding/users",
            data=json.dumps(
                {
                    "name": self.user.name,
                    "username": self.user.username,
                    "password": self.user.password,
                    "client_id": f"{self.url}/",
                    "language": "en",
                }
            ).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                answer.read()
        except urllib.error.HTTPError as err:
            raise DevelopmentError(f"onboarding the development user failed: {err}") from None


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into StopRequested, even if SIGINT was ignored on entry."""

    def request_stop(signum: int, frame: FrameType | None) -> None:
        # Once stopping, later signals must not interrupt the orderly shutdown.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise StopRequested

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _banner(instance: DevInstance, emulator_args: Sequence[str]) -> str:
    link = instance.link
    listed = str(link).startswith("/dev/ttyUSB")
    lines = [
        "",
        f"Home Assistant is ready: {instance.url}",
        f"  log in as {instance.user.username!r} with password {instance.user.password!r}",
        "  Settings -> Devices & services -> Add integration -> Wireless M-Bus",
        f"  stick: {link}" + (" (in the port list)" if listed else " (type this path)"),
    ]
    if "--replay" in emulator_args:
        lines.append("  then Add meter: the replayed file's meters are in the heard list")
    else:
        lines.append(f"  then Add meter: {OMNIPOWER_ID} (heard), key {OMNIPOWER_KEY.hex().upper()}")
    for flag, kind, meter_id, key in (
        ("--water", "water", WATER_ID, WATER_KEY),
        ("--heat", "heat", HEAT_ID, HEAT_KEY),
    ):
        if flag in emulator_args:
            lines.append(
                f"  {kind} meter {meter_id}, key {key.hex().upper()} "
                "(sends T1: set the stick's link mode to C1+T1 under Configure)"
            )
    lines += ["Ctrl-C (or kill -INT / -TERM) stops Home Assistant and the emulator.", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "config")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--link", type=Path, help="the emulated stick's port (default: listed)")
    args, emulator_args = parser.parse_known_args(argv)
    link = args.link or emulator_link() or args.config / "ttyIM871A-emulator"
    instance = DevInstance(args.config, port=args.port, link=link, emulator_args=emulator_args)
    exit_code = 0
    with _stop_on_signals():
        try:
            instance.start()
            print(_banner(instance, emulator_args), flush=True)
            exit_code = instance.wait()
        except StopRequested:
            print("\nstopping Home Assistant and the emulator ...", flush=True)
        except DevelopmentError as err:
            print(f"scripts/develop: {err}", file=sys.stderr, flush=True)
            exit_code = 1
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            instance.stop()
    if instance.packages_before and (changes := instance.packages_changed()):
        print("the environment changed while Home Assistant ran:", *changes, sep="\n  ")
        exit_code = exit_code or 1
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
