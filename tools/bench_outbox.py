"""Benchmark the ReCalc outbox: messages/s through it to a local mosquitto, memory per message.

    python -m tools.bench_outbox [--messages 20000]

Starts its own mosquitto on a free 127.0.0.1 port, fills the outbox with real-shaped data
messages (four per OmniPower reading), and drains it with ``publish_batch`` over a paho client
at QoS 1 (each message confirmed by the broker's PUBACK), the way the bridge does through Home
Assistant's MQTT client. Budgets:

- throughput >= 880 messages/s: the radio's limit of about 220 telegrams/s times four channels,
  so a full outbox drains faster than the busiest stick can refill it;
- memory <= 1024 bytes per queued message: the 10,000-message bound then stays under 10 MB,
  half of the integration's 20 MB memory budget.
"""

from __future__ import annotations

import argparse
import asyncio
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
import shutil
import socket
import tempfile
import time
import tracemalloc

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from custom_components.wmbus.recalc import (
    DEFAULT_OUTBOX_LIMIT,
    Message,
    Outbox,
    Topics,
    data_messages,
    load_shipped_plans,
    publish_batch,
)

HOST = "127.0.0.1"
THROUGHPUT_BUDGET_PER_S = 880.0
MEMORY_BUDGET_BYTES = 1024.0
TOPICS = Topics("v2", "706462169")
OMNIPOWER = load_shipped_plans()["omnipower"]


def reading_messages(count: int) -> list[Message]:
    """``count`` messages shaped like a stream of OmniPower readings."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    messages: list[Message] = []
    for i in range(count // 4 + 1):
        values = {
            "total_energy_consumption_kwh": 12345.678 + i / 1000,
            "total_energy_production_kwh": 12.5,
            "current_power_consumption_w": 1000 + i % 500,
            "current_power_production_w": 0,
        }
        messages += data_messages(
            TOPICS,
            "kam",
            f"{32666857 + i % 50:08d}",
            values,
            start + timedelta(seconds=i),
            plan=OMNIPOWER,
        )
    return messages[:count]


def memory_per_message(count: int) -> float:
    """Bytes the outbox holds per queued message (payload strings included)."""
    messages = None
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    outbox = Outbox(limit=count)
    messages = reading_messages(count)
    outbox.extend(messages)
    del messages
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(outbox) == count
    return (after - before) / count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


async def throughput(count: int, port: int) -> float:
    """Messages/s drained from a full outbox to the broker, each confirmed at QoS 1."""
    loop = asyncio.get_running_loop()
    pending: dict[int, asyncio.Future[None]] = {}
    connected = asyncio.Event()
    client = paho.Client(CallbackAPIVersion.VERSION2)

    def on_connect(*_args: object) -> None:
        loop.call_soon_threadsafe(connected.set)

    def on_publish(_client: object, _userdata: object, mid: int, *_rest: object) -> None:
        def done() -> None:
            future = pending.pop(mid, None)
            if future is not None and not future.done():
                future.set_result(None)

        loop.call_soon_threadsafe(done)

    client.on_connect = on_connect
    client.on_publish = on_publish
    # paho's default window (20), as Home Assistant's MQTT client leaves it.
    client.connect(HOST, port)
    client.loop_start()
    await asyncio.wait_for(connected.wait(), 10)

    async def publish(topic: str, payload: str, qos: int) -> None:
        future: asyncio.Future[None] = loop.create_future()
        info = client.publish(topic, payload, qos)
        pending[info.mid] = future
        if info.is_published():  # the PUBACK beat us to it
            pending.pop(info.mid, None)
            return
        await future

    outbox = Outbox(limit=count)
    outbox.extend(reading_messages(count))
    started = time.perf_counter()
    while len(outbox):
        await publish_batch(outbox, publish)
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    assert outbox.published == count
    return count / elapsed


async def drain_rate(count: int, *, tcp_nodelay: bool) -> float:
    """Throughput against a fresh mosquitto, with its default settings or with TCP_NODELAY."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        config = Path(directory) / "mosquitto.conf"
        # Without TCP_NODELAY (mosquitto's default) the broker's PUBACKs wait on Nagle and
        # delayed ACKs (about 40 ms): the in-flight window then sets the pace.
        nodelay = "set_tcp_nodelay true\n" if tcp_nodelay else ""
        config.write_text(f"listener {port} {HOST}\nallow_anonymous true\n{nodelay}log_dest none\n")
        broker = await asyncio.create_subprocess_exec(binary, "-c", str(config))
        try:
            for _ in range(200):
                with suppress(OSError), socket.create_connection((HOST, port), timeout=0.1):
                    break
                await asyncio.sleep(0.02)
            return await throughput(count, port)
        finally:
            broker.terminate()
            await broker.wait()


async def main(count: int) -> None:
    rate = await drain_rate(count, tcp_nodelay=False)
    fast_rate = await drain_rate(count, tcp_nodelay=True)
    per_message = memory_per_message(DEFAULT_OUTBOX_LIMIT)
    rate_ok = "ok" if rate >= THROUGHPUT_BUDGET_PER_S else "OVER BUDGET"
    memory_ok = "ok" if per_message <= MEMORY_BUDGET_BYTES else "OVER BUDGET"
    print(
        f"outbox -> mosquitto (default settings), QoS 1, {count} messages: {rate:,.0f} messages/s "
        f"(budget >= {THROUGHPUT_BUDGET_PER_S:,.0f}) {rate_ok}"
    )
    print(f"outbox -> mosquitto with set_tcp_nodelay: {fast_rate:,.0f} messages/s")
    print(
        f"outbox memory, {DEFAULT_OUTBOX_LIMIT} queued data messages: "
        f"{per_message:,.0f} bytes/message, {per_message * DEFAULT_OUTBOX_LIMIT / 1e6:.1f} MB "
        f"at the bound (budget <= {MEMORY_BUDGET_BYTES:,.0f} bytes/message) {memory_ok}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    asyncio.run(main(parser.parse_args().messages))
