"""``scripts/develop``'s runner: stops cleanly on signals, and is ready again on a second run.

A background job of a non-interactive shell starts with SIGINT ignored; the runner must stop
all the same, Home Assistant first, then the emulator, leaving no process and no port link.

The configuration stays for the next run (README), so a second run on the same folder, where
onboarding is done, must become ready too, on the port given with ``--port`` although the
folder holds the committed ``configuration.yaml`` (as on a fresh clone).
"""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import threading
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
    link = emulator_link(f"develop-{port}") or tmp_path / "ttyWMBUS-emulator"
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


def _banner_or_fail(process: subprocess.Popen[str], timeout_s: float) -> str:
    """Read the runner's output until its banner; drain the rest in the background.

    Home Assistant writes its log to the same pipe, so the pipe must keep being read.
    """
    assert process.stdout is not None
    stdout = process.stdout
    banner: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in stdout:
            if not ready.is_set():
                banner.append(line)
                if "Ctrl-C" in line:
                    ready.set()
        ready.set()  # the process ended

    threading.Thread(target=read, daemon=True).start()
    ready.wait(timeout_s)
    text = "".join(banner)
    assert "Home Assistant is ready" in text, f"no banner within {timeout_s} s:\n{text[-3000:]}"
    return text


def test_develop_is_ready_again_on_a_second_run_on_the_given_port(tmp_path: Path) -> None:
    port = _free_port()
    assert port != 8123
    config = tmp_path / "config"
    config.mkdir()
    shutil.copy(REPO / "config" / "configuration.yaml", config / "configuration.yaml")
    link = emulator_link(f"develop-{port}") or tmp_path / "ttyWMBUS-emulator"
    arguments = ["--config", str(config), "--port", str(port), "--link", str(link)]
    for run in ("first", "second"):
        with (tmp_path / f"develop-{run}.err").open("w") as errors:
            process = subprocess.Popen(
                [sys.executable, "-m", "tools.develop", *arguments],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
            try:
                banner = _banner_or_fail(process, READY_TIMEOUT_S)
                assert f"http://127.0.0.1:{port}" in banner, run
                url = f"http://127.0.0.1:{port}/manifest.json"
                with urllib.request.urlopen(url, timeout=30) as answer:
                    assert answer.status == 200, run
                os.kill(process.pid, signal.SIGINT)
                assert process.wait(STOP_TIMEOUT_S) == 0, run
            finally:
                if process.poll() is None:  # failed early: let the runner stop its children
                    process.send_signal(signal.SIGINT)
                    try:
                        process.wait(STOP_TIMEOUT_S)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
    # Onboarded on the first run, so the second one found no onboarding to do.
    assert (config / ".storage" / "auth").exists()
