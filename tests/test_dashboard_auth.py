"""Signing in to the dashboard through the running bot: the Login Widget's signed fields, the
Mini App's init data, the session cookie; and each attack refused: a forged or stale login, a
resident with no role, a tampered cookie, a staff member who left their grid's chat.

Uses the bundled sample routing file (street office, two communities, six grids).
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import aiohttp
import pytest

from bot.localapi import BotAPIStandin
from handlers.dashboard_auth import COOKIE
from handlers.miniapp_auth import signed_init_data
from services.dashboard_access import sign_login_widget
from tests.support.running import TOKEN, RunningBot
from tests.test_roles import invitation_code, next_message, next_text

ADMIN = 9001
STREET_OFFICE = -1001000000001
SANJIABANG = -1001000000010
EAST_GATE = -1001000000011
SAMPLE_CHATS = {
    STREET_OFFICE: "Street office",
    SANJIABANG: "Sanjiabang community",
    EAST_GATE: "Grid 1",
    -1001000000012: "Grid 2",
    -1001000000013: "Grid 3",
    -1001000000014: "Grid 4",
    -1001000000020: "Second community",
    -1001000000021: "Grid 5",
    -1001000000022: "Grid 6",
    -1001000000090: "Mediation committee",  # categories' own chats (a department's)
    -1001000000091: "Property service desk",
}


def sample_chats(standin: BotAPIStandin) -> None:
    """Every staff chat of the sample routing file, so getChatMember finds each."""
    for chat_id, title in SAMPLE_CHATS.items():
        standin.group(chat_id, title=title)


def login_fields(
    user_id: int, first_name: str, *, signed_at: datetime | None = None, token: str = TOKEN
) -> dict[str, str]:
    """What Telegram's Login Widget sends back to /auth/telegram, signed as Telegram does."""
    moment = signed_at or datetime.now(UTC)
    fields = {
        "id": str(user_id),
        "first_name": first_name,
        "username": first_name.lower().replace(" ", "_"),
        "auth_date": str(int(moment.timestamp())),
    }
    return sign_login_widget(fields, token)


def session_cookie(response: aiohttp.ClientResponse) -> str:
    cookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", []):
        cookie.load(header)
    return cookie[COOKIE].value


async def sign_in(
    http: aiohttp.ClientSession, bot: RunningBot, fields: dict[str, str], **headers: str
) -> aiohttp.ClientResponse:
    return await http.get(
        f"{bot.web_url}/auth/telegram",
        params=fields,
        allow_redirects=False,
        headers={"Accept": "text/html", **headers},
    )


@pytest.fixture
async def bot(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> AsyncIterator[RunningBot]:
    sample_chats(standin)
    standin.group(-1001, title="Verifiers")
    yield await run_bot(admin_ids=str(ADMIN), membership_cache_seconds=0)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        yield session


async def test_an_invited_supervisor_signs_in_and_sees_the_page(
    standin: BotAPIStandin, bot: RunningBot, http: aiohttp.ClientSession
) -> None:
    admin = standin.user(ADMIN, "Chief", language_code="en")
    guo = standin.user(5301, "Guo Mei", language_code="en")
    standin.send_command(admin, "/invite", "supervisor")
    invitation = await next_text(standin, admin.id)
    assert invitation.startswith("Invitation: Supervisor\n")
    standin.send_command(guo, "/start", invitation_code(invitation))
    assert await next_text(standin, guo.id) == (
        "Welcome! You are now a supervisor: send /dashboard to see every grid's figures, the "
        "map and the exports."
    )
    standin.send_command(guo, "/whoami")
    assert await next_text(standin, guo.id) == "Your Telegram id: 5301\n• Supervisor"

    standin.send_command(guo, "/dashboard")
    assert await next_text(standin, guo.id) == (
        f"Open {bot.web_url}/dashboard in a browser and sign in with Telegram. (Telegram opens "
        "the dashboard inside the chat only when PUBLIC_BASE_URL is an https address.)"
    )

    # not signed in: a page goes to the sign-in, data gets 401
    away = await http.get(
        f"{bot.web_url}/dashboard", allow_redirects=False, headers={"Accept": "text/html"}
    )
    assert away.status == 303
    assert away.headers["Location"] == "/dashboard/login?next=/dashboard"
    login = await http.get(f"{bot.web_url}/dashboard/login", headers={"Accept": "text/html"})
    page = await login.text()
    assert "Sign in with your Telegram account." in page
    assert 'data-bot="linkage_test_bot"' in page
    assert f'data-auth-url="{bot.web_url}/auth/telegram"' in page
    assert '<script src="/dashboard/static/login.js">' in page
    assert "telegram.org/js" not in page  # the widget's script is Linkage's own
    policy = login.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-src https://oauth.telegram.org" in policy

    signed = await sign_in(http, bot, login_fields(guo.id, "Guo Mei"))
    assert signed.status == 303
    assert signed.headers["Location"] == "/dashboard"
    set_cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert "Secure" not in set_cookie  # PUBLIC_BASE_URL is http here
    cookie = session_cookie(signed)

    shown = await http.get(
        f"{bot.web_url}/dashboard", headers={"Accept": "text/html", "Cookie": f"{COOKIE}={cookie}"}
    )
    assert shown.status == 200
    assert "Signed in as Guo Mei" in await shown.text()

    # the role taken back: the same cookie sees nothing from the next request
    standin.send_command(admin, "/revoke_role", "5301 supervisor")
    assert await next_text(standin, admin.id) == (
        "Done: user 5301 no longer has the role “Supervisor”."
    )
    after = await http.get(
        f"{bot.web_url}/dashboard", headers={"Accept": "text/html", "Cookie": f"{COOKIE}={cookie}"}
    )
    assert after.status == 403
    assert "Guo Mei, the dashboard is for administrators, supervisors and the staff" in (
        await after.text()
    )


async def test_a_forged_or_stale_login_is_refused(
    standin: BotAPIStandin, bot: RunningBot, http: aiohttp.ClientSession
) -> None:
    forged = login_fields(ADMIN, "Chief", token="987654321:someone-elses-token")
    answer = await sign_in(http, bot, forged)
    assert answer.status == 403
    assert "Set-Cookie" not in answer.headers
    assert (
        "This sign-in was not signed by Telegram for this bot. Sign in again with the button "
        "below." in await answer.text()
    )

    changed = login_fields(5555, "Mallory")
    changed["id"] = str(ADMIN)  # a signed login of someone else, with the admin's id put in
    assert (await sign_in(http, bot, changed)).status == 403
    assert (await sign_in(http, bot, {"id": str(ADMIN), "auth_date": "1"})).status == 403

    stale = login_fields(ADMIN, "Chief", signed_at=datetime.now(UTC) - timedelta(days=1, hours=1))
    answer = await sign_in(http, bot, stale, **{"Accept-Language": "zh-CN"})
    assert answer.status == 403
    assert "这次登录已超过一天。请用下面的按钮重新登录。" in await answer.text()

    fresh = await sign_in(http, bot, login_fields(ADMIN, "Chief"))
    assert fresh.status == 303  # the admin, signed properly, gets in


async def test_a_resident_with_no_role_is_refused_in_the_chat_and_on_the_web(
    standin: BotAPIStandin, bot: RunningBot, http: aiohttp.ClientSession
) -> None:
    shen = standin.user(3001, "Lao Shen", language_code="zh")
    standin.send_command(shen, "/dashboard")
    assert await next_text(standin, shen.id) == (
        "看板只供管理员、督导和网格工作群的工作人员使用，你目前都不是。管理员可以用 "
        "/invite supervisor 邀请你。"
    )
    answer = await sign_in(http, bot, login_fields(shen.id, "Lao Shen"))
    assert answer.status == 403
    assert "Set-Cookie" not in answer.headers
    assert (
        "Lao Shen, the dashboard is for administrators, supervisors and the staff of a grid's "
        "chat; you are none of these now."
    ) in html.unescape(await answer.text())

    init_data = signed_init_data(
        TOKEN, {"id": shen.id, "first_name": "Lao Shen", "language_code": "zh"}, datetime.now(UTC)
    )
    mini = await http.post(
        f"{bot.web_url}/auth/miniapp", headers={"Authorization": f"tma {init_data}"}
    )
    assert mini.status == 403
    refusal = (await mini.json())["error"]
    assert refusal.startswith("Lao Shen，看板只供管理员、督导和网格工作群的工作人员使用")


async def test_a_tampered_cookie_is_refused(
    standin: BotAPIStandin, bot: RunningBot, http: aiohttp.ClientSession
) -> None:
    mallory = standin.user(5555, "Mallory", language_code="en")
    standin.add_member(EAST_GATE, mallory.id, "administrator")  # staff of grid 1: signs in
    cookie = session_cookie(await sign_in(http, bot, login_fields(mallory.id, "Mallory")))
    payload, mac = cookie.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["u"] = ADMIN  # the admin's id, keeping Mallory's signature
    raw = json.dumps(body, separators=(",", ":")).encode()
    forged = base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + mac
    for value in (forged, payload + "." + "0" * len(mac), "nonsense", cookie + "x"):
        answer = await http.get(
            f"{bot.web_url}/dashboard/api/ping",
            headers={"Accept": "application/json", "Cookie": f"{COOKIE}={value}"},
        )
        assert answer.status == 401, value
        assert (await answer.json()) == {"error": "Sign in to the dashboard first."}
    page = await http.get(
        f"{bot.web_url}/dashboard",
        allow_redirects=False,
        headers={"Accept": "text/html", "Cookie": f"{COOKIE}={forged}"},
    )
    assert page.status == 303


async def test_grid_staff_see_their_grid_until_they_leave_its_chat(
    standin: BotAPIStandin, bot: RunningBot, http: aiohttp.ClientSession
) -> None:
    wang = standin.user(111111, "Wang Fang", language_code="en")
    standin.add_member(EAST_GATE, wang.id)
    cookie = session_cookie(await sign_in(http, bot, login_fields(wang.id, "Wang Fang")))
    headers = {"Accept": "application/json", "Cookie": f"{COOKIE}={cookie}"}
    ping = await http.get(f"{bot.web_url}/dashboard/api/ping", headers=headers)
    assert await ping.json() == {"user": wang.id, "grids": ["SJB-01"]}

    # a chat joined after signing in counts from the next sign-in: the session keeps the
    # chats found then, and only those are asked again at each request
    standin.add_member(SANJIABANG, wang.id)  # the community's chat: its four grids
    ping = await http.get(f"{bot.web_url}/dashboard/api/ping", headers=headers)
    assert await ping.json() == {"user": wang.id, "grids": ["SJB-01"]}
    cookie = session_cookie(await sign_in(http, bot, login_fields(wang.id, "Wang Fang")))
    headers = {"Accept": "application/json", "Cookie": f"{COOKIE}={cookie}"}
    ping = await http.get(f"{bot.web_url}/dashboard/api/ping", headers=headers)
    assert await ping.json() == {
        "user": wang.id,
        "grids": ["SJB-01", "SJB-02", "SJB-03", "SJB-04"],
    }
    standin.add_member(STREET_OFFICE, wang.id)  # the street office's chat: everything
    cookie = session_cookie(await sign_in(http, bot, login_fields(wang.id, "Wang Fang")))
    headers = {"Accept": "application/json", "Cookie": f"{COOKIE}={cookie}"}
    ping = await http.get(f"{bot.web_url}/dashboard/api/ping", headers=headers)
    assert await ping.json() == {"user": wang.id, "grids": None}

    standin.change_member(STREET_OFFICE, wang.id, "left")  # at the next request: the rest
    ping = await http.get(f"{bot.web_url}/dashboard/api/ping", headers=headers)
    assert await ping.json() == {
        "user": wang.id,
        "grids": ["SJB-01", "SJB-02", "SJB-03", "SJB-04"],
    }
    for chat in (EAST_GATE, SANJIABANG):
        standin.change_member(chat, wang.id, "left")
    gone = await http.get(f"{bot.web_url}/dashboard/api/ping", headers=headers)
    assert gone.status == 403
    assert (await gone.json())["error"].startswith("Wang Fang, the dashboard is for")


async def test_the_mini_app_exchanges_its_init_data_for_the_session(
    standin: BotAPIStandin, run_bot: Callable[..., Awaitable[RunningBot]]
) -> None:
    sample_chats(standin)
    bot = await run_bot(admin_ids=str(ADMIN), public_base_url="https://linkage.example")
    admin = standin.user(ADMIN, "Chief", language_code="en")
    standin.send_command(admin, "/dashboard")
    offer = await next_message(standin, admin.id)
    assert offer["text"] == "The street's figures, map and exports:"
    [[button]] = offer["reply_markup"]["inline_keyboard"]
    assert button == {
        "text": "📊 Open the dashboard",
        "web_app": {"url": "https://linkage.example/dashboard"},
    }
    init_data = signed_init_data(
        TOKEN, {"id": ADMIN, "first_name": "Chief", "language_code": "zh"}, datetime.now(UTC)
    )
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        refused = await http.post(
            f"{bot.web_url}/auth/miniapp", headers={"Authorization": "tma " + init_data + "0"}
        )
        assert refused.status == 401
        answer = await http.post(
            f"{bot.web_url}/auth/miniapp", headers={"Authorization": f"tma {init_data}"}
        )
        assert answer.status == 200
        token = (await answer.json())["token"]  # for the frame where no cookie is sent
        ping = await http.get(
            f"{bot.web_url}/dashboard/api/ping", headers={"Authorization": f"Bearer {token}"}
        )
        assert await ping.json() == {"user": ADMIN, "grids": None}
        forged = await http.get(
            f"{bot.web_url}/dashboard/api/ping", headers={"Authorization": f"Bearer {token}0"}
        )
        assert forged.status == 401
        set_cookie = answer.headers["Set-Cookie"]
        assert re.search(r"; Secure", set_cookie) and "HttpOnly" in set_cookie
        page = await http.get(
            f"{bot.web_url}/dashboard",
            headers={"Accept": "text/html", "Cookie": f"{COOKIE}={session_cookie(answer)}"},
        )
        assert page.status == 200
        text = await page.text()
        assert "登录身份：Chief" in text  # the Telegram account's language
        policy = page.headers["Content-Security-Policy"]
        assert "frame-ancestors https://web.telegram.org" in policy
