"""The sandbox page and its JSON, server-sent events and actions (as the people in the panes).

Every action is a POST, and guard.py lets only the sandbox's own page make them.
"""

from __future__ import annotations

import asyncio
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.i18n import build_i18n
from bot.sandbox.guard import own_page_only
from bot.sandbox.runtime import Sandbox
from bot.sandbox.samples import sample_photo
from bot.sandbox.strings import page_strings
from bot.sandbox.view import snapshot
from bot.sandbox.world import SAMPLE_PHONE
from handlers.common import LanguageChoice
from handlers.web_security import content_security_policy, security_headers
from services.people import LOCALES

SANDBOX = web.AppKey("sandbox", Sandbox)
STRINGS = web.AppKey("strings", dict[str, dict[str, str]])
STATIC = Path(str(files("bot.sandbox") / "static"))
CALLBACK_ANSWER_WAIT = 3.0
routes = web.RouteTableDef()


def sandbox_app(sandbox: Sandbox) -> web.Application:
    # same-origin only but the bot's Mini Apps in the panes' frames, never framed itself;
    # refusals carry the headers too
    policy = f"{content_security_policy()}; frame-src {sandbox.web_url}"
    app = web.Application(
        client_max_size=20 * 1024 * 1024,
        middlewares=[security_headers(policy), own_page_only(sandbox.config.host)],
    )
    app[SANDBOX] = sandbox
    app[STRINGS] = {locale: page_strings(build_i18n("en"), locale) for locale in LOCALES}
    app.add_routes(routes)
    app.router.add_static("/sandbox/static", STATIC)
    return app


@routes.get("/")
async def root(request: web.Request) -> web.Response:
    raise web.HTTPFound("/sandbox")


@routes.get("/sandbox")
async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


@routes.get("/sandbox/board")
async def board(request: web.Request) -> web.Response:
    """The bot's public board, on its own web server."""
    raise web.HTTPFound(_bot_web(request) + "/board")


@routes.get("/sandbox/dashboard")
async def dashboard(request: web.Request) -> web.Response:
    """The bot's dashboard sign-in page (the page's link signs the officer in instead)."""
    raise web.HTTPFound(_bot_web(request) + "/dashboard/login")


@routes.post("/sandbox/api/dashboard")
async def dashboard_login(request: web.Request) -> web.Response:
    """Where the officer signs in to the dashboard: /auth/telegram with login data signed
    with the sandbox's bot token, as Telegram's Login Widget signs it (a POST: only the
    sandbox's own page may ask, guard.py)."""
    return web.json_response({"url": request.app[SANDBOX].dashboard_login_url()})


@routes.get("/sandbox/open311")
async def open311(request: web.Request) -> web.Response:
    """The bot's Open311 services list, on its own web server."""
    raise web.HTTPFound(_bot_web(request) + "/open311/v2/services.json")


def _bot_web(request: web.Request) -> str:
    config = request.app[SANDBOX].config
    return f"http://{config.host}:{config.web_port}"


@routes.get("/sandbox/api/strings")
async def strings(request: web.Request) -> web.Response:
    locale = request.query.get("locale", "en")
    return web.json_response(request.app[STRINGS].get(locale, request.app[STRINGS]["en"]))


@routes.get("/sandbox/api/state")
async def state(request: web.Request) -> web.Response:
    if not request.app[SANDBOX].ready:
        raise web.HTTPServiceUnavailable(text="starting")
    return web.json_response(snapshot(request.app[SANDBOX]))


@routes.get("/sandbox/api/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the whole state at once, then again after every change."""
    sandbox = request.app[SANDBOX]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    try:
        while True:
            seen = sandbox.version
            if sandbox.ready:  # else the world is being rebuilt: wait for its first change
                data = json.dumps(snapshot(sandbox), ensure_ascii=False)
                await response.write(f"data: {data}\n\n".encode())
            while sandbox.version == seen:
                if not await sandbox.changed.wait(15):
                    await response.write(b": still here\n\n")
            await asyncio.sleep(0.05)  # one drawing for a burst of changes
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


@routes.get("/sandbox/api/file/{file_id}")
async def file(request: web.Request) -> web.Response:
    stored = request.app[SANDBOX].standin.file(request.match_info["file_id"])
    if stored is None:
        raise web.HTTPNotFound()
    content_type = stored.mime_type or ("image/jpeg" if stored.kind == "photo" else None)
    return web.Response(body=stored.data, content_type=content_type or "application/octet-stream")


def _target(sandbox: Sandbox, body: dict[str, Any]) -> tuple[int, int]:
    """(user, chat) for an action; 400 when the pane does not see the chat."""
    if not sandbox.ready:
        raise web.HTTPServiceUnavailable(text="starting again")
    try:
        pane, chat_id = str(body["pane"]), int(body["chat"])
        return sandbox.actor(pane, chat_id), chat_id
    except (KeyError, TypeError, ValueError):
        raise web.HTTPBadRequest(text="unknown pane or chat") from None


def _thread(body: dict[str, Any]) -> int | None:
    return int(body["thread"]) if body.get("thread") else None


@routes.post("/sandbox/api/send")
async def send(request: web.Request) -> web.Response:
    """Text typed in a pane, a reply-keyboard button, a command, a location or a contact."""
    sandbox = request.app[SANDBOX]
    body = await request.json()
    user, chat = _target(sandbox, body)
    standin = sandbox.standin
    if "location" in body:
        latitude, longitude = body["location"]
        standin.send_location(user, float(latitude), float(longitude), chat=chat)
    elif body.get("contact"):
        person = standin.state.users[user]
        standin.send_contact(user, SAMPLE_PHONE, person.first_name, chat=chat)
    else:
        text = str(body.get("text", "")).strip()
        if not text:
            raise web.HTTPBadRequest(text="empty message")
        reply_to = int(body["reply_to"]) if body.get("reply_to") else None
        standin.send_message(user, text, chat, reply_to, _thread(body))
    return web.json_response({"ok": True})


@routes.post("/sandbox/api/photo")
async def photo(request: web.Request) -> web.Response:
    """A photo uploaded in a pane (the front desk's scan of a card, a selfie, a drain)."""
    sandbox = request.app[SANDBOX]
    form = await request.post()
    upload = form.get("photo")
    if not isinstance(upload, web.FileField):
        raise web.HTTPBadRequest(text="no photo")
    user, chat = _target(sandbox, dict(form))
    sandbox.standin.send_photo(user, upload.file.read(), chat=chat)
    return web.json_response({"ok": True})


@routes.post("/sandbox/api/sample-photo")
async def sample(request: web.Request) -> web.Response:
    """A drawn picture for people with no photo at hand: a selfie for the tourist, else a drain."""
    sandbox = request.app[SANDBOX]
    body = await request.json()
    user, chat = _target(sandbox, body)
    kind = "face" if body.get("pane") == "tourist" else "street"
    sandbox.standin.send_photo(user, sample_photo(kind), chat=chat)
    return web.json_response({"ok": True})


@routes.post("/sandbox/api/scan")
async def scan(request: web.Request) -> web.Response:
    """The front desk points its camera at a card shown in the sandbox: the card's picture."""
    sandbox = request.app[SANDBOX]
    body = await request.json()
    user, chat = _target(sandbox, body)
    stored = sandbox.standin.file(str(body.get("file_id")))
    if stored is None:
        raise web.HTTPNotFound(text="no such card")
    sandbox.standin.send_photo(user, stored.data, chat=chat)
    return web.json_response({"ok": True})


@routes.post("/sandbox/api/miniapp")
async def miniapp(request: web.Request) -> web.Response:
    """Where the pane's Mini App opens (tourist: My certificate; front desk: the console)."""
    sandbox = request.app[SANDBOX]
    pane = str((await request.json()).get("pane"))
    if pane not in ("tourist", "frontdesk"):
        raise web.HTTPNotFound(text="no Mini App in this pane")
    return web.json_response({"url": sandbox.miniapp_url(pane)})


@routes.post("/sandbox/api/live-code")
async def live_code(request: web.Request) -> web.Response:
    """The desk's camera on the tourist's phone: the live QR the tourist's Mini App shows."""
    return web.json_response({"code": await request.app[SANDBOX].live_code()})


@routes.post("/sandbox/api/press")
async def press(request: web.Request) -> web.Response:
    """An inline button pressed; answers with the bot's notification text, if any."""
    sandbox = request.app[SANDBOX]
    body = await request.json()
    user, chat = _target(sandbox, body)
    standin = sandbox.standin
    message = standin.state.get_message(chat, int(body["message"]))
    if message is None:
        raise web.HTTPConflict(text="message gone")
    data = str(body["data"])
    query_id = standin.press_button(user, message, data)
    chosen = _chosen_language(data)
    if chosen is not None:  # the bot's own /language: the pane's words follow the person
        sandbox.locales[str(body["pane"])] = chosen
    loop = asyncio.get_running_loop()
    deadline = loop.time() + CALLBACK_ANSWER_WAIT
    while not (answers := standin.callback_answers(query_id)) and loop.time() < deadline:
        await standin.state.calls_signal.wait(deadline - loop.time())
    answer = answers[0] if answers else {}
    return web.json_response({"text": answer.get("text"), "alert": answer.get("show_alert")})


def _chosen_language(data: str) -> str | None:
    try:
        choice = LanguageChoice.unpack(data)
    except (TypeError, ValueError):
        return None
    return choice.locale if choice.locale in LOCALES else None


@routes.post("/sandbox/api/language")
async def language(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    body = await request.json()
    locale, pane = body.get("locale"), body.get("pane")
    if locale not in LOCALES or pane not in sandbox.world.panes:
        raise web.HTTPBadRequest(text="unknown pane or language")
    await sandbox.choose_locale(pane, locale)
    return web.json_response({"ok": True})


@routes.post("/sandbox/api/reset")
async def reset(request: web.Request) -> web.Response:
    await request.app[SANDBOX].reset()
    return web.json_response({"ok": True})
