"""A development Home Assistant with this integration and an emulated stick (``scripts/develop``).

    python -m tools.develop                 # http://127.0.0.1:8123, config in ./config
    python -m tools.develop --water         # emulator options go through
    python -m tools.develop --radio iu891a  # an IMST iU891A-XL instead of an iM871A
    python -m tools.develop --radio rtl_tcp # an RTL-SDR behind rtl_tcp (tools/rtl_tcp_emulator)

Starts a radio's emulator (an iM871A unless ``--radio`` names another: iu891a, amb8465, cul;
meter 32666857 by default) and a real ``hass`` from the interpreter
running this module, with ``--skip-pip``: Home Assistant never installs anything, so the
environment stays exactly as its pins say (missing packages show as import errors in the log
instead of being installed behind the developer's back); the packages are compared before and
after and a change is reported. Onboarding is done through Home Assistant's own onboarding API
for a local development user on the first start of a config folder, and the steps that would
set up integrations from the internet (weather, radio, text-to-speech) are marked done
beforehand. Every start, the first and any later one on the same folder, is ready once that
user can log in and Home Assistant reports itself running.

The port comes from ``--port`` on every start: ``configuration.yaml`` reads it from the
environment (``server_port: !env_var WMBUS_DEVELOP_PORT 8123``), so the committed
configuration never pins it; a configuration that pins another port is refused with the fix.

``--radio rtl_tcp`` starts ``tools/rtl_tcp_emulator.py`` instead (IQ samples of the same
simulated meters, in real time) on a free TCP port from 1234, and prints the
``rtl_tcp://127.0.0.1:PORT`` address to type in the config flow's port field.

The emulated stick is linked at ``/dev/ttyUSB-wmbus-emulator*`` when ``/dev`` is writable
(root), where the integration's port list finds it like any serial port; otherwise the link is
in the config folder and its path is printed.

Ctrl-C, SIGINT and SIGTERM stop Home Assistant first (so it closes the port cleanly), then the
emulator. Python installs these handlers itself, so ``kill -INT`` also works on an instance
started in the background of a non-interactive shell, where SIGINT is ignored on entry.

The browser test (``tests/browser``) drives the same :class:`DevInstance` on a temporary folder.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence
import contextlib
from dataclasses import dataclass
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from types import FrameType
from typing import IO, Any, Final
import urllib.error
import urllib.parse
import urllib.request

from custom_components.wmbus.protocol.radios import radio_kind
from tools.emulator import add_simulation_arguments
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
RTL_TCP_PORT: Final = 1234  # rtl_tcp's own default
# The onboarding steps after "user" set up weather, radio and text-to-speech integrations that
# need the internet and packages a development environment does not have.
ONBOARDING_STEPS_SKIPPED: Final = ("core_config", "analytics", "integration")
ONBOARDING_STORE_VERSION: Final = 4  # homeassistant.components.onboarding STORAGE_VERSION
PORT_VARIABLE: Final = "WMBUS_DEVELOP_PORT"
"""The environment variable ``configuration.yaml`` takes Home Assistant's HTTP port from."""
# The frontend serves its manifest without a login, before and after onboarding: an answer
# means Home Assistant's HTTP server is up. (/api/onboarding is no such probe: the
# onboarding component registers no views once onboarding is done, so from the second start
# of a config folder on it answers 404.)
HTTP_PROBE_PATH: Final = "/manifest.json"
POLL_INTERVAL_S: Final = 1.0


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
    return Path("/dev") / f"ttyUSB-wmbus-emulator{'-' + tag if tag else ''}"


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
        rtl_tcp_port: int | None = None,
    ) -> None:
        self.config_dir = config_dir
        self.port = port
        self.link = link
        self.python = python
        self.emulator_args = list(emulator_args)
        self.hass_output = hass_output
        self.user = user
        self.rtl_tcp_port = rtl_tcp_port  # an rtl_tcp emulator on this port instead of a stick
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

    @property
    def _hass_exited(self) -> str | None:
        """Why waiting is pointless: Home Assistant's exit, or None while it runs."""
        if self.hass_running:
            return None
        code = self._hass.returncode if self._hass is not None else None
        return f"Home Assistant exited with code {code}"

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Start both processes, onboard the user if needed, return once Home Assistant runs.

        Raises DevelopmentError on failure.
        """
        deadline = time.monotonic() + timeout_s
        self._prepare_config()
        if port_in_use(self.port):
            # Home Assistant would start without its HTTP server and never become ready.
            raise DevelopmentError(
                f"port {self.port} is in use; choose another with --port (e.g. --port "
                f"{self.port + 1})"
            )
        self.packages_before = installed_packages(self.python)
        self._start_emulator()
        environment = dict(os.environ)
        # The repository root on the path makes its custom_components/ importable unchanged.
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(REPO_ROOT), environment.get("PYTHONPATH")])
        )
        environment[PORT_VARIABLE] = str(self.port)
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
        wait_until_ready(self.url, self.user, deadline, lambda: self._hass_exited)

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
            configuration.write_text(CONFIG_TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
        pinned = pinned_port(configuration.read_text(encoding="utf-8"))
        if pinned is not None and pinned != self.port:
            raise DevelopmentError(
                f"{configuration} pins server_port {pinned}, so --port {self.port} cannot "
                f"apply: write 'server_port: !env_var {PORT_VARIABLE} {DEFAULT_PORT}' there "
                f"(as {CONFIG_TEMPLATE.relative_to(REPO_ROOT)} does)"
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
        if self.rtl_tcp_port is not None:
            self._start_rtl_tcp_emulator(self.rtl_tcp_port)
            return
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

    def _start_rtl_tcp_emulator(self, port: int) -> None:
        command = [str(self.python), "-m", "tools.rtl_tcp_emulator", "--port", str(port)]
        self._emulator = subprocess.Popen(
            [*command, *self.emulator_args],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            process_group=0,
        )
        deadline = time.monotonic() + EMULATOR_START_TIMEOUT_S
        while not port_in_use(port):
            if self._emulator.poll() is not None:
                raise DevelopmentError(
                    f"the rtl_tcp emulator exited with code {self._emulator.returncode}"
                )
            if time.monotonic() > deadline:
                raise DevelopmentError(f"the rtl_tcp emulator did not listen on port {port}")
            time.sleep(0.1)


def free_rtl_tcp_port(first: int = RTL_TCP_PORT) -> int:
    """rtl_tcp's own port 1234, or the next free one."""
    port = first
    while port_in_use(port):
        port += 1
    return port


def rtl_tcp_requested(emulator_args: list[str]) -> bool:
    """Whether ``--radio rtl_tcp`` is among the arguments; removes it from them if so."""
    for index, arg in enumerate(emulator_args):
        if arg == "--radio=rtl_tcp":
            del emulator_args[index]
            return True
        if arg == "--radio" and emulator_args[index + 1 : index + 2] == ["rtl_tcp"]:
            del emulator_args[index : index + 2]
            return True
    return False


def port_in_use(port: int) -> bool:
    """Whether something already accepts connections on 127.0.0.1:``port``."""
    with socket.socket() as probe:
        probe.settimeout(2.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def pinned_port(configuration: str) -> int | None:
    """The literal ``server_port`` of a configuration.yaml, None if it takes it from elsewhere."""
    for line in configuration.splitlines():
        name, _, value = line.partition("#")[0].partition(":")
        if name.strip() == "server_port" and value.strip().isdigit():
            return int(value.strip())
    return None


def _http(
    url: str,
    *,
    body: dict[str, Any] | None = None,
    form: dict[str, str] | None = None,
    token: str | None = None,
    timeout_s: float = 30.0,
) -> tuple[int | None, Any]:
    """One request: (HTTP status, JSON answer or None); status None if nothing answered."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            status, text = answer.status, answer.read()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read()
    except OSError:
        return None, None
    try:
        return status, json.loads(text)
    except ValueError:
        return status, None


def wait_until_ready(
    url: str, user: DevUser, deadline: float, gone: Callable[[], str | None] = lambda: None
) -> None:
    """Wait for Home Assistant at ``url``: HTTP up, user onboarded, login works, core running.

    The same steps on every start of a config folder: onboarding happens only while Home
    Assistant offers it. ``gone`` says why waiting is pointless (the process exited).
    Raises DevelopmentError on failure or at ``deadline`` (a ``time.monotonic`` value).
    """

    def poll(what: str, probe: Callable[[], bool]) -> None:
        while not probe():
            if (reason := gone()) is not None:
                raise DevelopmentError(reason)
            if time.monotonic() > deadline:
                raise DevelopmentError(f"Home Assistant on {url}: {what} did not happen in time")
            time.sleep(POLL_INTERVAL_S)

    poll("its HTTP server answering", lambda: _http(f"{url}{HTTP_PROBE_PATH}")[0] == 200)
    status, steps = _http(f"{url}/api/onboarding")
    if status == 200 and isinstance(steps, list):
        if not {step["step"]: step["done"] for step in steps}.get("user", True):
            _onboard_user(url, user)
    elif status != 404:  # 404: onboarded on an earlier start, no onboarding views any more
        raise DevelopmentError(f"{url}/api/onboarding answered {status}")
    token = _access_token(url, user)

    def running() -> bool:
        status, config = _http(f"{url}/api/config", token=token)
        return status == 200 and isinstance(config, dict) and config.get("state") == "RUNNING"

    poll("starting up (core state RUNNING)", running)


def _onboard_user(url: str, user: DevUser) -> None:
    status, answer = _http(
        f"{url}/api/onboarding/users",
        body={
            "name": user.name,
            "username": user.username,
            "password": user.password,
            "client_id": f"{url}/",
            "language": "en",
        },
        timeout_s=60.0,
    )
    if status != 200:
        raise DevelopmentError(f"onboarding the development user failed: {status} {answer}")


def _access_token(url: str, user: DevUser) -> str:
    """Log in as the printed user through Home Assistant's login flow: the login must work."""
    client_id = f"{url}/"
    refused = DevelopmentError(
        f"the login {user.username!r} / {user.password!r} does not work on this config folder "
        "(made by something else?); remove its .storage folder to start over"
    )
    _status, flow = _http(
        f"{url}/auth/login_flow",
        body={
            "client_id": client_id,
            "handler": ["homeassistant", None],
            "redirect_uri": client_id,
        },
    )
    if not isinstance(flow, dict) or "flow_id" not in flow:
        raise DevelopmentError(f"Home Assistant's login flow did not start: {flow}")
    _status, result = _http(
        f"{url}/auth/login_flow/{flow['flow_id']}",
        body={"client_id": client_id, "username": user.username, "password": user.password},
    )
    if not isinstance(result, dict) or result.get("type") != "create_entry":
        raise refused
    _status, tokens = _http(
        f"{url}/auth/token",
        form={
            "grant_type": "authorization_code",
            "code": str(result["result"]),
            "client_id": client_id,
        },
    )
    if not isinstance(tokens, dict) or "access_token" not in tokens:
        raise refused
    return str(tokens["access_token"])


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
    receiver = (
        f"  receiver: rtl_tcp://127.0.0.1:{instance.rtl_tcp_port} (an emulated RTL-SDR behind "
        "rtl_tcp): type this address in the port field"
        if instance.rtl_tcp_port is not None
        else f"  stick: {link} (an emulated {_radio_of(emulator_args)})"
        + (", in the port list" if listed else ": type this path")
    )
    lines = [
        "",
        f"Home Assistant is ready: {instance.url}",
        f"  log in as {instance.user.username!r} with password {instance.user.password!r}",
        "  Settings -> Devices & services -> Add integration -> Wireless M-Bus",
        receiver,
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
                "(sends T1: on an iM871A set the link mode to C1+T1 under Configure)"
            )
    lines += ["Ctrl-C (or kill -INT / -TERM) stops Home Assistant and the emulator.", ""]
    return "\n".join(lines)


def _radio_of(emulator_args: Sequence[str]) -> str:
    """The radio the emulator arguments ask for (as the emulator's own parser reads them)."""
    parser = argparse.ArgumentParser(add_help=False)
    add_simulation_arguments(parser)
    known, _ = parser.parse_known_args(list(emulator_args))
    return str(radio_kind(known.radio).title)


def emulator_options_help() -> str:
    """The emulator's options as its own ``--help`` lists them, for ``scripts/develop --help``.

    Every option develop does not know goes to the emulator unchanged, so its help must show
    them too (they are read from the emulator's parser: one list, never out of date).
    """
    emulator = argparse.ArgumentParser(prog="python -m tools.emulator", add_help=False)
    add_simulation_arguments(emulator)
    listing = emulator.format_help().split("\n\n", 1)[1]  # drop the usage line
    _heading, _, options = listing.partition("\n")
    return "emulator options (passed on to python -m tools.emulator):\n" + options


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description=__doc__.split("\n\n")[0],
        epilog=emulator_options_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=REPO_ROOT / "config",
        help="Home Assistant's config folder, kept between runs (default: ./config)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"HTTP port on 127.0.0.1, on every run (default: {DEFAULT_PORT})",
    )
    parser.add_argument("--link", type=Path, help="the emulated stick's port (default: listed)")
    args, emulator_args = parser.parse_known_args(argv)
    link = args.link or emulator_link() or args.config / "ttyWMBUS-emulator"
    rtl_tcp_port = free_rtl_tcp_port() if rtl_tcp_requested(emulator_args) else None
    instance = DevInstance(
        args.config,
        port=args.port,
        link=link,
        emulator_args=emulator_args,
        rtl_tcp_port=rtl_tcp_port,
    )
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
