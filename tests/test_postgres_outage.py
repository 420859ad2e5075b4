"""PostgreSQL away for 30 seconds while residents report and staff reply.

Everything durable lives in PostgreSQL: update claims, tickets, the outbox. While it is away
each step gets a plain "send it again in a moment"; a step either happened whole or not at
all; what was done before stays done; and the notifications written before or after go out by
themselves once it is back. A real cluster of its own is stopped and started (the session's
shared one stays up for the other tests).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.localapi import BotAPIStandin
from tests.support.outcomes import staff_cards, stored
from tests.support.people import inline_buttons
from tests.support.running import bot_settings, start_bot
from tests.support.servers import PostgresServer
from tests.support.walks import TRY_AGAIN, Walker, report_problem, starts
from tests.test_resident_requests import EAST_GATE_CHAT, INSIDE_EAST_GATE

RESIDENTS = 8
OUTAGE_SECONDS = 30


@pytest.fixture
async def own_postgres() -> AsyncIterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


async def resident_reports(walker: Walker, n: int) -> str:
    await asyncio.sleep(n * 3)  # before, during and after the outage
    return await report_problem(walker, f"The drain by house {n} is blocked", INSIDE_EAST_GATE)


class Worker:
    """A staff member who takes each new card and replies to it, again when told to."""

    def __init__(self, standin: BotAPIStandin, walkers: list[Walker]) -> None:
        self.standin = standin
        self.me = standin.user(111111, "Wang Fang", language_code="en")
        standin.add_member(EAST_GATE_CHAT, self.me.id)
        self.residents = {w.person.id: w for w in walkers}
        self.told_to_try_again = 0
        self.replied: set[str] = set()

    def _group_says(self, since: int, prefix: str) -> bool:
        return any(
            (m.get("text") or "").startswith(prefix)
            for m in self.standin.messages(EAST_GATE_CHAT)[since:]
        )

    async def _until(self, act, done, patience: float = 150) -> None:
        """Do it; do it again only when told to, as a person would (no answer: wait)."""
        deadline = time.monotonic() + patience
        since = len(self.standin.messages(EAST_GATE_CHAT))
        act()
        while time.monotonic() < deadline:
            if done():
                return
            if self._group_says(since, TRY_AGAIN):
                self.told_to_try_again += 1
                await asyncio.sleep(3)
                since = len(self.standin.messages(EAST_GATE_CHAT))
                act()
            await asyncio.sleep(0.1)
        raise AssertionError("the staff step was never done")

    async def work(self, expected: int) -> None:
        while len(self.replied) < expected:
            for card in list(self.standin.messages(EAST_GATE_CHAT)):
                text = card.get("text") or ""
                if not text.startswith("🆕 Request "):
                    continue
                number = text.split(" · ")[0].removeprefix("🆕 Request ")
                if number in self.replied:
                    continue
                await self.take_and_reply(card, number)
                self.replied.add(number)
            await asyncio.sleep(0.5)

    def _resident_got(self, needle: str) -> bool:
        return any(
            needle in (m.get("text") or "")
            for person in self.residents
            for m in self.standin.messages(person)
        )

    async def take_and_reply(self, card: dict, number: str) -> None:
        take = inline_buttons(card)["🙋 Take"]
        await self._until(
            lambda: self.standin.press_button(self.me, card, take),
            lambda: self._resident_got(f"Your request {number} has been taken"),
        )
        words = f"We clear the drain of {number} tomorrow."
        await self._until(
            lambda: self.standin.send_message(self.me, words, chat=EAST_GATE_CHAT, reply_to=card),
            lambda: self._resident_got(words),
        )


async def test_a_database_outage_gets_a_clear_answer_and_loses_nothing(
    standin: BotAPIStandin, own_postgres: PostgresServer, tmp_path: Path
) -> None:
    standin.group(EAST_GATE_CHAT, title="Grid 1 staff")
    database_url = await own_postgres.create_database()
    walkers = [
        Walker(standin, standin.user(30_000 + n, f"R{n}", language_code="en"), patience=150)
        for n in range(RESIDENTS)
    ]
    worker = Worker(standin, walkers)
    bot = await start_bot(
        standin, bot_settings(standin, database_url=database_url, data_dir=tmp_path / "data")
    )
    try:
        reports = asyncio.gather(*(resident_reports(w, n) for n, w in enumerate(walkers)))
        staff = asyncio.create_task(worker.work(RESIDENTS))
        await asyncio.sleep(7)
        own_postgres.stop()
        await asyncio.sleep(OUTAGE_SECONDS)
        own_postgres.start()
        numbers = await reports
        await asyncio.wait_for(staff, 180)
        await asyncio.sleep(2)  # a message sent twice would show by now
    finally:
        await bot.stop()

    # People met the outage halfway through and were told plainly to send it again.
    assert sum(w.told_to_try_again for w in walkers) + worker.told_to_try_again >= 3
    for walker in walkers:
        seen = [m.get("text") or "" for m in walker.seen]
        assert not [t for t in seen if t.startswith("Sorry") and not t.startswith(TRY_AGAIN)]
        assert len([m for m in walker.seen if starts("This sounds like")(m)]) == 1  # form kept
    # Every completed step survived; nothing is half-written or doubled.
    rows = await stored(database_url)
    assert sorted(t.number for t in rows.tickets) == sorted(numbers)
    assert Counter(t.resident_id for t in rows.tickets) == Counter(
        {w.person.id: 1 for w in walkers}
    )
    assert rows.half_written_tickets() == []
    assert staff_cards(standin) == Counter({number: 1 for number in numbers})
    for walker in walkers:
        replies = [
            m
            for m in standin.messages(walker.person.id)
            if "We clear the drain" in (m.get("text") or "")
        ]
        assert len(replies) == 1, (
            f"{walker.person.first_name} got the staff reply {len(replies)} times"
        )
    assert {n.state for n in rows.notifications} == {"delivered"}
