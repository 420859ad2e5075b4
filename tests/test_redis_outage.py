"""Redis away for 30 seconds while residents report: a clear "send it again", nothing lost.

Redis keeps half-filled forms, per-person locks, the flood guard and the notification
streams. While it is away every step gets the answer to send it again in a minute (the
form so far is kept: Redis writes an append-only file, as the compose file sets up);
tickets already filed stay in PostgreSQL and their cards wait in the outbox until Redis is
back. Runs in the PostgreSQL run of the suite only, like tests/test_processes.py.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from bot.localapi import BotAPIStandin
from tests.support.outcomes import staff_cards, stored
from tests.support.processes import fleet
from tests.support.running import eventually
from tests.support.servers import RedisServer
from tests.support.walks import TRY_AGAIN, Walker, report_problem, starts
from tests.test_resident_requests import INSIDE_EAST_GATE

pytestmark = [
    pytest.mark.redis,
    pytest.mark.processes,  # the test command runs these in its PostgreSQL run only
]
RESIDENTS = 24
OUTAGE_SECONDS = 30


async def resident_reports(walker: Walker, n: int) -> str:
    await asyncio.sleep(n * 1.5)  # they come one after another, before, during and after
    return await report_problem(walker, f"The drain by house {n} is blocked", INSIDE_EAST_GATE)


async def test_a_redis_outage_gets_a_clear_answer_and_loses_nothing(
    fast_standin: BotAPIStandin, postgres_server, tmp_path: Path
) -> None:
    standin = fast_standin
    redis = RedisServer(tmp_path / "redis", persistent=True)
    (tmp_path / "redis").mkdir()
    redis.start()
    database_url = await postgres_server.create_database()
    walkers = [
        Walker(standin, standin.user(30_000 + n, f"R{n}", language_code="en"), patience=120)
        for n in range(RESIDENTS)
    ]
    try:
        async with fleet(
            standin, tmp_path, database_url=database_url, redis_url=redis.url, clean_logs=False
        ):
            reports = asyncio.gather(*(resident_reports(w, n) for n, w in enumerate(walkers)))
            await asyncio.sleep(6)
            redis.stop()
            await asyncio.sleep(OUTAGE_SECONDS)
            redis.start()
            numbers = await reports
            await eventually(lambda: len(staff_cards(standin)) >= RESIDENTS, within=90)
            await asyncio.sleep(2)  # a card sent twice would show by now
    finally:
        redis.stop()

    # The outage met people halfway through, and they were told plainly to send it again.
    assert sum(w.told_to_try_again for w in walkers) >= RESIDENTS // 4
    for walker in walkers:
        seen = [m.get("text") or "" for m in walker.seen]
        assert not [t for t in seen if t.startswith("Sorry") and not t.startswith(TRY_AGAIN)]
        # their form was kept: nobody had to start over
        assert len([m for m in walker.seen if starts("This sounds like")(m)]) == 1
    # Nothing accepted was lost, nothing doubled.
    rows = await stored(database_url)
    assert Counter(t.resident_id for t in rows.tickets) == Counter(
        {w.person.id: 1 for w in walkers}
    )
    assert sorted(t.number for t in rows.tickets) == sorted(numbers)
    assert rows.half_written_tickets() == []
    assert staff_cards(standin) == Counter({number: 1 for number in numbers})
    assert {n.state for n in rows.notifications} == {"delivered"}
