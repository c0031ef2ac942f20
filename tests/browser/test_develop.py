"""``scripts/develop``'s runner stops cleanly on SIGINT and SIGTERM, also from the background.

A background job of a non-interactive shell starts with SIGINT ignored; the runner must stop
all the same, Home Assistant first, then the emulator, leaving no process and no port link.
"""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from tools.develop import DevUser, emulator_link

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 900.0
STOP_TIMEOUT_S = 180.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _ignore_sigint() -> None:
    """What bash does to a background job when job control is off."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path]]:
    port = _free_port()
    config = tmp_path / "config"
    link = emulator_link(f"develop-{port}") or tmp_path / "ttyIM871A-emulator"
    arguments = ["--config", str(config), "--port", str(port), "--link", str(link)]
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.develop", *arguments],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "develop.err").open("w"),
        text=True,
        preexec_fn=_ignore_sigint,  # noqa: PLW1509 - no threads in this test process yet
    )
    try:
        yield process, port, config
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_develop_stops_on_signal_even_with_sigint_ignored(
    runner: tuple[subprocess.Popen[str], int, Path], stop_signal: signal.Signals
) -> None:
    process, port, _config = runner
    assert process.stdout is not None
    banner = []
    for line in process.stdout:
        banner.append(line)
        if "Ctrl-C" in line:
            break
    text = "".join(banner)
    assert f"http://127.0.0.1:{port}" in text
    user = DevUser()
    assert f"log in as {user.username!r} with password {user.password!r}" in text
    link = Path(next(line for line in banner if "stick:" in line).split("stick:")[1].split()[0])
    assert link.is_symlink()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/onboarding", timeout=30) as answer:
        assert answer.status == 200
    children = _children(process.pid)
    assert len(children) == 2  # hass and the emulator

    os.kill(process.pid, stop_signal)
    assert process.wait(STOP_TIMEOUT_S) == 0
    assert not any(Path(f"/proc/{child}").exists() for child in children)
    assert not link.exists()
    rest = process.stdout.read()
    assert "stopping Home Assistant and the emulator" in rest
    assert "the environment changed" not in rest
