"""Two `python -m bot` processes on webhook behind a load balancer, sharing Redis and PostgreSQL.

Runs in the PostgreSQL run of the suite only: several processes on one database is what
PostgreSQL is there for (SQLite is the one-process setup).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from pathlib import Path

import pytest

from bot.localapi import BotAPIStandin
from tests.support.outcomes import staff_cards, stored, verifier_cards
from tests.support.processes import fleet
from tests.support.running import eventually
from tests.support.walks import Walker, apply_for_certificate, report_problem
from tests.test_resident_requests import INSIDE_EAST_GATE

pytestmark = [
    pytest.mark.redis,
    pytest.mark.processes,  # the test command runs these in its PostgreSQL run only
]


def switched(backends: list[int]) -> bool:
    """Some consecutive answers of this person went to different processes."""
    return any(a != b for a, b in itertools.pairwise(backends))


async def test_two_processes_share_the_conversations_and_each_report_is_one_ticket(
    fast_standin: BotAPIStandin, postgres_server, redis_url: str, tmp_path: Path
) -> None:
    standin = fast_standin
    database_url = await postgres_server.create_database()
    residents = [standin.user(7000 + n, f"Resident {n}", language_code="en") for n in range(16)]
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
        await eventually(lambda: len(staff_cards(standin)) == len(residents), within=60)
        await eventually(lambda: verifier_cards(standin), within=30)
        await asyncio.sleep(1)  # time for a duplicate to show, if one were coming
        assert set(staff_cards(standin)) == set(numbers)
        assert max(staff_cards(standin).values()) == 1, "a card was delivered twice"

        # The forms went back and forth between the processes and still finished.
        switches = [r for r in residents if switched(bots.backends_of(r.id))]
        assert len(switches) >= len(residents) // 2
        answered = Counter(backend for _, _, backend in bots.proxy.routes)
        assert min(answered.values()) >= len(bots.proxy.routes) // 3

    rows = await stored(database_url)
    assert sorted(t.number for t in rows.tickets) == sorted(numbers)
    assert Counter(t.resident_id for t in rows.tickets) == Counter({r.id: 1 for r in residents})
    assert rows.half_written_tickets() == []
    assert len(rows.applications) == 1
    assert verifier_cards(standin) == Counter({f"A{rows.applications[0].id}": 1})
    assert {n.state for n in rows.notifications} == {"delivered"}
