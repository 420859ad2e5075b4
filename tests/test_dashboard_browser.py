"""The dashboard in Debian's Chromium (Playwright, never `playwright install`): a supervisor
signs in through /auth/telegram with login data signed as Telegram signs it, sees the charts
drawn with no script error and no request leaving the server, filters by grid, downloads the
CSV and finds the resident's ticket in it; the Mini App signs in with its init data; the
sandbox's page signs its officer in (tests/test_sandbox_browser.py). Screenshots go to
test-artifacts/dashboard/."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import pytest
from aiohttp import web
from playwright.async_api import Page, Request, async_playwright

from bot.localapi import BotAPIStandin
from handlers.miniapp_auth import signed_init_data
from services.models import Ticket, utcnow
from services.storage import Database
from tests.support.running import TOKEN, RunningBot
from tests.support.servers import free_port
from tests.support.walks import Walker, report_problem
from tests.test_dashboard_auth import ADMIN, login_fields, sample_chats
from tests.test_resident_requests import INSIDE_EAST_GATE
from tests.test_sandbox_browser import CHROMIUM, CHROMIUM_FLAGS, ROOT, WAIT_MS

ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
SUPERVISOR = 5301


async def other_grid_ticket(bot: RunningBot) -> None:
    db = Database(bot.settings.effective_database_url)
    try:
        async with db.session() as session:
            session.add(
                Ticket(
                    number="2026-000777",
                    resident_id=3999,
                    resident_name="Li Na",
                    category="noise",
                    grid="SJB-02",
                    staff_chat_id=-1001000000012,
                    text="Loud music at night",
                    created_at=utcnow() - timedelta(days=2),
                )
            )
            await session.commit()
    finally:
        await db.close()


def watched(page: Page, errors: list[str], requested: list[str]) -> None:
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("request", lambda request: requested.append(request.url))


async def test_a_supervisor_signs_in_filters_by_grid_and_finds_the_ticket_in_the_csv(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> None:
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: install the Debian package `chromium` (scripts/test)")
    sample_chats(standin)
    standin.add_member(-1001000000011, 111111)
    bot = await run_bot(admin_ids=str(ADMIN))
    resident = standin.user(3001, "Zhang Wei", language_code="en")
    number = await report_problem(
        Walker(standin, resident), "The drain at the east gate is blocked", INSIDE_EAST_GATE
    )
    await other_grid_ticket(bot)
    standin.send_command(standin.user(ADMIN, "Chief", language_code="en"), "/invite", "supervisor")
    [invitation] = await standin.wait_for_messages(ADMIN, timeout=10)
    code = invitation["text"].split("?start=")[1].split()[0]
    standin.send_command(standin.user(SUPERVISOR, "Guo Mei", language_code="en"), "/start", code)
    await standin.wait_for_messages(SUPERVISOR, timeout=10)

    errors: list[str] = []
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        context = await browser.new_context(
            viewport={"width": 1400, "height": 1000}, locale="en-US", accept_downloads=True
        )
        page = await context.new_page()
        watched(page, errors, requested)
        signed = urlencode(login_fields(SUPERVISOR, "Guo Mei"))
        response = await page.goto(f"{bot.web_url}/auth/telegram?{signed}")
        assert response is not None and response.status == 200
        assert page.url == f"{bot.web_url}/dashboard"
        assert await page.locator("h1").inner_text() == "Dashboard · Qixing Street Office"
        charts = page.locator("svg.chart")
        assert await charts.count() >= 5  # the rest say there is nothing in the period yet
        box = await charts.first.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100  # drawn
        assert await page.locator("#per-day ~ .pair polyline, #per-day ~ .pair circle").count()
        stroke = await page.locator("svg.chart .received").first.evaluate(
            "node => getComputedStyle(node).stroke"
        )
        assert stroke == "rgb(11, 92, 173)"  # the stylesheet applies under the page's CSP
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

        # keyboard: the skip link first, then the language switch... the grid filter by label
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Skip to the figures"
        await page.get_by_label("Grid", exact=True).select_option(label="Grid 1: east gate")
        await page.get_by_role("button", name="Show").click()
        await page.wait_for_url("**grid=SJB-01**")
        rows = page.locator("#by-grid ~ .pair tbody th")
        assert await rows.all_inner_texts() == ["Grid 1: east gate"]

        async with page.expect_download() as downloading:
            await page.get_by_role("button", name="Requests (CSV)").click()
        download = await downloading.value
        assert download.suggested_filename.startswith("linkage-tickets-")
        path = await download.path()
        table = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        assert [row["number"] for row in table] == [number]  # grid 1's only: not 2026-000777
        assert table[0]["text"] == "The drain at the east gate is blocked"
        assert "resident_name" not in table[0]  # a supervisor never gets names
        await browser.close()
    assert not errors, errors
    assert requested and all(url.startswith(bot.web_url + "/") for url in requested), requested


async def test_the_mini_app_signs_in_with_its_init_data_in_the_browser(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> None:
    sample_chats(standin)
    bot = await run_bot(admin_ids=str(ADMIN))
    init_data = signed_init_data(
        TOKEN, {"id": ADMIN, "first_name": "Chief", "language_code": "zh"}, datetime.now(UTC)
    )
    errors: list[str] = []
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        page = await (await browser.new_context(locale="en-US")).new_page()
        watched(page, errors, requested)
        await page.goto(f"{bot.web_url}/dashboard#tgWebAppData={quote(init_data)}")
        await page.wait_for_url(f"{bot.web_url}/dashboard", timeout=WAIT_MS)
        await page.wait_for_selector("svg.chart")
        heading = await page.locator("h1").inner_text()
        stale = signed_init_data(
            TOKEN,
            {"id": ADMIN, "first_name": "Chief", "language_code": "zh"},
            datetime.now(UTC) - timedelta(days=2),
        )
        other = await (await browser.new_context()).new_page()
        await other.goto(f"{bot.web_url}/dashboard#tgWebAppData={quote(stale)}")
        refusal = other.locator("#login-error")
        await refusal.wait_for(state="visible")
        said = await refusal.inner_text()
        await browser.close()
    assert heading == "看板 · 七星街道办事处"  # the Telegram account's language
    assert said == "此页面已打开超过一天：请关闭后从机器人重新打开。"
    assert all(url.startswith(bot.web_url + "/") for url in requested), requested
    assert not [e for e in errors if "401" not in e], errors  # the refused POST only


async def test_the_mini_app_works_framed_cross_site_with_third_party_cookies_blocked(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> None:
    """As Telegram Web shows it: the dashboard in a frame of another site (here the page of
    http://localhost:N framing http://127.0.0.1:M), third-party cookies blocked, so no cookie
    is kept or sent: the page keeps its token in memory and sends it as a header."""
    sample_chats(standin)
    host_port = free_port()
    telegram_web = f"http://localhost:{host_port}"
    bot = await run_bot(admin_ids=str(ADMIN), miniapp_frame_ancestors=telegram_web)
    await other_grid_ticket(bot)
    init_data = signed_init_data(
        TOKEN, {"id": ADMIN, "first_name": "Chief", "language_code": "zh"}, datetime.now(UTC)
    )
    frame_src = f"{bot.web_url}/dashboard#tgWebAppData={quote(init_data)}"

    async def telegram_page(_request: web.Request) -> web.Response:
        return web.Response(
            text=f'<!doctype html><title>Telegram Web</title><iframe src="{frame_src}" '
            'width="1200" height="900"></iframe>',
            content_type="text/html",
        )

    host = web.Application()
    host.router.add_get("/", telegram_page)
    runner = web.AppRunner(host)
    await runner.setup()
    await web.TCPSite(runner, "localhost", host_port).start()
    errors: list[str] = []
    sent: list[Request] = []
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=[*CHROMIUM_FLAGS, "--test-third-party-cookie-phaseout"],
            )
            context = await browser.new_context(locale="en-US", accept_downloads=True)
            page = await context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: sent.append(request))
            await page.goto(telegram_web + "/")
            frame = page.frame_locator("iframe")
            await frame.locator("svg.chart").first.wait_for(timeout=WAIT_MS)
            assert await frame.locator("h1").inner_text() == "看板 · 七星街道办事处"

            # the filters: a GET form, drawn in place with the token
            await frame.locator("#grid").select_option("SJB-02")
            await frame.locator("form.filters button[type=submit]").click()
            rows = frame.locator("#by-grid ~ .pair tbody th")
            await frame.locator("#grid option[value='SJB-02'][selected]").wait_for(state="attached")
            assert await rows.all_inner_texts() == ["第二网格（河边）"]

            # links: the programmes page, then the map, then back
            await frame.get_by_role("link", name="专项工作").click()
            await frame.locator("#rental-houses").wait_for()
            assert await frame.locator("h1").inner_text() == "专项工作"
            await frame.get_by_role("link", name="地图").click()
            await frame.locator("svg.street-map").wait_for()
            await frame.get_by_role("link", name="看板").click()
            await frame.locator("svg.chart").first.wait_for()

            # a download: the CSV of the requests
            async with page.expect_download() as downloading:
                await frame.get_by_role("button", name="诉求（CSV）").click()
            download = await downloading.value
            text = (await download.path()).read_text(encoding="utf-8-sig")
            assert "2026-000777" in text
            cookies = await context.cookies()
            ours = [
                (request.url, await request.all_headers())
                for request in sent
                if request.url.startswith(bot.web_url)
            ]
            await browser.close()
    finally:
        await runner.cleanup()
    assert cookies == []  # no cookie was kept...
    assert ours and all("cookie" not in headers for _url, headers in ours)  # ...or sent
    pages = [url for url, headers in ours if headers.get("authorization", "").startswith("Bearer ")]
    assert any("/dashboard/programmes" in url for url in pages), pages
    assert not errors, errors
