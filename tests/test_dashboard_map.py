"""The dashboard's map in Debian's Chromium (Playwright), through the running bot and the Bot API
stand-in: signed in as Telegram signs a login, the grids' shapes and the tickets' points with no
one's name or words, the list for the keyboard, a click through to a ticket, resolved there, and
the resident told in Telegram. Also: the filters, a grid's staff seeing their grid only, and a
base map's origin allowed for images on this page alone.

Uses the bundled sample routing file (six grids) and tests/test_dashboard_ticket.py's street:
a ticket in Grid 1: east gate and one in Grid 2: riverside, reported by Zhang Wei.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlencode

import aiohttp
import pytest
from playwright.async_api import Page, async_playwright, expect

from bot.localapi import BotAPIStandin
from services.roles import RoleService
from services.storage import Database
from tests.support.running import RunningBot, eventually
from tests.test_dashboard_auth import login_fields, sample_chats
from tests.test_dashboard_ticket import (
    EAST_GATE,
    RIVERSIDE,
    WORDS,
    Street,
    file_two_tickets,
    open_street,
    said_to,
)
from tests.test_sandbox_browser import CHROMIUM, CHROMIUM_FLAGS, ROOT

ARTIFACTS = ROOT / "test-artifacts" / "dashboard-map"
SUPERVISOR = 5005
PRIVATE = ("Zhang Wei", "drain cover", "No. 5", "Rubbish heap", "30.761", "120.755")


@pytest.fixture
async def street(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[Street]:
    async with open_street(standin, run_bot) as opened:
        yield opened


async def make_supervisor(bot: RunningBot, user_id: int) -> None:
    db = Database(bot.settings.effective_database_url)
    try:
        await RoleService(db).grant(user_id, "supervisor")
    finally:
        await db.close()


async def signed_in_page(page: Page, bot: RunningBot, user_id: int, name: str) -> None:
    """Comes back from Telegram's Login Widget with fields signed as Telegram signs them."""
    answer = await page.goto(
        f"{bot.web_url}/auth/telegram?{urlencode(login_fields(user_id, name))}"
    )
    assert answer is not None and answer.status == 200
    assert page.url == f"{bot.web_url}/dashboard"


async def test_a_supervisor_sees_the_street_clicks_through_and_resolves_a_ticket(
    street: Street,
) -> None:
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: install the Debian package `chromium` (scripts/test)")
    bot, standin = street.bot, street.standin
    standin.user(SUPERVISOR, "Chen Jie", language_code="en")
    await make_supervisor(bot, SUPERVISOR)
    errors: list[str] = []
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en")
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.on("request", lambda request: requested.append(request.url))
        page.on(
            "response",
            lambda response: (
                errors.append(f"{response.status} {response.url}")
                if response.status >= 400 and not response.url.endswith("/favicon.ico")
                else None
            ),
        )
        await signed_in_page(page, bot, SUPERVISOR, "Chen Jie")

        await page.get_by_role("link", name="Map", exact=True).click()  # from the dashboard
        await expect(page.locator("h1")).to_have_text("Map")
        await expect(page.locator("svg.street-map path.grid")).to_have_count(6)
        await expect(page.locator("svg.street-map a.point")).to_have_count(2)
        east_point = page.locator(f'svg.street-map a.point[data-number="{street.east}"]')
        await expect(east_point.locator("title")).to_have_text(
            f"{street.east} · Drains and sewers · waiting to be taken"
        )
        east_grid = page.locator('svg.street-map path[data-grid="SJB-01"]')
        await expect(east_grid.locator("title")).to_have_text(
            "Grid 1: east gate: 1 open, 0 overdue"
        )
        content = await page.content()
        for private in PRIVATE:
            assert private not in content, private
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "map-en.png"), full_page=True)

        # the keyboard: the first Tab reaches "skip to the list", Enter goes there
        await page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to the map as a list")
        await expect(skip).to_be_focused()
        await page.keyboard.press("Enter")
        assert page.url.endswith("#map-list")
        rows = page.locator("#map-list table").nth(1).locator("tbody tr")
        await expect(rows).to_have_count(2)
        await expect(rows.filter(has_text=street.east)).to_contain_text(
            "Drains and sewers" + "waiting to be taken" + "Grid 1: east gate"
        )

        # the point on the map is a link to the ticket's page
        await page.locator(f'svg.street-map a.point[data-number="{street.riverside}"]').click()
        await expect(page.locator("h1")).to_contain_text(f"Request {street.riverside}")
        await page.go_back()

        # and the list's link too; the ticket is resolved from its page
        await page.locator("#map-list").get_by_role("link", name=street.east).click()
        await expect(page.locator("h1")).to_have_text(f"Request {street.east} · Drains and sewers")
        await page.get_by_role("button", name="✅ Resolved").click()
        await expect(page.locator("p.done")).to_have_text(
            f"Request {street.east} is resolved; the resident is asked whether it is fixed."
        )
        await expect(page.locator("dl.facts")).to_contain_text("resolved, waiting for the resident")
        await page.screenshot(path=str(ARTIFACTS / "ticket-en.png"), full_page=True)

        # in Chinese
        zh = await browser.new_context(locale="zh-CN")
        chinese = await zh.new_page()
        chinese.on("request", lambda request: requested.append(request.url))
        await signed_in_page(chinese, bot, SUPERVISOR, "Chen Jie")
        await chinese.goto(f"{bot.web_url}/dashboard/map?colour=overdue")
        await expect(chinese.locator("h1")).to_have_text("地图")
        await expect(chinese.locator('svg.street-map path[data-grid="SJB-01"] title')).to_have_text(
            "第一网格（东门）：未办结 0 件，超时 0 件"
        )
        await expect(chinese.locator(".map-legend")).to_contain_text("超时占比")
        await chinese.screenshot(path=str(ARTIFACTS / "map-zh.png"), full_page=True)
        await browser.close()

    # a browser asks for /favicon.ico by itself (the dashboard names no icon): not our error
    assert not [error for error in errors if not error.startswith("Failed to load resource")]
    assert all(url.startswith(bot.web_url) for url in requested), requested
    await eventually(
        lambda: said_to(
            standin,
            street.resident.id,
            f"✅ Grid 1: east gate marked your request {street.east} as resolved. Is it fixed?",
        )
    )
    await eventually(
        lambda: said_to(
            standin, EAST_GATE, f"✅ {street.east} resolved by Chen Jie on the dashboard"
        )
    )
    assert not said_to(standin, RIVERSIDE, "✅")


async def test_the_filters_and_a_grids_staff_see_only_their_grid(street: Street) -> None:
    li = street.standin.user(111121, "Li Na", language_code="en")  # riverside's worker
    cookie = await street.cookie(li)
    status, page = await street.page(cookie, "/dashboard/map")
    assert status == 200
    assert re.findall(r'data-grid="([^"]+)"', page) == ["SJB-02"]
    assert street.riverside in page and street.east not in page
    assert "Grid 1: east gate" not in page  # not even in the filter's choices
    # asking for another grid by the filter shows nothing of it
    status, page = await street.page(cookie, "/dashboard/map?grid=SJB-01")
    assert street.east not in page

    wang = street.standin.user(111111, "Wang Fang", language_code="en")
    street.standin.add_member(-1001000000010, 111111)  # the community's chat: its four grids
    cookie = await street.cookie(wang)  # the chats at sign-in: kept in the session
    status, page = await street.page(cookie, "/dashboard/map?grid=SJB-02&category=waste")
    assert re.findall(r'data-grid="([^"]+)"', page) == ["SJB-02"]
    assert street.east not in page
    status, page = await street.page(cookie, "/dashboard/map?category=noise")
    assert "No request with a place in this period." in page
    for private in PRIVATE:
        assert private not in page


async def test_a_base_map_is_allowed_for_images_on_the_map_page_only(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> None:
    sample_chats(standin)
    tiles = "https://tiles.example.cn/{z}/{x}/{y}.png"
    bot = await run_bot(admin_ids="9001", map_tiles_url=tiles)
    await file_two_tickets(standin, standin.user(3001, "Zhang Wei", language_code="en"))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        signed = await http.get(
            f"{bot.web_url}/auth/telegram",
            params=login_fields(9001, "Officer Zhou"),
            allow_redirects=False,
        )
        cookie = {"Cookie": f"linkage_dashboard={signed.cookies['linkage_dashboard'].value}"}
        async with http.get(f"{bot.web_url}/dashboard/map", headers=cookie) as answer:
            page = await answer.text()
            policy = answer.headers["Content-Security-Policy"]
        assert "img-src 'self' https://tiles.example.cn" in policy
        assert "default-src 'self'" in policy and "script-src" not in policy
        assert '<image href="https://tiles.example.cn/' in page
        async with http.get(f"{bot.web_url}/dashboard", headers=cookie) as answer:
            assert "tiles.example.cn" not in answer.headers["Content-Security-Policy"]
    assert WORDS not in page
