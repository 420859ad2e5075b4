"""Embedded mode: a committed notification reaches the sender in memory, and still nothing is
lost or sent twice (services.outbox `handoff`, services.queue MemoryQueue, bot.sender).

Real parts: the aiogram client, the Bot API stand-in over HTTP, the database (SQLite or
PostgreSQL, as the suite runs).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram import Bot

from bot.factory import build_bot
from bot.localapi import BotAPIStandin
from bot.sender import Sender
from services.migrate import upgrade_to_head
from services.outbox import DELIVERED, QUEUED, Outbox, Outgoing
from services.queue import MemoryQueue
from services.ratelimit import FloodLimits, MemoryRateLimiter, Window
from services.relay import Relay
from services.storage import Database
from tests.support.running import bot_settings, eventually

LIMITS = FloodLimits(overall=Window(1000, 1.0), group=Window(1000, 1.0), private=Window(100, 0.1))


@dataclass
class Embedded:
    standin: BotAPIStandin
    db: Database
    outbox: Outbox
    bot: Bot

    def sender(self, queue: MemoryQueue) -> Sender:
        return Sender(self.bot, self.outbox, queue, MemoryRateLimiter(LIMITS))


@pytest.fixture
async def embedded(tmp_path: Path, database_url: str) -> AsyncIterator[Embedded]:
    standin = BotAPIStandin()
    await standin.start()
    db = Database(database_url)
    await upgrade_to_head(db)
    bot = build_bot(bot_settings(standin, data_dir=tmp_path, database_url=database_url))
    yield Embedded(standin, db, Outbox(db), bot)
    await bot.session.close()
    await db.close()
    await standin.stop()


def texts(standin: BotAPIStandin, chat_id: int) -> list[str]:
    return [message["text"] for message in standin.messages(chat_id)]


async def running(sender: Sender, stop: asyncio.Event) -> asyncio.Task[None]:
    task = asyncio.create_task(sender.run(stop))
    await eventually(lambda: sender.outbox.handoff is not None)
    return task


async def test_committed_rows_reach_the_sender_without_the_relay(embedded: Embedded) -> None:
    """No relay runs here: what arrives was handed over in memory, once each, in order."""
    chats = [embedded.standin.user(7000 + n, f"R{n}").id for n in range(5)]
    stop = asyncio.Event()
    task = await running(embedded.sender(MemoryQueue()), stop)
    try:
        for turn in range(4):
            await asyncio.gather(
                *(embedded.outbox.send(Outgoing.text(chat, f"{chat} #{turn}")) for chat in chats)
            )
        await eventually(lambda: all(len(embedded.standin.messages(c)) >= 4 for c in chats))
        await asyncio.sleep(0.3)  # a second copy would show by now
    finally:
        stop.set()
        await task
    for chat in chats:
        assert texts(embedded.standin, chat) == [f"{chat} #{turn}" for turn in range(4)]
    assert await embedded.outbox.counts() == {DELIVERED: 20}


async def test_a_rolled_back_notification_is_never_sent(embedded: Embedded) -> None:
    chat = embedded.standin.user(7100, "R").id
    stop = asyncio.Event()
    queue = MemoryQueue()
    task = await running(embedded.sender(queue), stop)
    try:
        async with embedded.db.session() as session:
            embedded.outbox.add(session, Outgoing.text(chat, "never"))
            await session.flush()
            await session.rollback()
        await embedded.outbox.send(Outgoing.text(chat, "after"))
        await eventually(lambda: texts(embedded.standin, chat) == ["after"])
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        await task
    assert texts(embedded.standin, chat) == ["after"]
    assert not queue.in_hand()


async def test_a_crash_after_the_commit_leaves_the_row_for_the_sweep(embedded: Embedded) -> None:
    """The process died with the row in its memory only: it waits as queued, and the relay of
    the next process puts it back and it is sent, once."""
    chat = embedded.standin.user(7200, "R").id
    embedded.outbox.handoff = MemoryQueue()  # the dead process's queue: nobody reads it
    await embedded.outbox.send(Outgoing.text(chat, "committed, then the process died"))
    embedded.outbox.handoff = None
    assert await embedded.outbox.counts() == {QUEUED: 1}
    await asyncio.sleep(0.3)
    assert texts(embedded.standin, chat) == []

    queue, stop = MemoryQueue(), asyncio.Event()
    relay = Relay(embedded.outbox, queue, poll_seconds=0.05, stale_after=timedelta(0))
    sending = await running(embedded.sender(queue), stop)
    relaying = asyncio.create_task(relay.run(stop))
    try:
        await embedded.outbox.send(Outgoing.text(chat, "after the restart"))
        await eventually(lambda: len(texts(embedded.standin, chat)) >= 2)
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        await asyncio.gather(sending, relaying)
    assert sorted(texts(embedded.standin, chat)) == [
        "after the restart",
        "committed, then the process died",
    ]
    assert await embedded.outbox.counts() == {DELIVERED: 2}


async def test_a_swept_row_and_handed_rows_of_one_chat_go_once_each(
    embedded: Embedded,
) -> None:
    """A row another process wrote (pending, for the relay) and rows this process handed over,
    to one chat: the read-back for the swept row leaves the handed ones to their entries."""
    chat = embedded.standin.user(7300, "R").id
    await embedded.outbox.send(Outgoing.text(chat, "from another process"))
    queue, stop = MemoryQueue(), asyncio.Event()
    sending = await running(embedded.sender(queue), stop)
    try:
        await asyncio.gather(
            *(embedded.outbox.send(Outgoing.text(chat, f"handed {n}")) for n in range(3))
        )
        await Relay(embedded.outbox, queue).run_once()
        await eventually(lambda: len(texts(embedded.standin, chat)) >= 4)
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        await sending
    said = texts(embedded.standin, chat)
    assert sorted(said) == ["from another process", "handed 0", "handed 1", "handed 2"]
    assert await embedded.outbox.counts() == {DELIVERED: 4}
