"""Redis away while residents report, staff press and reply, a verifier decides: a clear
"send it again", nothing lost.

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
from tests.support.people import inline_buttons
from tests.support.processes import fleet
from tests.support.running import bot_settings, eventually, start_bot
from tests.support.servers import RedisServer
from tests.support.walks import TRY_AGAIN, Walker, apply_for_certificate, report_problem, starts
from tests.test_postgres_outage import Worker
from tests.test_resident_requests import EAST_GATE_CHAT, INSIDE_EAST_GATE
from tests.test_tourist_certificates import VERIFIERS

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


async def test_a_redis_outage_meets_staff_presses_and_the_verifier_chat(
    standin: BotAPIStandin, database_url: str, tmp_path: Path
) -> None:
    """Staff take and answer requests, a verifier approves, all while Redis is away."""
    standin.group(EAST_GATE_CHAT, title="Grid 1 staff")
    verifiers = standin.group(VERIFIERS, title="Verifiers")
    officer = standin.user(9001, "Officer Zhou", language_code="en")
    standin.add_member(verifiers.id, officer.id)
    (tmp_path / "redis").mkdir()
    redis = RedisServer(tmp_path / "redis", persistent=True)
    redis.start()
    walkers = [
        Walker(standin, standin.user(31_000 + n, f"S{n}", language_code="en"), patience=120)
        for n in range(3)
    ]
    tourist = Walker(standin, standin.user(32_000, "Dai", language_code="en"), patience=120)
    worker = Worker(standin, walkers)
    settings = bot_settings(
        standin, database_url=database_url, data_dir=tmp_path / "data", redis_url=redis.url
    )
    bot = await start_bot(standin, settings)
    try:
        numbers = await asyncio.gather(
            *(
                report_problem(w, f"The lamp by house {n} is out", INSIDE_EAST_GATE)
                for n, w in enumerate(walkers)
            )
        )
        await apply_for_certificate(tourist)
        card = await eventually(
            lambda: next(
                (m for m in standin.messages(VERIFIERS) if m.get("caption", "").startswith("🪪")),
                None,
            ),
            within=15,
        )
        await eventually(lambda: len(staff_cards(standin)) == len(walkers), within=15)
        redis.stop()
        staff = asyncio.create_task(worker.work(len(walkers)))
        approve = inline_buttons(card)["✅ Approve"]
        told_before = len(
            [m for m in standin.messages(VERIFIERS) if (m.get("text") or "").startswith(TRY_AGAIN)]
        )
        standin.press_button(officer, card, approve)
        await eventually(
            lambda: (
                len(
                    [
                        m
                        for m in standin.messages(VERIFIERS)
                        if (m.get("text") or "").startswith(TRY_AGAIN)
                    ]
                )
                > told_before
            ),
            within=15,
        )
        await asyncio.sleep(OUTAGE_SECONDS - 10)
        redis.start()
        await asyncio.sleep(2)
        standin.press_button(officer, card, approve)  # told to, the verifier presses again
        await asyncio.wait_for(staff, 120)
        await eventually(
            lambda: [m for m in standin.messages(tourist.person.id) if m.get("photo")], within=60
        )
        await asyncio.sleep(2)  # a second certificate would show by now
        for _ in range(60):  # the queue resumes by itself: everything goes out
            if {n.state for n in (await stored(database_url)).notifications} <= {"delivered"}:
                break
            await asyncio.sleep(1)
    finally:
        await bot.stop()
        redis.stop()

    assert worker.told_to_try_again >= 1  # staff presses met the outage and were told plainly
    certificates = [m for m in standin.messages(tourist.person.id) if m.get("photo")]
    assert len(certificates) == 1
    for walker, number in zip(walkers, numbers, strict=True):
        replies = [
            m
            for m in standin.messages(walker.person.id)
            if f"We clear the drain of {number}" in (m.get("text") or "")
        ]
        assert len(replies) == 1
    rows = await stored(database_url)
    assert {n.state for n in rows.notifications} == {"delivered"}


def told_again(standin: BotAPIStandin, chat: int) -> int:
    return len([m for m in standin.messages(chat) if (m.get("text") or "").startswith(TRY_AGAIN)])
