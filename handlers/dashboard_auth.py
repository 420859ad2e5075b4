"""Signing in to the supervisor dashboard: Telegram's Login Widget or the Mini App's init data,
then a signed session cookie; every request asks services.dashboard_access what it may see.

- `GET /dashboard/login`: the sign-in page. The Login Widget in redirect mode is drawn by
  Linkage's own script (/dashboard/static/login.js: the frame of oauth.telegram.org that
  telegram.org's widget script would make, `return_to` = /auth/telegram), so no script comes
  from another origin. Opened as a Mini App (init data in the fragment), the same script
  exchanges the init data for the session instead.
- `GET /auth/telegram`: the widget's signed fields (services.dashboard_access.
  verify_login_widget: HMAC-SHA256 keyed with SHA256(bot token), no older than a day); a
  person the dashboard shows something to gets the cookie and goes to /dashboard.
- `POST /auth/miniapp`: `Authorization: tma <init data>` (handlers.miniapp_auth), the same,
  and a token of the session (an hour long) in the answer: Telegram Web shows the Mini App in
  a cross-site frame, where the SameSite=Lax cookie is neither kept nor sent, so the page
  (login.js) keeps the token in memory, fetches each page with `Authorization: Bearer
  <token>` and draws it in place; a request is checked the same way whichever carried it.
- `POST /dashboard/logout`: the cookie is dropped.
(`/dashboard` in the chat: handlers/dashboard_command.py.)

Others' pages use `current_viewer(request)` and `@viewer_required`: 303 to the sign-in page
for a page, 401 for data (JSON, CSV), 403 when the person is known but sees nothing.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps
from importlib.resources import files
from urllib.parse import quote

from aiogram import Bot
from aiogram.utils.i18n import I18n
from aiohttp import web

from handlers.miniapp_auth import BOT_TOKEN, MINIAPP_I18N, authenticate
from handlers.verification import LOCALES, choose_locale
from services.authorization import Actor, Authorization
from services.dashboard_access import (
    DashboardAccess,
    DashboardViewer,
    LoginRefused,
    Session,
    SessionSigner,
    TelegramLogin,
    verify_login_widget,
)

log = logging.getLogger(__name__)

COOKIE = "linkage_dashboard"
LOGIN_PATH = "/dashboard/login"
STATIC = files("handlers") / "static" / "dashboard"
ASSETS = {"login.js": "text/javascript", "dashboard.css": "text/css"}
TELEGRAM_OAUTH = "https://oauth.telegram.org"
NO_STORE = {"Cache-Control": "no-store"}
# the Mini App's header token: its page exchanges the init data again when it runs out
MINIAPP_TOKEN_LIFETIME = timedelta(hours=1)
_VIEWER: web.RequestKey[DashboardViewer | None] = web.RequestKey("dashboard_viewer")
_SESSION: web.RequestKey[Session | None] = web.RequestKey("dashboard_session")

routes = web.RouteTableDef()


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


FORGED = N_(
    "This sign-in was not signed by Telegram for this bot. Sign in again with the button below."
)
STALE = N_("This sign-in is more than a day old. Sign in again with the button below.")
NO_ACCESS = N_(
    "{name}, the dashboard is for administrators, supervisors and the staff of a grid's chat; "
    "you are none of these now. An administrator can invite you with /invite supervisor."
)


@dataclass(frozen=True)
class DashboardSite:
    """What the sign-in needs, put on the web app by `install`."""

    access: DashboardAccess
    sessions: SessionSigner
    bot: Bot
    bot_token: str
    base_url: str  # PUBLIC_BASE_URL: where the widget sends people back to
    secure: bool  # PUBLIC_BASE_URL is https: the cookie is sent over https only
    frame_ancestors: str  # who may frame the pages (Telegram Web: the Mini App)
    i18n: I18n


SITE = web.AppKey("dashboard_site", DashboardSite)


# --- who is asking ---------------------------------------------------------------------------


def session_value(request: web.Request) -> str:
    """The signed session the request carries: `Authorization: Bearer <session>` (the Mini
    App's pages, framed cross-site by Telegram Web, where the SameSite cookie is not sent),
    else the cookie; "" for none. A header is never sent by a browser on its own, so a
    request carrying one is no cross-site forgery."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE, "")


def session_of(request: web.Request) -> Session | None:
    """The signed session the request carries, if any (checked once per request)."""
    if _SESSION not in request:
        value = session_value(request)
        request[_SESSION] = request.app[SITE].sessions.read(value) if value else None
    return request[_SESSION]


async def current_viewer(request: web.Request) -> DashboardViewer | None:
    """The person signed in and what they may see now; None: not signed in, or no access."""
    if _VIEWER not in request:
        session = session_of(request)
        viewer = None
        if session is not None:
            viewer = await request.app[SITE].access.viewer(
                session.user_id, session.name, session.chats
            )
        request[_VIEWER] = viewer
    return request[_VIEWER]


def wants_page(request: web.Request) -> bool:
    """A browser navigating (text/html first) rather than a script or a download tool."""
    accept = request.headers.get("Accept", "")
    return request.method == "GET" and "text/html" in accept


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def viewer_required(handler: Handler) -> Handler:
    """Lets the request through only with a viewer (then `viewer_of(request)` is it).

    Not signed in: 303 to the sign-in page for a page, 401 for data. Signed in but seeing
    nothing now (a role taken back, a chat left): 403, said plainly.
    """

    @wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        if await current_viewer(request) is not None:
            return await handler(request)
        session = session_of(request)
        locale = locale_for(request)
        if session is not None:
            message = translate(request, locale, NO_ACCESS).format(name=session.name)
            refused(session.user_id, session.name, request.path)
            if wants_page(request):
                raise web.HTTPForbidden(
                    text=notice_page(request, locale, message),
                    content_type="text/html",
                    headers=NO_STORE,
                )
            raise web.HTTPForbidden(
                text=_json({"error": message}), content_type="application/json", headers=NO_STORE
            )
        if wants_page(request):
            raise web.HTTPSeeOther(f"{LOGIN_PATH}?next={quote(request.path_qs, safe='')}")
        message = translate(request, locale, N_("Sign in to the dashboard first."))
        raise web.HTTPUnauthorized(
            text=_json({"error": message}), content_type="application/json", headers=NO_STORE
        )

    return guarded


def viewer_of(request: web.Request) -> DashboardViewer:
    """The viewer of a request `viewer_required` let through."""
    if _VIEWER not in request or (viewer := request[_VIEWER]) is None:
        raise web.HTTPUnauthorized()
    return viewer


def locale_for(request: web.Request) -> str:
    """`?lang=`, else the language of the Telegram account (Mini App), else the browser's."""
    asked = request.query.get("lang", "").lower()
    if asked in LOCALES:
        return asked
    session = session_of(request)
    if session is not None and session.language:
        return "zh" if session.language.lower().startswith("zh") else "en"
    return choose_locale(request, request.app[SITE].i18n.default_locale)


def translate(request: web.Request, locale: str, message: str) -> str:
    return request.app[SITE].i18n.gettext(message, locale=locale)


def refused(user_id: int, name: str, path: str) -> None:
    Authorization.refused(Actor(user_id, name), path, "dashboard", "no dashboard access")


def _json(body: dict[str, object]) -> str:
    return json.dumps(body, ensure_ascii=False)


# --- pages -----------------------------------------------------------------------------------


def page_policy(request: web.Request, frames: str = "'none'") -> dict[str, str]:
    """Same origin only; framed only by Telegram Web (the Mini App) and the sandbox."""
    policy = (
        f"default-src 'self'; frame-src {frames}; "
        f"frame-ancestors {request.app[SITE].frame_ancestors}; form-action 'self'; "
        "base-uri 'none'; object-src 'none'"
    )
    return {**NO_STORE, "Content-Security-Policy": policy}


def shell(locale: str, title: str, body: str, script: str = "") -> str:
    """A dashboard page's frame: its stylesheet, one optional script of our own, no inline."""
    e = html.escape
    tag = f'<script src="/dashboard/static/{script}"></script>' if script else ""
    return (
        f'<!doctype html><html lang="{"zh-CN" if locale == "zh" else "en"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{e(title)}</title>"
        '<link rel="stylesheet" href="/dashboard/static/dashboard.css">'
        '<link rel="icon" href="/board/icon.svg"></head>'
        f"<body>{body}{tag}</body></html>"
    )


def notice_page(request: web.Request, locale: str, message: str) -> str:
    """A refusal, with the way back to signing in."""
    e = html.escape
    title = translate(request, locale, N_("Dashboard"))
    again = translate(request, locale, N_("Sign in"))
    body = (
        f'<main class="narrow"><h1>{e(title)}</h1><p role="alert">{e(message)}</p>'
        f'<p><a href="{LOGIN_PATH}">{e(again)}</a></p></main>'
    )
    return shell(locale, title, body)


@routes.get(LOGIN_PATH)
async def login_page(request: web.Request) -> web.Response:
    site = request.app[SITE]
    locale = locale_for(request)
    if await current_viewer(request) is not None:
        raise web.HTTPSeeOther("/dashboard")
    e = html.escape
    me = await site.bot.me()
    title = translate(request, locale, N_("Dashboard"))
    intro = translate(
        request,
        locale,
        N_(
            "Sign in with your Telegram account. The dashboard is for administrators, "
            "supervisors and the staff of a grid's chat."
        ),
    )
    no_script = translate(
        request, locale, N_("Signing in with Telegram needs JavaScript in this browser.")
    )
    opening = translate(request, locale, N_("Signing you in…"))
    other = "zh" if locale == "en" else "en"
    body = (
        f'<main class="narrow"><h1>{e(title)}</h1><p>{e(intro)}</p>'
        f'<div id="telegram-login" data-bot="{e(me.username or "")}" '
        f'data-origin="{e(origin_of(site.base_url))}" '
        f'data-auth-url="{e(site.base_url)}/auth/telegram" data-lang="{locale}" '
        f'data-opening="{e(opening)}"></div>'
        f"<noscript><p>{e(no_script)}</p></noscript>"
        f'<p id="login-error" role="alert" hidden></p>'
        f'<p><a href="?lang={other}" hreflang="{other}">{"中文" if other == "zh" else "English"}'
        "</a></p></main>"
    )
    return web.Response(
        text=shell(locale, title, body, "login.js"),
        content_type="text/html",
        headers=page_policy(request, frames=TELEGRAM_OAUTH),
    )


def origin_of(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@routes.get("/auth/telegram")
async def telegram_login(request: web.Request) -> web.Response:
    """Where the Login Widget sends the person back, with Telegram's signed fields."""
    site = request.app[SITE]
    locale = locale_for(request)
    fields = {key: value for key, value in request.query.items() if key != "lang"}
    try:
        login = verify_login_widget(fields, site.bot_token, datetime.now(UTC))
    except LoginRefused as why:
        log.warning("dashboard sign-in refused: %s", why)
        message = STALE if "long ago" in str(why) else FORGED
        raise web.HTTPForbidden(
            text=notice_page(request, locale, translate(request, locale, message)),
            content_type="text/html",
            headers=NO_STORE,
        ) from None
    return await _signed_in(request, login, locale, page=True)


@routes.post("/auth/miniapp")
async def miniapp_login(request: web.Request) -> web.Response:
    """The Mini App's init data (Authorization: tma …) for the session cookie."""
    person = authenticate(request)
    assert person.user is not None
    name = " ".join(p for p in (person.user.first_name, person.user.last_name) if p)
    login = TelegramLogin(person.user.id, name, person.user.language_code)
    locale = "zh" if (login.language or "").startswith("zh") else "en"
    return await _signed_in(request, login, locale, page=False)


async def _signed_in(
    request: web.Request, login: TelegramLogin, locale: str, *, page: bool
) -> web.Response:
    site = request.app[SITE]
    signed = await site.access.sign_in(login.user_id, login.name)
    if signed is None:
        refused(login.user_id, login.name, request.path)
        message = translate(request, locale, NO_ACCESS).format(name=login.name)
        if page:
            raise web.HTTPForbidden(
                text=notice_page(request, locale, message),
                content_type="text/html",
                headers=NO_STORE,
            )
        raise web.HTTPForbidden(
            text=_json({"error": message}), content_type="application/json", headers=NO_STORE
        )
    log.info("dashboard: user %s signed in", login.user_id)
    response: web.Response
    if page:
        response = web.Response(status=303, headers={**NO_STORE, "Location": "/dashboard"})
    else:  # the Mini App: also a token its page keeps in memory and sends as a header
        token = site.sessions.issue(login, signed.chats, MINIAPP_TOKEN_LIFETIME)
        response = web.json_response({"ok": True, "token": token}, headers=NO_STORE)
    response.set_cookie(
        COOKIE,
        site.sessions.issue(login, signed.chats),
        max_age=int(site.sessions.lifetime.total_seconds()),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=site.secure,
    )
    return response


@routes.post("/dashboard/logout")
async def logout(request: web.Request) -> web.Response:
    response = web.Response(status=303, headers={**NO_STORE, "Location": LOGIN_PATH})
    response.del_cookie(COOKIE, path="/")
    return response


@routes.get("/dashboard/static/{name}")
async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound()
    body = (STATIC / name).read_bytes()
    return web.Response(body=body, content_type=ASSETS[name], headers={"Cache-Control": "no-cache"})


def install(app: web.Application, site: DashboardSite) -> None:
    """Serve the sign-in on the bot's web server."""
    app[SITE] = site
    app[BOT_TOKEN] = site.bot_token
    app[MINIAPP_I18N] = site.i18n
    app.add_routes(routes)
