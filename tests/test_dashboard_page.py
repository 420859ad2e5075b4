"""The dashboard page and its downloads through the running bot: charts with their tables in
English and Chinese, a grid's staff see only their grid, the exports' three levels of detail
(anonymised, plain, names and contacts for an administrator who asks)."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import aiohttp
import pytest
from openpyxl import load_workbook

from bot.localapi import BotAPIStandin
from handlers.dashboard_auth import COOKIE
from services.models import Ticket, utcnow
from services.privacy import FieldCipher
from services.storage import Database
from tests.support.running import RunningBot
from tests.test_dashboard_auth import ADMIN, EAST_GATE, login_fields, sample_chats, session_cookie

WORDS = "The drain by Zhang Wei's door at No. 5 is blocked again"


async def seed(bot: RunningBot) -> None:
    cipher = FieldCipher.from_setting(None, bot.settings.data_dir)
    now = utcnow()
    db = Database(bot.settings.effective_database_url)
    try:
        async with db.session() as session:
            session.add_all(
                [
                    Ticket(
                        number="2026-000501",
                        resident_id=3001,
                        resident_name="Zhang Wei",
                        category="drainage",
                        grid="SJB-01",
                        staff_chat_id=EAST_GATE,
                        text=WORDS,
                        address="No. 5, East Gate Lane",
                        status="closed",
                        created_at=now - timedelta(days=3),
                        first_response_at=now - timedelta(days=3) + timedelta(minutes=30),
                        resolved_at=now - timedelta(days=2),
                        rating=5,
                    ),
                    Ticket(
                        number="2026-000502",
                        resident_id=3002,
                        resident_name="Li Na",
                        category="noise",
                        grid="SJB-02",
                        staff_chat_id=-1001000000012,
                        text='=HYPERLINK("http://evil.example")',
                        status="new",
                        created_at=now - timedelta(days=1),
                        neighbour_name_encrypted=cipher.encrypt("Grandma Sun"),
                        neighbour_phone_encrypted=cipher.encrypt("13800138000"),
                    ),
                ]
            )
            await session.commit()
    finally:
        await db.close()


@pytest.fixture
async def bot(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[RunningBot]:
    sample_chats(standin)
    running = await run_bot(admin_ids=str(ADMIN))
    await seed(running)
    yield running


async def signed_in(http: aiohttp.ClientSession, bot: RunningBot, user: int, name: str) -> str:
    async with http.get(
        f"{bot.web_url}/auth/telegram", params=login_fields(user, name), allow_redirects=False
    ) as answer:
        assert answer.status == 303, await answer.text()
        return session_cookie(answer)


async def get(
    http: aiohttp.ClientSession, bot: RunningBot, path: str, cookie: str, **params: str
) -> tuple[int, bytes, dict[str, str]]:
    async with http.get(
        f"{bot.web_url}{path}",
        params=params,
        headers={"Cookie": f"{COOKIE}={cookie}", "Accept": "text/html"},
    ) as answer:
        return answer.status, await answer.read(), dict(answer.headers)


def rows_of(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode())  # Excel reads the Chinese as Chinese
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


async def test_the_page_draws_each_chart_beside_its_numbers_in_both_languages(
    bot: RunningBot,
) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        cookie = await signed_in(http, bot, ADMIN, "Chief")
        status, body, headers = await get(http, bot, "/dashboard", cookie)
        page = html.unescape(body.decode())
        assert status == 200
        assert headers["Cache-Control"] == "no-store"
        assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'self' only
        assert "<script" not in page  # the dashboard itself needs none
        for heading in (
            "Requests received and resolved per day",
            "By category",
            "By grid",
            "Time to first response (hours)",
            "Time to resolution (hours)",
            "Satisfaction",
            "Open and overdue now, by escalation level",
            "Certificate applications per day",
            "Review time (minutes)",
            "Check-ins per hotel",
        ):
            assert f">{heading}</h2>" in page, heading
        assert page.count('<svg class="chart" role="img"') >= 7
        assert page.count('<div class="numbers" tabindex="0"') == 10
        east = '<th scope="row">Grid 1: east gate</th><td>1</td><td>1</td><td>0</td>'
        assert east in page
        assert "Average 5.0 of 5 from 1 ratings." in page
        assert '<label for="grid">Grid</label><select id="grid" name="grid">' in page

        status, body, _ = await get(http, bot, "/dashboard", cookie, lang="zh")
        page = html.unescape(body.decode())
        assert '<html lang="zh-CN">' in page
        assert ">每日受理和办结的诉求</h2>" in page and ">按网格</h2>" in page
        assert "第一网格（东门）" in page


async def test_grid_staff_see_only_their_grid_and_no_certificates(
    standin: BotAPIStandin, bot: RunningBot
) -> None:
    standin.add_member(EAST_GATE, 111111)  # Wang Fang, a worker of grid 1
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        cookie = await signed_in(http, bot, 111111, "Wang Fang")
        status, body, _ = await get(http, bot, "/dashboard", cookie, grid="SJB-02")
        page = html.unescape(body.decode())
        assert status == 200
        assert "Grid 1: east gate" in page
        assert "Grid 2" not in page  # neither in the figures nor in the grid list
        assert "Certificate applications per day" not in page
        status, body, _ = await get(
            http, bot, "/dashboard/export", cookie, what="tickets.csv", grid="SJB-02"
        )
        assert [row["number"] for row in rows_of(body)] == ["2026-000501"]
        status, body, _ = await get(
            http, bot, "/dashboard/export", cookie, what="tickets.csv", names="1"
        )
        assert status == 403
        assert body.decode() == "Only an administrator may download residents' names and contacts."


async def test_exports_leave_out_what_was_not_asked_for(bot: RunningBot) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        cookie = await signed_in(http, bot, ADMIN, "Chief")
        status, body, headers = await get(
            http, bot, "/dashboard/export", cookie, what="tickets.csv", anonymised="1"
        )
        assert status == 200 and headers["Content-Type"] == "text/csv; charset=utf-8"
        assert headers["Content-Disposition"].startswith('attachment; filename="linkage-tickets-')
        rows = rows_of(body)
        assert [row["number"] for row in rows] == ["2026-000501", "2026-000502"]
        assert rows[0]["grid_name"] == "Grid 1: east gate" and rows[0]["rating"] == "5"
        assert rows[0]["hours_to_first_response"] == "0.5"
        text = body.decode("utf-8-sig")
        for personal in ("Zhang Wei", "No. 5", "Grandma Sun", "13800138000", "HYPERLINK"):
            assert personal not in text

        status, body, _ = await get(http, bot, "/dashboard/export", cookie, what="tickets.csv")
        rows = rows_of(body)
        assert rows[0]["text"] == WORDS  # the words, without the names
        assert rows[1]["text"].startswith("'=HYPERLINK")  # never run as a formula
        assert "resident_name" not in rows[0] and "Grandma Sun" not in body.decode("utf-8-sig")

        status, body, _ = await get(
            http, bot, "/dashboard/export", cookie, what="tickets.csv", names="1"
        )
        rows = rows_of(body)
        assert rows[0]["resident_name"] == "Zhang Wei"
        assert (rows[1]["neighbour_name"], rows[1]["neighbour_phone"]) == (
            "Grandma Sun",
            "13800138000",
        )

        status, body, headers = await get(
            http, bot, "/dashboard/export", cookie, what="tickets.xlsx", anonymised="1"
        )
        assert headers["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(body))["tickets"]
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert values[0][:3] == ["number", "status", "category"]
        assert [row[0] for row in values[1:]] == ["2026-000501", "2026-000502"]

        status, body, _ = await get(http, bot, "/dashboard/export", cookie, what="figures.csv")
        figures = rows_of(body)
        assert {"figure": "by_grid", "key": "SJB-01", "measure": "received", "value": "1"} in (
            figures
        )
        status, body, _ = await get(http, bot, "/dashboard/export", cookie, what="figures.xlsx")
        book = load_workbook(io.BytesIO(body))
        assert {"per_day", "by_category", "by_grid", "weeks", "ratings", "open_now"} <= set(
            book.sheetnames
        )
