"""A chat's notifications are sent by one process at a time, however long Telegram makes it wait.

Real parts: a redis-server, two senders in one event loop as two processes would share Redis,
the Bot API stand-in answering 429 with a retry_after longer than the chat lock.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.sender import Sender
from services.outbox import DELIVERED, Outgoing
from services.queue import RedisStreamQueue
from services.ratelimit import RedisRateLimiter
from tests import test_delivery
from tests.support.running import eventually
from tests.test_delivery import SENDER_LIMITS, Delivery, residents, texts

pytestmark = pytest.mark.redis
delivery = test_delivery.delivery  # the fixture: a stand-in, Redis, the outbox and a relay
LOCK_SECONDS = 1.0


def sender(delivery: Delivery, consumer: str) -> Sender:
    return Sender(
        delivery.bot,
        delivery.outbox,
        RedisStreamQueue(delivery.redis, lock_seconds=LOCK_SECONDS),
        RedisRateLimiter(delivery.redis, SENDER_LIMITS),
        consumer=consumer,
        claim_idle_seconds=0.3,  # the second takes over the first's entries at once
        backoff_base=0.05,
    )


async def test_a_sender_waiting_out_a_429_keeps_its_chat_and_nothing_arrives_twice(
    delivery: Delivery,
) -> None:
    [chat] = residents(delivery.standin, 1)
    delivery.standin.set_fault_rate(0.0, statuses=(429,), retry_after=4)  # 4 lock times
    delivery.standin.fail_next(429)
    await delivery.outbox.send(Outgoing.text(chat, "Your request 1 was taken"))
    await delivery.relay.run_once()

    stop = asyncio.Event()
    first = asyncio.create_task(sender(delivery, "process-a").run(stop))
    await eventually(lambda: delivery.standin.injected_faults == 1, within=10)
    second = asyncio.create_task(sender(delivery, "process-b").run(stop))
    try:
        await eventually(lambda: texts(delivery.standin, chat), within=15)
        await asyncio.sleep(2 * LOCK_SECONDS)  # a second copy would come now
    finally:
        stop.set()
        await asyncio.gather(first, second)
    assert texts(delivery.standin, chat) == ["Your request 1 was taken"]
    assert await delivery.outbox.counts() == {DELIVERED: 1}
