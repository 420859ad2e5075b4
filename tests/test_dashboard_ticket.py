"""A ticket's page on the dashboard, through the running bot and the Bot API stand-in: its
history, the card's actions (take, note, reply, pass on, resolve) reaching the resident and the
team's chat through the queue; and the attacks refused: another grid's staff opening or acting
on a ticket, a form without its token, a form of another session.

Uses the bundled sample routing file: grid SJB-01 ("Grid 1: east gate", chat ...011, workers
111111, 111112) and SJB-02 ("Grid 2: riverside", chat ...012, workers 111121, 111122).
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest

from bot.localapi import BotAPIStandin, FakeUser
from handlers.dashboard_auth import COOKIE
from tests.support.people import inline_buttons
from tests.support.running import RunningBot, eventually
from tests.support.walks import Walker, report_problem
from tests.test_dashboard_auth import ADMIN, login_fields, sample_chats, session_cookie, sign_in

EAST_GATE = -1001000000011
RIVERSIDE = -1001000000012
INSIDE_EAST_GATE = (30.7610, 120.7550)
INSIDE_RIVERSIDE = (30.7610, 120.7515)
WORDS = "The drain cover outside Zhang Wei's door at No. 5 is broken"


@dataclass
class Street:
    bot: RunningBot
    standin: BotAPIStandin
    http: aiohttp.ClientSession
    resident: FakeUser
    east: str  # the number of a ticket in Grid 1: east gate
    riverside: str  # and one in Grid 2: riverside

    async def cookie(self, user: FakeUser) -> str:
        name = " ".join(p for p in (user.first_name, user.last_name) if p)
        return session_cookie(await sign_in(self.http, self.bot, login_fields(user.id, name)))

    async def page(self, cookie: str, path: str) -> tuple[int, str]:
        async with self.http.get(
            self.bot.web_url + path,
            headers={"Accept": "text/html", "Cookie": f"{COOKIE}={cookie}"},
            allow_redirects=False,
        ) as response:
            return response.status, await response.text()

    async def post(
        self, cookie: str, path: str, form: dict[str, str]
    ) -> tuple[int, str, str | None]:
        async with self.http.post(
            self.bot.web_url + path,
            data=form,
            headers={"Accept": "text/html", "Cookie": f"{COOKIE}={cookie}"},
            allow_redirects=False,
        ) as response:
            return response.status, await response.text(), response.headers.get("Location")

    async def act(
        self, cookie: str, number: str, action: str, **fields: str
    ) -> tuple[int, str | None]:
        """An action as the page's form sends it, with the page's own token."""
        _status, page = await self.page(cookie, f"/dashboard/tickets/{number}")
        status, _body, where = await self.post(
            cookie,
            f"/dashboard/tickets/{number}/{action}",
            {"csrf": form_token(page), **fields},
        )
        return status, where


def form_token(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "the page has no form token"
    return found.group(1)


async def file_two_tickets(standin: BotAPIStandin, resident: FakeUser) -> tuple[str, str]:
    walker = Walker(standin, resident)
    east = await report_problem(walker, WORDS, INSIDE_EAST_GATE)
    riverside = await report_problem(walker, "Rubbish heap by the river steps", INSIDE_RIVERSIDE)
    return east, riverside


@pytest.fixture
async def street(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[Street]:
    async with open_street(standin, run_bot) as opened:
        yield opened


@asynccontextmanager
async def open_street(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[Street]:
    """The sample street's chats, a worker in each of two grids, a ticket in each grid."""
    sample_chats(standin)
    standin.group(-1001, title="Verifiers")
    for worker, chat in ((111111, EAST_GATE), (111121, RIVERSIDE)):
        standin.user(worker, "Wang Fang" if chat == EAST_GATE else "Li Na", language_code="en")
        standin.add_member(chat, worker)
    bot = await run_bot(admin_ids=str(ADMIN), membership_cache_seconds=0)
    resident = standin.user(3001, "Zhang Wei", language_code="en")
    east, riverside = await file_two_tickets(standin, resident)
    await standin.wait_for_messages(EAST_GATE, count=2, timeout=10)  # card and location
    await standin.wait_for_messages(RIVERSIDE, count=2, timeout=10)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        yield Street(bot, standin, http, resident, east, riverside)


def said_to(standin: BotAPIStandin, chat: int, starts: str) -> list[str]:
    return [
        m.get("text") or ""
        for m in standin.messages(chat)
        if (m.get("text") or "").startswith(starts)
    ]


async def test_grid_staff_work_a_ticket_from_its_page_and_telegram_hears_of_it(
    street: Street,
) -> None:
    standin, number = street.standin, street.east
    wang = standin.user(111111, "Wang Fang", language_code="en")
    cookie = await street.cookie(wang)
    status, page = await street.page(cookie, f"/dashboard/tickets/{number}")
    assert status == 200
    assert f"<h1>Request {number} · Drains and sewers</h1>" in page
    assert "<dt>Status</dt><dd>waiting to be taken</dd>" in page
    assert "<strong>reported</strong> · Zhang Wei" in page  # as the staff card shows it
    assert html.escape(WORDS) in page

    assert await street.act(cookie, number, "take") == (
        303,
        f"/dashboard/tickets/{number}?done=take",
    )
    await eventually(
        lambda: said_to(standin, street.resident.id, f"Your request {number} has been taken")
    )
    await eventually(
        lambda: said_to(standin, EAST_GATE, f"🙋 {number} taken by Wang Fang on the dashboard.")
    )
    # the card shows it too, as if its button had been pressed
    await eventually(
        lambda: standin.messages(EAST_GATE)[0]["text"].endswith(
            f"🙋 {number} taken by Wang Fang on the dashboard."
        )
    )
    status, page = await street.page(cookie, f"/dashboard/tickets/{number}?done=take")
    assert f"You took request {number}; the resident is told it is being handled." in page
    assert "<dt>Status</dt><dd>taken</dd>" in page
    # only what still applies is offered: no "Take" once taken
    assert f'action="/dashboard/tickets/{number}/take"' not in page
    assert f'action="/dashboard/tickets/{number}/resolve"' in page

    await street.act(cookie, number, "note", words="Call the water company first")
    await eventually(
        lambda: said_to(standin, EAST_GATE, f"🔒 Internal note on {number} by Wang Fang")
    )
    assert not said_to(standin, street.resident.id, "💬")  # a note is never sent

    await street.act(cookie, number, "reply", words="We will replace the cover today.")
    await eventually(
        lambda: said_to(standin, street.resident.id, "💬 Grid 1: east gate about your request")
    )
    [reply] = said_to(standin, street.resident.id, "💬")
    assert reply.endswith("We will replace the cover today.")

    status, page = await street.page(cookie, f"/dashboard/tickets/{number}")
    assert "<strong>🔒 internal note</strong> · Wang Fang · Call the water company first" in page
    assert "<strong>reply</strong> · Wang Fang · We will replace the cover today." in page

    # empty words are not sent, and the page says so
    status, where = await street.act(cookie, number, "reply", words="   ")
    assert where == f"/dashboard/tickets/{number}?failed=empty"

    assert await street.act(cookie, number, "resolve") == (
        303,
        f"/dashboard/tickets/{number}?done=resolve",
    )
    await eventually(
        lambda: said_to(
            standin, street.resident.id, f"✅ Grid 1: east gate marked your request {number}"
        )
    )
    told = f"✅ {number} resolved by Wang Fang on the dashboard"
    await eventually(lambda: said_to(standin, EAST_GATE, told))
    [resolved] = said_to(standin, EAST_GATE, told)
    assert resolved.endswith("waiting for the resident to confirm.")
    await eventually(
        lambda: standin.messages(EAST_GATE)[0]["text"].endswith(
            told + "; waiting for the resident to confirm."
        )
    )
    card = standin.messages(EAST_GATE)[0]
    assert card["text"].startswith(f"🆕 Request {number} · Drains and sewers")
    assert list(inline_buttons(card)) == ["📣 Publish on the board"]
    status, page = await street.page(cookie, f"/dashboard/tickets/{number}?lang=zh")
    assert f"<h1>诉求 {number} · 下水道与排水</h1>" in page
    assert "<dt>状态</dt><dd>已解决，等待居民确认</dd>" in page
    assert "<strong>已解决</strong> · Wang Fang" in page  # the history's words, in Chinese


async def test_passing_a_ticket_on_reaches_the_new_team_and_leaves_the_old_ones_view(
    street: Street,
) -> None:
    standin, number = street.standin, street.east
    wang = standin.user(111111, "Wang Fang", language_code="en")
    cookie = await street.cookie(wang)
    status, where = await street.act(cookie, number, "reassign", to="g:SJB-02")
    assert (status, where) == (303, f"/dashboard/tickets/{number}?done=reassign")
    await eventually(
        lambda: said_to(standin, EAST_GATE, f"↪️ {number} passed to Grid 2: riverside by Wang Fang")
    )
    old_card = standin.messages(EAST_GATE)[0]
    await eventually(lambda: not inline_buttons(standin.messages(EAST_GATE)[0]))
    assert standin.messages(EAST_GATE)[0]["text"].endswith(
        f"↪️ {number} passed to Grid 2: riverside by Wang Fang on the dashboard."
    )
    assert old_card["message_id"] == standin.messages(EAST_GATE)[0]["message_id"]
    await eventually(lambda: said_to(standin, RIVERSIDE, f"🆕 Request {number}"))
    [card] = said_to(standin, RIVERSIDE, f"🆕 Request {number}")
    assert "↪️ Passed on by Grid 1: east gate (Wang Fang)." in card
    await eventually(
        lambda: said_to(standin, street.resident.id, f"↪️ Your request {number} has been passed")
    )
    # Wang Fang's grid no longer has it: the page is not found for her now
    status, page = await street.page(cookie, f"/dashboard/tickets/{number}")
    assert status == 404
    assert f"There is no request {number} that you can see." in page


async def test_another_grids_staff_can_neither_open_nor_act_on_a_ticket(street: Street) -> None:
    standin, number = street.standin, street.east
    li = standin.user(111121, "Li Na", language_code="en")  # riverside's worker
    cookie = await street.cookie(li)
    status, page = await street.page(cookie, f"/dashboard/tickets/{number}")
    assert status == 404 and WORDS not in page and "Zhang Wei" not in page
    _s, own = await street.page(cookie, f"/dashboard/tickets/{street.riverside}")
    token = form_token(own)  # a real token of her own session
    for action, form in (
        ("resolve", {}),
        ("take", {}),
        ("reply", {"words": "Spoofed reply"}),
        ("reassign", {"to": "g:SJB-02"}),
    ):
        status, _body, _where = await street.post(
            cookie, f"/dashboard/tickets/{number}/{action}", {"csrf": token, **form}
        )
        assert status == 404, action
    status, page = await street.page(cookie, "/dashboard/map")
    assert status == 200 and number not in page and street.riverside in page
    # nothing happened to the ticket: nobody was told anything
    assert not said_to(standin, street.resident.id, f"Your request {number} has been taken")
    assert not said_to(standin, street.resident.id, "💬")
    admin = standin.user(ADMIN, "Admin", language_code="en")
    _s, page = await street.page(await street.cookie(admin), f"/dashboard/tickets/{number}")
    assert "<dt>Status</dt><dd>waiting to be taken</dd>" in page


async def test_a_form_without_its_token_or_with_anothers_is_refused(street: Street) -> None:
    standin, number = street.standin, street.east
    wang = standin.user(111111, "Wang Fang", language_code="en")
    cookie = await street.cookie(wang)
    admin = standin.user(ADMIN, "Admin", language_code="en")
    _s, admins_page = await street.page(await street.cookie(admin), f"/dashboard/tickets/{number}")
    for form in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": form_token(admins_page)}):
        status, body, _where = await street.post(
            cookie, f"/dashboard/tickets/{number}/resolve", form
        )
        assert status == 403
        assert (
            "This form did not come from your dashboard page (or it has expired): open the "
            "request again and retry." in body
        )
    # not signed in at all: no action either
    async with street.http.post(
        f"{street.bot.web_url}/dashboard/tickets/{number}/resolve",
        data={"csrf": "x"},
        allow_redirects=False,
    ) as response:
        assert response.status == 401
    _s, page = await street.page(cookie, f"/dashboard/tickets/{number}")
    assert "<dt>Status</dt><dd>waiting to be taken</dd>" in page
    assert not said_to(standin, street.resident.id, "✅")


async def test_a_worker_who_left_the_grids_chat_is_refused_at_the_moment_of_acting(
    street: Street,
) -> None:
    standin, number = street.standin, street.east
    wang = standin.user(111111, "Wang Fang", language_code="en")
    cookie = await street.cookie(wang)
    _s, page = await street.page(cookie, f"/dashboard/tickets/{number}")
    standin.change_member(EAST_GATE, wang.id, "left")
    status, _body, _where = await street.post(
        cookie, f"/dashboard/tickets/{number}/resolve", {"csrf": form_token(page)}
    )
    assert status == 403
    assert not said_to(standin, street.resident.id, "✅")
