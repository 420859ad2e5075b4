"""Staff of a category's own chat (a department that handles one category across grids, as the
sample's property management desk) get the dashboard for their category's requests: figures,
map, request pages; nothing of another category."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import aiohttp
import pytest

from bot.localapi import BotAPIStandin
from handlers.dashboard_auth import COOKIE
from services.models import Ticket, utcnow
from services.routing import load_routing
from services.storage import Database
from tests.support.running import RunningBot
from tests.test_dashboard_auth import EAST_GATE, login_fields, sample_chats, session_cookie, sign_in

PROPERTY_DESK = -1001000000091


def inside(code: str) -> tuple[float, float]:
    ring = load_routing(None, None).grid(code).area[0]
    return sum(p[1] for p in ring) / len(ring), sum(p[0] for p in ring) / len(ring)


async def seed(bot: RunningBot) -> None:
    now = utcnow()
    db = Database(bot.settings.effective_database_url)
    try:
        async with db.session() as session:
            for number, category, grid, chat in (
                ("2026-000001", "property", "SJB-03", PROPERTY_DESK),
                ("2026-000002", "property", "QD-01", PROPERTY_DESK),
                ("2026-000003", "drainage", "SJB-01", EAST_GATE),
            ):
                session.add(
                    Ticket(
                        number=number,
                        resident_id=3001,
                        resident_name="Zhang Wei",
                        category=category,
                        grid=grid,
                        staff_chat_id=chat,
                        text="The lift is stuck" if category == "property" else "Drain blocked",
                        status="new",
                        created_at=now - timedelta(days=1),
                        latitude=inside(grid)[0],
                        longitude=inside(grid)[1],
                    )
                )
            await session.commit()
    finally:
        await db.close()


@pytest.fixture
async def bot(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[RunningBot]:
    sample_chats(standin)
    running = await run_bot(membership_cache_seconds=0)
    await seed(running)
    yield running


def words(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def test_a_category_desk_sees_its_categorys_requests_only(
    standin: BotAPIStandin, bot: RunningBot
) -> None:
    he = standin.user(5401, "He Jun", language_code="en")
    standin.add_member(PROPERTY_DESK, he.id)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        answer = await sign_in(http, bot, login_fields(he.id, "He Jun"))
        assert answer.status == 303
        headers = {"Cookie": f"{COOKIE}={session_cookie(answer)}"}

        async def get(path: str, accept: str = "text/html") -> tuple[int, str]:
            got = await http.get(
                f"{bot.web_url}{path}",
                headers={**headers, "Accept": accept},
                allow_redirects=False,
            )
            return got.status, await got.text()

        status, ping = await get("/dashboard/api/ping", "application/json")
        assert status == 200
        assert ping == '{"user": 5401, "grids": [], "categories": ["property"]}'

        status, page = await get("/dashboard?lang=en")
        assert status == 200
        text = words(page)
        assert "Property management 2 0 2" in text  # by category: received, resolved, open
        assert "Drains and sewers" not in text.split("By category")[1].split("By grid")[0]

        status, page = await get("/dashboard/map?lang=en")
        points = re.findall(r'data-number="([^"]+)"', page)
        assert sorted(points) == ["2026-000001", "2026-000002"]
        assert "2026-000003" not in page

        status, page = await get("/dashboard/tickets/2026-000002?lang=en")
        assert status == 200 and "The lift is stuck" in html.unescape(page)
        status, _page = await get("/dashboard/tickets/2026-000003?lang=en")
        assert status == 404

        standin.change_member(PROPERTY_DESK, he.id, "left")  # left the desk's chat
        status, _page = await get("/dashboard/api/ping", "application/json")
        assert status == 403
