"""Two `python -m bot` processes on webhook behind a load balancer, sharing Redis and PostgreSQL.

Runs in the PostgreSQL run of the suite only: several processes on one database is what
PostgreSQL is there for (SQLite is the one-process setup).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.localapi import BotAPIStandin
from services.models import Application, Notification, Ticket, TicketEvent
from services.storage import Database
from tests.conftest import ON_POSTGRES
from tests.support.processes import FAST_TELEGRAM, fleet
from tests.support.running import eventually
from tests.support.walks import Walker, apply_for_certificate, report_problem
from tests.test_resident_requests import EAST_GATE_CHAT, INSIDE_EAST_GATE

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not ON_POSTGRES, reason="several processes: the PostgreSQL run"),
]
VERIFIERS = -1001  # STAFF_CHAT_ID, and so VERIFIER_CHAT_ID


@pytest.fixture
async def fast_standin() -> AsyncIterator[BotAPIStandin]:
    server = BotAPIStandin(limits=FAST_TELEGRAM)
    await server.start()
    server.group(EAST_GATE_CHAT, title="Grid 1 staff")
    server.group(VERIFIERS, title="Verifiers")
    yield server
    await server.stop()


def cards(standin: BotAPIStandin) -> Counter[str]:
    """New-ticket cards in the grid's staff chat, by request number."""
    return Counter(
        message["text"].split(" · ")[0].removeprefix("🆕 Request ")
        for message in standin.messages(EAST_GATE_CHAT)
        if (message.get("text") or "").startswith("🆕 Request ")
    )


def switched(backends: list[int]) -> bool:
    """Some consecutive answers of this person went to different processes."""
    return any(a != b for a, b in itertools.pairwise(backends))


async def rows(database_url: str) -> tuple[list[Ticket], list[TicketEvent], list[Notification]]:
    db = Database(database_url)
    try:
        async with db.session() as session:
            tickets = list((await session.exec(select(Ticket))).all())
            events = list((await session.exec(select(TicketEvent))).all())
            notes = list((await session.exec(select(Notification))).all())
            return tickets, events, notes
    finally:
        await db.close()


async def applications(database_url: str) -> list[Application]:
    db = Database(database_url)
    try:
        async with db.session() as session:
            return list((await session.exec(select(Application))).all())
    finally:
        await db.close()


async def test_two_processes_share_the_conversations_and_each_report_is_one_ticket(
    fast_standin: BotAPIStandin, postgres_server, redis_url: str, tmp_path: Path
) -> None:
    standin = fast_standin
    database_url = await postgres_server.create_database()
    residents = [standin.user(7000 + n, f"Resident {n}", language_code="en") for n in range(24)]
    tourist = standin.user(8000, "Dai", language_code="en")
    async with fleet(standin, tmp_path, database_url=database_url, redis_url=redis_url) as bots:
        walkers = [Walker(standin, resident) for resident in residents]
        *numbers, _ = await asyncio.gather(
            *(
                report_problem(walker, f"The drain by house {n} is blocked", INSIDE_EAST_GATE)
                for n, walker in enumerate(walkers)
            ),
            apply_for_certificate(Walker(standin, tourist)),
        )

        assert len(set(numbers)) == len(residents)
        await eventually(lambda: len(cards(standin)) == len(residents), within=60)
        await eventually(
            lambda: any(
                (m.get("caption") or "").startswith("🪪 Application")
                for m in standin.messages(VERIFIERS)
            ),
            within=30,
        )
        await asyncio.sleep(1)  # time for a duplicate to show, if one were coming
        assert set(cards(standin)) == set(numbers)
        assert max(cards(standin).values()) == 1, "a card was delivered twice"

        # The forms went back and forth between the processes and still finished.
        switches = [r for r in residents if switched(bots.backends_of(r.id))]
        assert len(switches) >= len(residents) // 2
        answered = Counter(backend for _, _, backend in bots.proxy.routes)
        assert min(answered.values()) >= len(bots.proxy.routes) // 3

    tickets, events, notes = await rows(database_url)
    assert sorted(t.number for t in tickets) == sorted(numbers)
    assert Counter(t.resident_id for t in tickets) == Counter({r.id: 1 for r in residents})
    created = Counter(e.ticket_id for e in events if e.kind == "created")
    assert all(created[t.id] == 1 for t in tickets)
    assert len(await applications(database_url)) == 1
    assert {n.state for n in notes} == {"delivered"}
