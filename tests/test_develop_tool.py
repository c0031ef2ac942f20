"""``scripts/develop`` (tools/develop.py) without Home Assistant: readiness, port, help.

A real Home Assistant start takes minutes; the browser test does that (twice, on one config
folder). Here a small HTTP server answers as Home Assistant does before and after onboarding,
so the readiness steps are checked in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import json
from pathlib import Path
import socket
import threading
import time
from typing import Any, ClassVar

from homeassistant.util.yaml import load_yaml
import pytest

from tools.develop import (
    CONFIG_TEMPLATE,
    PORT_VARIABLE,
    DevelopmentError,
    DevInstance,
    DevUser,
    _banner,
    free_rtl_tcp_port,
    main,
    rtl_tcp_requested,
    wait_until_ready,
)

TOKEN = "development-token"
# Home Assistant's test harness blocks sockets; these tests talk to 127.0.0.1 only.
pytestmark = pytest.mark.usefixtures("socket_enabled")


class FakeHomeAssistant(BaseHTTPRequestHandler):
    """What Home Assistant answers to the requests of ``wait_until_ready``."""

    onboarded: ClassVar[bool] = True
    state: ClassVar[str] = "RUNNING"
    requests: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows what matters."""

    def _answer(self, status: int, document: object) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """The frontend's manifest, onboarding's steps, the core's config."""
        self.requests.append(f"GET {self.path}")
        if self.path == "/manifest.json":
            self._answer(200, {"name": "Home Assistant"})
        elif self.path == "/api/onboarding":
            if self.onboarded:  # no onboarding views once onboarding is done
                self._answer(404, {"message": "Not Found"})
            else:
                self._answer(200, [{"step": "user", "done": False}])
        elif self.path == "/api/config":
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._answer(401, {"message": "Unauthorized"})
            else:
                self._answer(200, {"state": self.state})
        else:
            self._answer(404, {"message": "Not Found"})

    def do_POST(self) -> None:
        """Onboarding's user step and the login flow."""
        self.requests.append(f"POST {self.path}")
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/api/onboarding/users" and not self.onboarded:
            type(self).onboarded = True
            self._answer(200, {"auth_code": "code"})
        elif self.path == "/auth/login_flow":
            self._answer(200, {"flow_id": "flow", "type": "form"})
        elif self.path == "/auth/login_flow/flow":
            self._answer(200, {"type": "create_entry", "result": "code"})
        elif self.path == "/auth/token":
            self._answer(200, {"access_token": TOKEN, "token_type": "Bearer"})
        else:
            self._answer(404, {"message": "Not Found"})


@pytest.fixture
def fake_hass() -> Iterator[str]:
    FakeHomeAssistant.onboarded = True
    FakeHomeAssistant.state = "RUNNING"
    FakeHomeAssistant.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHomeAssistant)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_later_start_is_ready_although_onboarding_answers_404(fake_hass: str) -> None:
    """The second run of scripts/develop on a config folder: onboarding is done already."""
    wait_until_ready(fake_hass, DevUser(), time.monotonic() + 10)

    assert "POST /api/onboarding/users" not in FakeHomeAssistant.requests
    assert FakeHomeAssistant.requests[-1] == "GET /api/config"


def test_the_first_start_onboards_the_development_user(fake_hass: str) -> None:
    FakeHomeAssistant.onboarded = False

    wait_until_ready(fake_hass, DevUser(), time.monotonic() + 10)

    assert FakeHomeAssistant.requests.count("POST /api/onboarding/users") == 1


def test_ready_only_once_the_core_runs(fake_hass: str) -> None:
    FakeHomeAssistant.state = "NOT_RUNNING"

    with pytest.raises(DevelopmentError, match="RUNNING"):
        wait_until_ready(fake_hass, DevUser(), time.monotonic() + 1.5)


def test_waiting_ends_when_home_assistant_exits(fake_hass: str) -> None:
    FakeHomeAssistant.state = "NOT_RUNNING"

    with pytest.raises(DevelopmentError, match="exited with code 1"):
        wait_until_ready(
            fake_hass, DevUser(), time.monotonic() + 60, lambda: "Home Assistant exited with code 1"
        )


def test_port_from_the_command_line_wins_over_the_committed_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone's config/configuration.yaml exists, yet --port applies."""
    (tmp_path / "configuration.yaml").write_text(CONFIG_TEMPLATE.read_text(encoding="utf-8"))
    instance = DevInstance(tmp_path, port=8124, link=tmp_path / "link")

    instance._prepare_config()
    monkeypatch.setenv(PORT_VARIABLE, "8124")  # what start() gives Home Assistant
    configuration = load_yaml(tmp_path / "configuration.yaml")

    assert isinstance(configuration, dict)
    assert int(configuration["http"]["server_port"]) == 8124


def test_a_configuration_pinning_another_port_is_refused(tmp_path: Path) -> None:
    pinned = CONFIG_TEMPLATE.read_text(encoding="utf-8").replace(
        f"!env_var {PORT_VARIABLE} 8123", "8123"
    )
    (tmp_path / "configuration.yaml").write_text(pinned)

    with pytest.raises(DevelopmentError, match="pins server_port 8123"):
        DevInstance(tmp_path, port=8124, link=tmp_path / "link").start()


def test_a_busy_port_is_refused_at_once(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()

        with pytest.raises(DevelopmentError, match=f"port {port} is in use"):
            DevInstance(tmp_path, port=port, link=tmp_path / "link").start()

    assert time.monotonic() - started < 10


def test_help_lists_the_emulator_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])

    text = capsys.readouterr().out
    for option in ("--port", "--water", "--heat", "--replay", "--neighbours", "--interval"):
        assert option in text


def test_radio_rtl_tcp_is_taken_out_of_the_emulator_options() -> None:
    args = ["--water", "--radio", "rtl_tcp", "--seed", "3"]
    assert rtl_tcp_requested(args)
    assert args == ["--water", "--seed", "3"]
    args = ["--radio=rtl_tcp"]
    assert rtl_tcp_requested(args)
    assert args == []
    args = ["--radio", "iu891a"]
    assert not rtl_tcp_requested(args)
    assert args == ["--radio", "iu891a"]


def test_radio_rtl_tcp_starts_the_rtl_tcp_emulator(tmp_path: Path) -> None:
    """develop --radio rtl_tcp: an rtl_tcp server (its RTL0 header) where the banner says."""
    port = free_rtl_tcp_port(20000 + int(time.monotonic() * 1000) % 10000)
    instance = DevInstance(tmp_path, link=tmp_path / "unused", rtl_tcp_port=port)
    try:
        instance._start_emulator()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            header = b""
            while len(header) < 12 and (data := connection.recv(12 - len(header))):
                header += data
        assert header[:4] == b"RTL0"
        assert f"rtl_tcp://127.0.0.1:{port}" in _banner(instance, [])
    finally:
        instance.stop()
