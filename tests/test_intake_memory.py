"""What the intake keeps in memory instead of asking the database for every update: a person's
language and the banned residents. A change made in this process counts at once; one made in
another process sharing the database, once the memory is older than its limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from services.people import PeopleService
from services.staff_tools import Bans
from services.storage import Database
from services.updates import Claim, UpdateLog


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.close()


async def test_a_language_chosen_here_counts_at_once_and_one_chosen_elsewhere_after_a_while(
    db: Database,
) -> None:
    here = PeopleService(db, "en", remember_seconds=0.3)
    elsewhere = PeopleService(db, "en")
    assert await here.locale_for(7, "en-US") == "en"
    await here.choose_locale(7, "zh")
    assert await here.locale_for(7, "en-US") == "zh"

    await elsewhere.choose_locale(7, "en")
    assert await here.locale_for(7, "en-US") == "zh"  # remembered, not yet read again
    await asyncio.sleep(0.35)
    assert await here.locale_for(7, "zh") == "en"


async def test_the_memory_of_languages_keeps_only_the_most_recent_people(db: Database) -> None:
    people = PeopleService(db, "en", remember_people=2)
    for person in (1, 2, 3):
        await people.choose_locale(person, "zh")
    await PeopleService(db, "en").choose_locale(1, "en")  # elsewhere
    assert await people.locale_for(1, None) == "en"  # forgotten, so read again
    assert await people.locale_for(3, None) == "zh"


async def test_a_ban_made_here_counts_at_once_and_one_made_elsewhere_after_a_while(
    db: Database,
) -> None:
    here = Bans(db, recheck_seconds=0.3)
    elsewhere = Bans(db)
    assert not await here.may_be_banned(5)
    await here.ban(5, "spam", "2026-000001", by=1, by_name="Wang")
    assert await here.may_be_banned(5)

    await elsewhere.ban(6, "spam", "2026-000002", by=1, by_name="Wang")
    await elsewhere.unban(5)
    assert await here.may_be_banned(5) and not await here.may_be_banned(6)
    await asyncio.sleep(0.35)
    assert not await here.may_be_banned(5) and await here.may_be_banned(6)
    assert await here.of(6) is not None


async def test_updates_finished_together_are_all_done(db: Database) -> None:
    log = UpdateLog(db)
    assert [await log.claim(n) for n in (1, 2, 3)] == [Claim.TAKEN] * 3
    await asyncio.gather(*(log.finish(n) for n in (1, 2, 3)))
    assert [await log.claim(n) for n in (1, 2, 3, 4)] == [Claim.DONE] * 3 + [Claim.TAKEN]
