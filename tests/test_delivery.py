"""Notifications reach people once, in order, within Telegram's flood limits, whatever fails.

Real parts: a redis-server, the aiogram client, the Bot API stand-in over HTTP, SQLite.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiogram import Bot
from redis.asyncio import Redis

from bot.factory import build_bot
from bot.localapi import BotAPIStandin, Limits
from bot.sender import Sender
from services.migrate import upgrade_to_head
from services.outbox import DELIVERED, UNREACHABLE, Outbox, Outgoing, Priority
from services.queue import RedisStreamQueue
from services.ratelimit import FloodLimits, RedisRateLimiter, Window
from services.relay import Relay
from services.storage import Database
from tests.support.running import bot_settings, eventually
from tests.support.servers import RedisServer

pytestmark = pytest.mark.redis

# The stand-in plays Telegram at a hundred times the speed; the sender is set a little under it.
FAST_TELEGRAM = Limits(
    private_burst=3,
    private_per_second=100.0,
    group_messages=20,
    group_window=0.6,
    global_messages=300,
    global_window=1.0,
)
SENDER_LIMITS = FloodLimits(
    overall=Window(270, 1.0), group=Window(18, 0.6), private=Window(3, 0.033)
)


@dataclass
class Delivery:
    standin: BotAPIStandin
    db: Database
    outbox: Outbox
    redis: Redis
    bot: Bot
    relay: Relay

    def sender(self, consumer: str, **options: object) -> Sender:
        options.setdefault("backoff_base", 0.05)
        options.setdefault("claim_idle_seconds", 0.5)
        return Sender(
            self.bot,
            self.outbox,
            RedisStreamQueue(self.redis, lock_seconds=5),
            RedisRateLimiter(self.redis, SENDER_LIMITS),
            consumer=consumer,
            **options,  # type: ignore[arg-type]
        )

    async def states(self) -> dict[str, int]:
        return await self.outbox.counts()


@pytest.fixture
async def delivery(tmp_path: Path, redis_url: str, database_url: str) -> AsyncIterator[Delivery]:
    standin = BotAPIStandin(limits=FAST_TELEGRAM)
    await standin.start()
    db = Database(database_url)
    await upgrade_to_head(db)
    redis = Redis.from_url(redis_url)
    bot = build_bot(bot_settings(standin, data_dir=tmp_path, database_url=database_url))
    outbox = Outbox(db)
    yield Delivery(standin, db, outbox, redis, bot, Relay(outbox, RedisStreamQueue(redis)))
    await bot.session.close()
    await redis.aclose()
    await db.close()
    await standin.stop()
    assert standin.too_many_requests == 0, "the stand-in had to answer 429: the limiter leaked"


def residents(standin: BotAPIStandin, count: int) -> list[int]:
    return [standin.user(5000 + n, f"R{n}", language_code="en").id for n in range(count)]


async def run_until_delivered(delivery: Delivery, sender: Sender, expected: int) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    try:
        await eventually(lambda: _delivered(delivery) >= expected, within=30)
    finally:
        stop.set()
        await task


def _delivered(delivery: Delivery) -> int:
    return sum(len(delivery.standin.messages(chat)) for chat in delivery.standin.state.chats)


def texts(standin: BotAPIStandin, chat_id: int) -> list[str]:
    return [message["text"] for message in standin.messages(chat_id)]


async def test_a_dead_sender_is_taken_over_and_nothing_arrives_twice(delivery: Delivery) -> None:
    chats = residents(delivery.standin, 10)
    await delivery.outbox.send(
        *(Outgoing.text(chat, f"update {n} for {chat}") for n in range(6) for chat in chats)
    )
    await delivery.relay.run_once()

    first = delivery.sender("sender-a")
    stop_first = asyncio.Event()
    running = asyncio.create_task(first.run(stop_first))
    await eventually(lambda: _delivered(delivery) >= 15, within=20)
    running.cancel()  # the process dies mid-delivery: its entries stay pending in Redis
    await asyncio.gather(running, return_exceptions=True)
    assert _delivered(delivery) < 60

    await run_until_delivered(delivery, delivery.sender("sender-b"), 60)
    for chat in chats:
        assert texts(delivery.standin, chat) == [f"update {n} for {chat}" for n in range(6)]
    assert (await delivery.states()) == {DELIVERED: 60}


async def test_failing_telegram_still_gets_each_message_once_in_order(delivery: Delivery) -> None:
    chats = residents(delivery.standin, 8)
    delivery.standin.set_fault_rate(0.2, statuses=(429, 502), seed=7, retry_after=1)
    await delivery.outbox.send(
        *(Outgoing.text(chat, f"step {n}") for n in range(5) for chat in chats)
    )
    await delivery.relay.run_once()
    await run_until_delivered(delivery, delivery.sender("sender-a"), 40)
    assert delivery.standin.injected_faults > 0
    for chat in chats:
        assert texts(delivery.standin, chat) == [f"step {n}" for n in range(5)]


async def test_a_burst_stays_within_the_flood_limits(delivery: Delivery) -> None:
    staff = delivery.standin.group(-100500, title="Staff", forum=False).id
    chats = residents(delivery.standin, 50)
    burst = [Outgoing.text(staff, f"card {n}") for n in range(100)]
    burst += [Outgoing.text(chat, f"reply {n}") for n in range(4) for chat in chats]
    await delivery.outbox.send(*burst)
    await delivery.relay.run_once()
    await run_until_delivered(delivery, delivery.sender("sender-a", concurrency=16), 300)
    assert texts(delivery.standin, staff) == [f"card {n}" for n in range(100)]
    assert delivery.standin.too_many_requests == 0


async def test_a_person_who_blocked_the_bot_does_not_stall_the_queue(delivery: Delivery) -> None:
    blocked, other = residents(delivery.standin, 2)
    delivery.standin.block_user(blocked)
    await delivery.outbox.send(
        *(Outgoing.text(chat, f"news {n}") for n in range(4) for chat in (blocked, other))
    )
    await delivery.relay.run_once()
    await run_until_delivered(delivery, delivery.sender("sender-a"), 4)
    await eventually(lambda: True)
    states = await delivery.states()
    assert states == {DELIVERED: 4, UNREACHABLE: 4}
    assert texts(delivery.standin, other) == [f"news {n}" for n in range(4)]


async def test_a_waiting_resident_is_not_stuck_behind_bulk_messages(delivery: Delivery) -> None:
    staff = delivery.standin.group(-100501, title="Staff").id
    [resident] = residents(delivery.standin, 1)
    await delivery.outbox.send(
        *(Outgoing.text(staff, f"digest {n}", priority=Priority.BULK) for n in range(60))
    )
    await delivery.relay.run_once()
    stop = asyncio.Event()
    task = asyncio.create_task(delivery.sender("sender-a", concurrency=1).run(stop))
    try:
        await eventually(lambda: len(delivery.standin.messages(staff)) >= 5)
        await delivery.outbox.send(
            Outgoing.text(resident, "Staff replied to your request", priority=Priority.URGENT)
        )
        await delivery.relay.run_once()
        await eventually(lambda: delivery.standin.messages(resident), within=5)
        assert len(delivery.standin.messages(staff)) < 60
    finally:
        stop.set()
        await task


async def test_notifications_wait_out_a_redis_outage(
    standin: BotAPIStandin, run_bot, redis_server: RedisServer, redis_url: str
) -> None:
    """State changes keep succeeding while Redis is down; their messages follow when it returns."""
    bot = await run_bot(redis_url=redis_url)
    chats = residents(standin, 3)
    db = Database(bot.settings.effective_database_url)
    outbox = Outbox(db)
    try:
        redis_server.stop()
        await outbox.send(
            *(Outgoing.text(chat, f"while down {n}") for n in range(3) for chat in chats)
        )
        await asyncio.sleep(1.0)
        assert all(standin.messages(chat) == [] for chat in chats)

        redis_server.start()
        await eventually(lambda: all(len(standin.messages(chat)) == 3 for chat in chats), within=40)
        for chat in chats:
            assert texts(standin, chat) == [f"while down {n}" for n in range(3)]
    finally:
        if redis_server.process is None:
            redis_server.start()
        await db.close()


async def test_embedded_mode_delivers_without_redis_even_across_a_restart(
    standin: BotAPIStandin, run_bot
) -> None:
    bot = await run_bot()
    [chat] = residents(standin, 1)
    db = Database(bot.settings.effective_database_url)
    try:
        await Outbox(db).send(Outgoing.text(chat, "first"))
        await eventually(lambda: texts(standin, chat) == ["first"])
        await bot.stop()
        await Outbox(db).send(Outgoing.text(chat, "written while the bot was down"))
        await run_bot(data_dir=bot.settings.data_dir)
        await eventually(
            lambda: texts(standin, chat) == ["first", "written while the bot was down"]
        )
    finally:
        await db.close()


async def test_an_admin_sees_dead_letters_and_retries_one(standin: BotAPIStandin, run_bot) -> None:
    admin = standin.user(42, "Lin", language_code="zh")
    [resident] = residents(standin, 1)
    standin.block_user(resident)
    bot = await run_bot(admin_ids="42")
    db = Database(bot.settings.effective_database_url)
    try:
        [notification_id] = await Outbox(db).send(
            Outgoing.text(resident, "Your ticket is resolved")
        )
        await eventually(lambda: standin.calls("sendMessage"))
        standin.send_command(admin, "/deadletters")
        [listing] = await standin.wait_for_messages(admin.id)
        assert listing["text"].startswith("未能送达的通知（最新的在前）：")
        assert f"#{notification_id} 发往会话 {resident}" in listing["text"]
        assert "对方已屏蔽机器人" in listing["text"]
        assert "Your ticket is resolved" in listing["text"]

        standin.unblock_user(resident)
        query = standin.press_button(admin, listing, f"dl:{notification_id}")
        await eventually(lambda: standin.callback_answers(query))
        assert standin.callback_answers(query)[0]["text"] == f"#{notification_id} 已重新排队发送。"
        await eventually(lambda: texts(standin, resident) == ["Your ticket is resolved"])

        stranger = standin.user(43, "Eve", language_code="en")
        standin.send_command(stranger, "/deadletters")
        [refusal] = await standin.wait_for_messages(stranger.id)
        assert refusal["text"] == "This command is for administrators only."
        forged = standin.press_button(stranger, listing, f"dl:{notification_id}")
        await eventually(lambda: standin.callback_answers(forged))
        assert standin.callback_answers(forged)[0]["text"] == (
            "This button is for administrators only."
        )
    finally:
        await db.close()
