"""The dashboard's access at a city's scale: 2,000 grid chats, and a grid chat's administrator
signs in, works, and is removed. Sign-in asks Telegram about a bounded set of chats (the
street office's, those the person was seen acting in as staff), the session keeps the ones
they are staff of, and each request asks again about those only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import yaml

from bot.localapi import BotAPIStandin
from handlers.dashboard_auth import COOKIE
from services.dashboard_access import SIGN_IN_CHATS
from services.migrate import upgrade_to_head
from services.staff_sightings import StaffSightings
from services.storage import Database
from tests.support.city import chat_of, city, routing_data
from tests.support.running import RunningBot
from tests.test_dashboard_auth import login_fields, session_cookie, sign_in
from tests.test_roles import next_text

GRIDS = city(2000)
OFFICE = -1_002_000_000_000
ZHOU = 7777


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


def member_calls(standin: BotAPIStandin) -> int:
    return len(standin.calls("getChatMember"))


async def test_a_city_does_not_cost_thousands_of_calls_and_a_removed_member_is_refused(
    standin: BotAPIStandin,
    run_bot: Callable[..., Awaitable[RunningBot]],
    http: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    routing = tmp_path / "city.yaml"
    routing.write_text(yaml.safe_dump(routing_data(GRIDS), allow_unicode=True))
    grid = GRIDS[1234]
    standin.group(OFFICE, title="Street office")
    standin.group(chat_of(grid), title=f"Grid {grid.number}")
    zhou = standin.user(ZHOU, "Zhou Min", language_code="en")
    standin.add_member(chat_of(grid), zhou.id, "administrator")  # not a listed worker
    bot = await run_bot(routing_file=routing, membership_cache_seconds=0)

    # never seen acting as staff: sign-in asks the street office's chat, not 2,000 chats
    before = member_calls(standin)
    refused = await sign_in(http, bot, login_fields(zhou.id, "Zhou Min"))
    assert refused.status == 403
    assert "Zhou Min, the dashboard is for administrators" in await refused.text()
    assert member_calls(standin) - before == 1

    # she acts as staff in her grid's chat: the chat is noted for her
    standin.send_command(zhou, "/stats", chat=chat_of(grid))
    assert "Received 0, taken 0, resolved 0" in await next_text(standin, chat_of(grid))

    before = member_calls(standin)
    answer = await sign_in(http, bot, login_fields(zhou.id, "Zhou Min"))
    assert answer.status == 303
    assert member_calls(standin) - before <= SIGN_IN_CHATS
    assert member_calls(standin) - before == 2  # the street office's chat and hers
    headers = {"Accept": "application/json", "Cookie": f"{COOKIE}={session_cookie(answer)}"}

    for _ in range(3):  # each request asks her one chat again, no other
        before = member_calls(standin)
        ping = await http.get(f"{bot.web_url}/dashboard/api/ping", headers=headers)
        assert await ping.json() == {"user": zhou.id, "grids": [grid.code]}
        assert member_calls(standin) - before == 1

    standin.change_member(chat_of(grid), zhou.id, "kicked")  # removed from the chat
    gone = await http.get(f"{bot.web_url}/dashboard/api/ping", headers=headers)
    assert gone.status == 403
    assert (await gone.json())["error"] == (
        "Zhou Min, the dashboard is for administrators, supervisors and the staff of a grid's "
        "chat; you are none of these now. An administrator can invite you with /invite "
        "supervisor."
    )


async def test_sightings_are_written_hourly_at_most_and_forgotten_after_180_days(
    database_url: str,
) -> None:
    db = Database(database_url)
    await upgrade_to_head(db)
    now = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    sightings = StaffSightings(db, clock=lambda: now[0])
    try:
        sightings.saw(-1001, ZHOU)
        now[0] += timedelta(minutes=30)
        sightings.saw(-1002, ZHOU)
        sightings.saw(-1001, ZHOU)  # within the hour: not written again
        assert await sightings.chats_of(ZHOU, 10) == [-1002, -1001]
        now[0] += timedelta(hours=1)
        sightings.saw(-1001, ZHOU)  # an hour on: its time moves, it comes first
        assert await sightings.chats_of(ZHOU, 10) == [-1001, -1002]
        assert await sightings.chats_of(ZHOU, 1) == [-1001]

        now[0] += timedelta(days=181)  # not acted in for 180 days: not asked, then deleted
        assert await sightings.chats_of(ZHOU, 10) == []
        assert await sightings.purge() == 2
    finally:
        await db.close()
