"""The public board: SQL figures per grid and for the whole area, "Publish on the board" in the
staff chat (asked of whoever presses), and a page that shows no resident's name or words.

Uses the bundled sample routing file: grid SJB-01 ("Grid 1: east gate").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
import pytest
from playwright.async_api import async_playwright

from bot.localapi import BotAPIStandin
from services.board import WHOLE_AREA, Board, month_start
from services.models import Ticket, utcnow
from services.routing import load_routing
from services.storage import Database
from tests.support.people import inline_buttons
from tests.support.running import RunningBot, eventually
from tests.support.walks import Walker, report_problem
from tests.test_resident_requests import EAST_GATE_CHAT, INSIDE_EAST_GATE
from tests.test_sandbox_browser import CHROMIUM, CHROMIUM_FLAGS, ROOT

ARTIFACTS = ROOT / "test-artifacts" / "board"
RESIDENT_WORDS = "The cellar well at Zhang Wei's door is blocked, call 13800138000"
SUMMARY = "The blocked cellar well by the east gate was dredged and its cover replaced."


def ticket(
    number: int,
    grid: str | None,
    created: datetime,
    resolved_after_hours: float | None = None,
    rating: int | None = None,
) -> Ticket:
    resolved = (
        None if resolved_after_hours is None else created + timedelta(hours=resolved_after_hours)
    )
    return Ticket(
        number=f"2026-{number:06d}",
        resident_id=5000 + number,
        resident_name="Someone",
        category="drainage",
        grid=grid,
        staff_chat_id=EAST_GATE_CHAT,
        text="words",
        status="closed" if resolved else "new",
        created_at=created,
        resolved_at=resolved,
        rating=rating,
    )


async def test_the_figures_are_counted_per_grid_and_for_the_whole_area(
    database_url: str,
) -> None:
    db = Database(database_url)
    now = utcnow()
    recent = max(month_start(now, timedelta(hours=8)), now - timedelta(days=1)) + timedelta(
        minutes=1
    )
    recent = min(recent, now)
    old = now - timedelta(weeks=20)
    async with db.session() as session:
        for row in (
            ticket(1, "SJB-01", recent, 1, rating=5),
            ticket(2, "SJB-01", recent, 3, rating=4),
            ticket(3, "SJB-01", recent, 5),
            ticket(4, "SJB-01", recent),
            ticket(5, "SJB-02", recent, 10, rating=2),
            ticket(6, None, recent, 2),
            ticket(7, "SJB-01", old, 100, rating=1),  # outside both periods
            ticket(8, "SJB-02", now - timedelta(weeks=6), 20),  # in the 12 weeks only
        ):
            session.add(row)
        await session.commit()
    try:
        snapshot = await Board(db).snapshot(now)
    finally:
        await db.close()

    east = snapshot.month["SJB-01"]
    assert (east.received, east.resolved) == (4, 3)
    assert east.median_hours == pytest.approx(3.0, abs=0.01)
    assert east.rating == pytest.approx(4.5) and east.ratings == 2
    whole = snapshot.month[WHOLE_AREA]
    assert (whole.received, whole.resolved) == (6, 5)
    assert whole.median_hours == pytest.approx(3.0, abs=0.01)  # 1, 2, 3, 5, 10
    assert snapshot.month["SJB-02"].median_hours == pytest.approx(10.0, abs=0.01)
    weeks = snapshot.weeks
    assert weeks["SJB-02"].received == 2
    assert weeks["SJB-02"].median_hours == pytest.approx(15.0, abs=0.01)  # 10 and 20
    assert weeks[WHOLE_AREA].received == 7
    assert weeks[WHOLE_AREA].resolved_share == pytest.approx(6 / 7)


async def report_and_resolve(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> tuple[RunningBot, dict, str]:
    """A resident reports in the chat; the grid worker resolves it. Returns the resolved card."""
    standin.group(EAST_GATE_CHAT, title="Grid 1 staff")
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(EAST_GATE_CHAT, worker.id)
    bot = await run_bot()
    resident = standin.user(3001, "Zhang Wei", language_code="en")
    number = await report_problem(Walker(standin, resident), RESIDENT_WORDS, INSIDE_EAST_GATE)
    card = (await standin.wait_for_messages(EAST_GATE_CHAT, count=2, timeout=10))[0]
    standin.press_button(worker, card, inline_buttons(card)["✅ Resolved"])
    await eventually(
        lambda: "📣 Publish on the board" in inline_buttons(standin.messages(EAST_GATE_CHAT)[0])
    )
    return bot, standin.messages(EAST_GATE_CHAT)[0], number


async def board_page(bot: RunningBot, language: str = "en") -> tuple[int, str, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{bot.web_url}/board", headers={"Accept-Language": language}) as response,
    ):
        return response.status, await response.text(), dict(response.headers)


async def test_staff_publish_a_fix_and_the_board_shows_it_without_the_residents_words(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> None:
    bot, card, number = await report_and_resolve(standin, run_bot)
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.press_button(worker, card, inline_buttons(card)["📣 Publish on the board"])
    [ask] = await standin.wait_for_messages(EAST_GATE_CHAT, timeout=10)
    assert ask["text"].startswith(
        f"📣 Wang Fang, write the public summary of request {number} in your next message"
    )
    standin.send_message(worker, SUMMARY, chat=EAST_GATE_CHAT)
    [done] = await standin.wait_for_messages(EAST_GATE_CHAT, timeout=10)
    assert done["text"] == f"📣 Request {number} is on the public board now."
    # the summary was not relayed to the resident as a staff reply
    assert not any(SUMMARY in (m.get("text") or "") for m in standin.messages(3001))

    status, page, headers = await board_page(bot)
    assert status == 200
    assert "Qixing Street Office · Public board" in page
    assert "You reported, we fixed" in page and SUMMARY in page
    assert f"{number} · Drains and sewers" in page
    assert "Grid 1: east gate" in page and "Whole area" in page
    for private in ("Zhang Wei", "cellar well at", "13800138000", "Wang Fang"):
        assert private not in page
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert headers["Cache-Control"] == "public, max-age=60"
    assert "default-src 'self'" in headers["Content-Security-Policy"]

    status, page, headers = await board_page(bot, "zh-CN,zh;q=0.9")
    assert "七星街道办事处 · 公示栏" in page and "您反映，我们解决" in page
    assert headers["Content-Language"] == "zh"


async def test_a_published_fix_the_resident_reopens_leaves_the_board(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> None:
    bot, card, number = await report_and_resolve(standin, run_bot)
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.press_button(worker, card, inline_buttons(card)["📣 Publish on the board"])
    await standin.wait_for_messages(EAST_GATE_CHAT, timeout=10)
    standin.send_message(worker, SUMMARY, chat=EAST_GATE_CHAT)
    await standin.wait_for_messages(EAST_GATE_CHAT, timeout=10)
    assert SUMMARY in (await board_page(bot))[1]

    resident = standin.user(3001, "Zhang Wei", language_code="en")

    def question() -> list[dict]:
        return [m for m in standin.messages(resident.id) if "👎 No, not yet" in inline_buttons(m)]

    await eventually(lambda: bool(question()))
    [asked] = question()
    standin.press_button(resident, asked, inline_buttons(asked)["👎 No, not yet"])
    [reopened] = await standin.wait_for_messages(EAST_GATE_CHAT, timeout=10)
    assert reopened["text"] == (
        f"🔁 The resident says request {number} is not fixed yet. It is open again.\n"
        "📣 Its fix has been taken off the public board; publish it again once it is fixed."
    )
    _, page, _ = await board_page(bot)
    assert SUMMARY not in page and "Nothing published yet." in page


async def test_a_stranger_cannot_publish_nor_finish_someone_elses_summary(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> None:
    bot, card, _number = await report_and_resolve(standin, run_bot)
    stranger = standin.user(4444, "Passer-by", language_code="en")
    standin.add_member(EAST_GATE_CHAT, stranger.id)  # in the chat, but not a grid worker
    before = len(standin.messages(EAST_GATE_CHAT))
    standin.press_button(stranger, card, inline_buttons(card)["📣 Publish on the board"])
    await eventually(
        lambda: any(
            call.params.get("text") == "Only the staff of this request's team can do that."
            for call in standin.calls("answerCallbackQuery")
        )
    )
    standin.send_message(stranger, "Fake news for the board", chat=EAST_GATE_CHAT)

    # a worker asks, then leaves the chat before writing: refused at the moment of publishing
    worker = standin.user(111111, "Wang Fang", language_code="en")
    standin.press_button(worker, card, inline_buttons(card)["📣 Publish on the board"])
    await eventually(lambda: len(standin.messages(EAST_GATE_CHAT)) > before)
    standin.change_member(EAST_GATE_CHAT, worker.id, "left")
    standin.send_message(worker, "Published by someone who left", chat=EAST_GATE_CHAT)
    await eventually(
        lambda: any(
            m.get("text") == "Only the staff of this request's team can do that."
            for m in standin.messages(EAST_GATE_CHAT)
        ),
        within=10,
    )
    _, page, _ = await board_page(bot)
    assert "Nothing published yet." in page
    assert "Fake news" not in page and "someone who left" not in page


@pytest.mark.parametrize("viewport", [(390, 844), (2560, 1440)], ids=["phone", "wall"])
async def test_the_board_loads_in_chromium_with_nothing_from_elsewhere(
    standin: BotAPIStandin,
    run_bot: Callable[..., Awaitable[RunningBot]],
    viewport: tuple[int, int],
) -> None:
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: install the Debian package `chromium` (scripts/test)")
    bot = await run_bot()
    errors: list[str] = []
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        width, height = viewport
        context = await browser.new_context(
            viewport={"width": width, "height": height}, locale="zh-CN"
        )
        page = await context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.on("request", lambda request: requested.append(request.url))
        response = await page.goto(f"{bot.web_url}/board")
        assert response is not None and response.status == 200
        await page.wait_for_load_state("networkidle")
        heading = await page.locator("h1").inner_text()
        colour = await page.locator("header").evaluate(
            "node => getComputedStyle(node).borderBottomStyle"
        )
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        cells = await page.locator("table").first.locator("tbody tr").count()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"board-{width}x{height}.png"), full_page=True)
        await browser.close()
    assert heading == "七星街道办事处 · 公示栏"
    assert colour == "solid"  # the stylesheet loaded under the page's CSP
    assert overflow <= 0  # wide tables scroll inside their box, not the page
    routing = load_routing(None, None)
    assert cells == len(routing.communities) + len(routing.grids) + 1
    assert not errors, errors
    assert requested and all(url.startswith(bot.web_url + "/") for url in requested), requested
