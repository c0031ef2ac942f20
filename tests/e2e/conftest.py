"""End to end: a real mosquitto started by the test, HA's real MQTT integration, the emulated stick.

Under ``CI=true`` a missing mosquitto is a failure, not a skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import suppress
import itertools
import os
from pathlib import Path
import shutil
import socket

from homeassistant.components import mqtt
from homeassistant.components.mqtt.models import DATA_MQTT
from homeassistant.core import HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.wmbus.const import (
    CONF_PORT,
    CONF_RECALC_ENABLED,
    CONF_RECALC_GATEWAY_ID,
    CONF_RECALC_MIRROR_USER_METERS,
    CONF_RECALC_PREFIX,
    DOMAIN,
)
from tests.components.conftest import (  # noqa: F401 - fixtures shared with the HA tests
    STICK_SERIAL,
    auto_enable_custom_integrations,
    emulator,
    fast_reconnect,
)
from tests.helpers import wait_until
from tools.emulators.im871a import Im871aEmulator

HOST = "127.0.0.1"  # pytest-socket only lets the literal address through
GATEWAY_ID = "706462169"


def _binary(name: str, *extra_dirs: str) -> str:
    found = shutil.which(name) or next(
        (str(Path(d) / name) for d in extra_dirs if (Path(d) / name).is_file()), None
    )
    if found is None:
        message = f"{name} is not installed (apt-get install mosquitto mosquitto-clients)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Broker:
    """A mosquitto on 127.0.0.1 that the test can stop and start again on the same port.

    Persistence is on, so a subscriber's QoS 1 session survives a restart, like a real broker
    bridged to ReCalc.
    """

    def __init__(self, directory: Path) -> None:
        self.binary = _binary("mosquitto", "/usr/sbin", "/usr/local/sbin")
        self.pub = _binary("mosquitto_pub")
        self.sub = _binary("mosquitto_sub")
        self.port = free_port()
        self.config = directory / "mosquitto.conf"
        self.config.write_text(
            f"listener {self.port} {HOST}\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {directory}/\n"
            "max_queued_messages 100000\n"
            "log_dest none\n"
        )
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            self.binary, "-c", str(self.config), stdin=asyncio.subprocess.DEVNULL
        )

        def listening() -> bool:
            with suppress(OSError), socket.create_connection((HOST, self.port), timeout=0.1):
                return True
            return False

        await wait_until(listening, timeout_s=4)

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()
        self._process = None

    async def publish(self, topic: str, payload: str) -> None:
        process = await asyncio.create_subprocess_exec(
            self.pub, "-h", HOST, "-p", str(self.port), "-q", "1", "-t", topic, "-m", payload
        )
        assert await process.wait() == 0


class Subscriber:
    """``mosquitto_sub`` with a persistent QoS 1 session: what the bridge publishes, in order."""

    def __init__(self, broker: Broker, topic: str) -> None:
        self.broker = broker
        self.topic = topic
        self.messages: list[tuple[str, str]] = []
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            self.broker.sub,
            *("-h", HOST, "-p", str(self.broker.port), "-q", "1", "-c", "-i", "recalc-e2e"),
            *("-t", self.topic, "-F", "%t\t%p"),
            stdout=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        # A round trip proves the subscription is in place before the test publishes; the
        # last of the probes, once back, shows no earlier one is still on its way.
        probes = 0
        while probes < 50:
            probes += 1
            await self.broker.publish(f"{self.topic.rstrip('#')}ready", str(probes))
            with suppress(TimeoutError):
                await wait_until(lambda: bool(self.messages), timeout_s=0.2)
                break
        else:
            raise TimeoutError("mosquitto_sub did not subscribe")
        await self.broker.publish(f"{self.topic.rstrip('#')}ready", "last")
        await wait_until(lambda: self.messages[-1][1] == "last")
        self.messages.clear()

    async def _read(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        while line := await self._process.stdout.readline():
            topic, _, body = line.decode().rstrip("\n").partition("\t")
            if not topic.endswith("/sensors/set"):  # the test's own commands
                self.messages.append((topic, body))

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError):
                await self._reader


@pytest.fixture
async def broker(socket_enabled: None, tmp_path: Path) -> AsyncIterator[Broker]:
    """A running mosquitto."""
    directory = tmp_path / "broker"
    directory.mkdir()
    running = Broker(directory)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def subscriber(broker: Broker) -> AsyncIterator[Subscriber]:
    """Everything published under ``v2/``."""
    sub = Subscriber(broker, "v2/#")
    await sub.start()
    yield sub
    await sub.stop()


@pytest.fixture
async def mqtt_entry(
    hass: HomeAssistant, broker: Broker, mock_hass_config: None
) -> MockConfigEntry:
    """Home Assistant's MQTT integration connected to the broker."""
    entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": HOST, "port": broker.port},
        options={"birth_message": {}, "will_message": {}},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await wait_until(lambda: mqtt.is_connected(hass), timeout_s=10, hass=hass)
    return entry


_PROBES = itertools.count()


async def through_home_assistant_mqtt(hass: HomeAssistant, broker: Broker) -> None:
    """Return once a message published now has reached Home Assistant's MQTT subscribers.

    Home Assistant's MQTT client sends subscriptions in order, after a cooldown, and mosquitto
    hands a client its messages in the order it accepted them; ``Broker.publish`` returns once
    mosquitto acknowledged. So when a probe on a fresh subscription arrives, every subscription
    made before it is in place and every message published before it has been dispatched, and
    the pending work it started is done: what a command did not do, it will not do later.
    """
    topic = f"wmbus-e2e/probe/{next(_PROBES)}"
    arrived: list[object] = []

    @callback
    def probe_arrived(message: mqtt.ReceiveMessage) -> None:
        arrived.append(message.payload)

    unsubscribe = await mqtt.async_subscribe(hass, topic, probe_arrived)
    try:
        for _ in range(50):
            await broker.publish(topic, "probe")
            with suppress(TimeoutError):
                await wait_until(lambda: bool(arrived), timeout_s=0.2, hass=hass)
                await hass.async_block_till_done()
                return
        raise TimeoutError(f"no probe came back through Home Assistant's MQTT on {topic}")
    finally:
        unsubscribe()
        # The unsubscribe, too, goes out after the cooldown. A test that stops the broker right
        # after this would leave it pending, and Home Assistant's MQTT (2026.10) raises at stop
        # for an unsubscribe it cannot send: wait until the client has sent it.
        client = hass.data[DATA_MQTT].client
        await wait_until(
            lambda: topic not in getattr(client, "_pending_unsubscribes", ()),
            timeout_s=5,
            hass=hass,
        )


def recalc_options(**overrides: object) -> dict[str, object]:
    return {
        CONF_RECALC_ENABLED: True,
        CONF_RECALC_GATEWAY_ID: GATEWAY_ID,
        CONF_RECALC_PREFIX: "v2",
        CONF_RECALC_MIRROR_USER_METERS: True,
        **overrides,
    }


@pytest.fixture
def stick_entry(emulator: Im871aEmulator) -> MockConfigEntry:  # noqa: F811
    """A stick entry with ReCalc enabled and no meters (ReCalc will add them)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="iM871A",
        data={CONF_PORT: str(emulator.link)},
        options=recalc_options(),
        unique_id=STICK_SERIAL,
    )
