"""ReCalc's outbox and link: messages kept in order until MQTT confirms them.

No Home Assistant import: the bridge hands in ``publish`` and ``subscribe`` callables and
reports the connection status; this module never learns where a message goes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

from .protocol import Message, Topics

DEFAULT_OUTBOX_LIMIT: Final = 10_000
QOS_AT_LEAST_ONCE: Final = 1


# --- outbox ----------------------------------------------------------------------------


@dataclass(slots=True)
class Outbox:
    """Messages waiting for MQTT, oldest first; bounded, the oldest dropped and counted.

    ``snapshot()`` returns an immutable copy (cached until the next change) for persistence.
    """

    limit: int = DEFAULT_OUTBOX_LIMIT
    dropped: int = 0
    published: int = 0
    _messages: deque[Message] = field(default_factory=deque)
    _snapshot: tuple[Message, ...] | None = None

    def __len__(self) -> int:
        return len(self._messages)

    def extend(self, messages: Iterable[Message]) -> None:
        """Queue messages in order; overflow drops the oldest."""
        for message in messages:
            self._messages.append(message)
        overflow = len(self._messages) - self.limit
        for _ in range(max(overflow, 0)):
            self._messages.popleft()
            self.dropped += 1
        self._snapshot = None

    def head(self, count: int) -> list[Message]:
        """Up to ``count`` messages from the front, not removed."""
        return [self._messages[i] for i in range(min(count, len(self._messages)))]

    def confirm(self, messages: Iterable[Message]) -> None:
        """Remove published messages from the front (those dropped meanwhile are skipped).

        Messages are compared by identity: two equal payloads queued twice stay two messages.
        """
        for message in messages:
            if self._messages and self._messages[0] is message:
                self._messages.popleft()
                self.published += 1
                self._snapshot = None

    def snapshot(self) -> tuple[Message, ...]:
        """The queue as an immutable tuple."""
        if self._snapshot is None:
            self._snapshot = tuple(self._messages)
        return self._snapshot

    def restore(self, messages: Iterable[Iterable[str]], dropped: int) -> None:
        """Put persisted messages back in front of anything queued since (order kept)."""
        queued = list(self._messages)
        self._messages.clear()
        self.extend([(str(t), str(p)) for t, p in messages])
        self.extend(queued)
        self.dropped += dropped


# --- publishing ------------------------------------------------------------------------

type PublishFn = Callable[[str, str, int], Awaitable[None]]

# Messages handed to MQTT at once. They go out in order; a message is removed only once it
# and every message before it are confirmed, so a failure leaves at most this many in flight
# that may arrive twice (QoS 1 is at-least-once anyway). A broker with mosquitto's default
# settings delays each PUBACK by about 40 ms, so the window sets the drain rate: 16 gave
# 370 messages/s there, 64 gives about 1,400 (tools/bench_outbox).
MAX_IN_FLIGHT: Final = 64


async def publish_batch(outbox: Outbox, publish: PublishFn) -> bool:
    """Publish the front of the outbox once; True if all of it was confirmed.

    The confirmed prefix is removed; the first unconfirmed message and everything after it
    stay queued, in order, for the next attempt. A raise from ``publish`` means "not
    confirmed", not "not sent": the message may still arrive, so duplicates are possible.
    """
    batch = outbox.head(MAX_IN_FLIGHT)
    if not batch:
        return True
    results = await asyncio.gather(
        *(publish(topic, payload, QOS_AT_LEAST_ONCE) for topic, payload in batch),
        return_exceptions=True,
    )
    confirmed: list[Message] = []
    for message, result in zip(batch, results, strict=True):
        if isinstance(result, BaseException):
            break
        confirmed.append(message)
    outbox.confirm(confirmed)
    return len(confirmed) == len(batch)


type MessageHandler = Callable[[bytes], None]
type SubscribeFn = Callable[[str, MessageHandler], Awaitable[Callable[[], None]]]

# After a publish that was not confirmed while MQTT still reports a connection.
RETRY_DELAY_S: Final = 1.0


class RecalcLink:
    """One gateway id's conversation with ReCalc: subscriptions, outbox and in-order flushing.

    Publishing is gated on the connection status the caller reports through
    ``set_connected`` (and on ``paused``), not on exceptions alone. ``run`` is the one flushing
    task; the caller starts and cancels it.
    """

    def __init__(
        self,
        topics: Topics,
        outbox: Outbox,
        *,
        publish: PublishFn,
        subscribe: SubscribeFn,
        on_command: MessageHandler,
        on_stop: MessageHandler,
        on_outbox_change: Callable[[], None],
    ) -> None:
        self.topics = topics
        self.outbox = outbox
        self.connected = False
        self.paused = False
        self._publish = publish
        self._subscribe = subscribe
        self._on_command = on_command
        self._on_stop = on_stop
        self._on_outbox_change = on_outbox_change
        self._unsubscribes: list[Callable[[], None]] = []
        self._wake = asyncio.Event()

    @property
    def attached(self) -> bool:
        """Whether the command and STOP topics are subscribed."""
        return bool(self._unsubscribes)

    async def attach(self) -> None:
        """Subscribe to the command and STOP topics (raises what ``subscribe`` raises)."""
        if self.attached:
            return
        self._unsubscribes.append(await self._subscribe(self.topics.command, self._on_command))
        self._unsubscribes.append(await self._subscribe(self.topics.stop, self._on_stop))

    def detach(self) -> None:
        """Drop the subscriptions; queued messages stay queued."""
        while self._unsubscribes:
            self._unsubscribes.pop()()

    def set_connected(self, connected: bool) -> None:
        """Follow MQTT's connection status; a reconnect starts the flush."""
        self.connected = connected
        self._wake.set()

    def set_paused(self, paused: bool) -> None:
        """Pause or resume publishing (the queue is kept)."""
        self.paused = paused
        self._wake.set()

    def queue(self, messages: Iterable[Message]) -> None:
        """Queue messages in order and flush if MQTT can take them."""
        self.outbox.extend(messages)
        self._on_outbox_change()
        self._wake.set()

    def can_publish(self) -> bool:
        """Whether messages may go out now."""
        return self.connected and not self.paused

    async def run(self) -> None:
        """Flush the outbox whenever publishing is possible; runs until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.can_publish() and len(self.outbox):
                complete = await publish_batch(self.outbox, self._publish)
                self._on_outbox_change()
                if not complete:
                    # Not confirmed although MQTT said it was connected: the status change
                    # usually follows; otherwise try again shortly.
                    await asyncio.sleep(RETRY_DELAY_S)
