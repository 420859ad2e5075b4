"""A ticket's page on the dashboard, /dashboard/tickets/{number}: its history as the staff card's
/ticket tells it (words in the reader's language, times in TIMEZONE), and the card's actions:
take, resolve, pass on, an internal note, a reply to the resident.

Shown to a viewer who sees the ticket's grid (handlers.dashboard_auth asks at each request);
each action is asked of services.ticket_actions (services.authorization, at that moment, about
the viewer's Telegram account) and done by the same TicketService calls as the card, so the
resident hears of it through the outbox and the team's chat is told what was done. Forms are
POSTs carrying a token bound to the session (HMAC), under a SameSite cookie; after each the
page says what happened (POST, then 303 back to the page).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiogram import Bot
from aiohttp import web

from handlers.dashboard_auth import (
    NO_STORE,
    locale_for,
    page_policy,
    session_value,
    shell,
    translate,
    viewer_of,
    viewer_required,
)
from handlers.menu import N_
from handlers.notices import TelegramTicketNotices
from handlers.statuses import EVENT, STAFF_STATUS
from handlers.topics import ticket_topic
from services.authorization import Actor
from services.dashboard_access import DashboardViewer, may_see_ticket
from services.models import Ticket
from services.routing import Routing, text
from services.ticket_actions import Refused, TicketActions, destination
from services.tickets import (
    CLOSED,
    NEW,
    OPEN,
    REOPENED,
    AlreadyTaken,
    TicketService,
    WrongState,
    has_resident,
)

log = logging.getLogger(__name__)
ACTIONS = ("take", "resolve", "reassign", "note", "reply")
STALE_FORM = N_(
    "This form did not come from your dashboard page (or it has expired): open the request "
    "again and retry."
)
WORDS_LIMIT = 4000
routes = web.RouteTableDef()


@dataclass(frozen=True)
class TicketSite:
    tickets: TicketService
    actions: TicketActions
    notices: TelegramTicketNotices
    routing: Callable[[], Routing]  # the routing in use now
    bot: Bot  # a forum grid's chat gets a topic for a ticket passed to it, as from the card
    csrf_key: bytes


TICKET_SITE = web.AppKey("dashboard_ticket", TicketSite)


# --- forms' token ---------------------------------------------------------------------------


def csrf_token(request: web.Request) -> str:
    """The token a form of this session carries: an HMAC of the session cookie."""
    session = session_value(request)  # the cookie, or the Mini App's header
    return hmac.new(request.app[TICKET_SITE].csrf_key, session.encode(), hashlib.sha256).hexdigest()


def csrf_key(bot_token: str) -> bytes:
    return hmac.new(bot_token.encode(), b"linkage dashboard forms v1", hashlib.sha256).digest()


# --- the page -------------------------------------------------------------------------------


async def _visible(request: web.Request, viewer: DashboardViewer) -> Ticket:
    """The ticket of the address, if this viewer sees it; else 404 (another grid's ticket is
    not said to exist)."""
    site = request.app[TICKET_SITE]
    number = request.match_info["number"]
    ticket = await site.tickets.by_number(number)
    if ticket is None or ticket.number != number or not may_see_ticket(viewer, ticket):
        if ticket is not None:
            log.warning(
                "dashboard: user %s refused ticket %s: not one of their grids",
                viewer.user_id,
                ticket.id,
            )
        locale = locale_for(request)
        message = translate(request, locale, N_("There is no request {number} that you can see."))
        raise web.HTTPNotFound(
            text=shell(
                locale,
                number,
                f'<main class="narrow"><p role="alert">'
                f"{html.escape(message.format(number=number))}</p>"
                f'<p><a href="/dashboard">{html.escape(translate(request, locale, "Dashboard"))}'
                "</a></p></main>",
            ),
            content_type="text/html",
            headers=NO_STORE,
        )
    return ticket


@routes.get("/dashboard/tickets/{number}")
@viewer_required
async def ticket_page(request: web.Request) -> web.Response:
    site = request.app[TICKET_SITE]
    viewer = viewer_of(request)
    ticket = await _visible(request, viewer)
    assert ticket.id is not None
    locale = locale_for(request)
    routing = site.routing()
    notices = site.notices

    def _(message: str) -> str:
        return translate(request, locale, message)

    e = html.escape
    category = text(routing.category(ticket.category).name, locale)
    title = _("Request {number} · {category}").format(number=ticket.number, category=category)
    status = _(STAFF_STATUS[ticket.status]) if ticket.status in STAFF_STATUS else ticket.status
    facts = [
        (_("Status"), status),
        (_("Team"), notices.team(ticket, locale)),
        (_("From"), notices.reporter(ticket, locale)),
        (_("Place"), notices.place(ticket, locale)),
        (_("Received"), notices.when(ticket.created_at)),
    ]
    if ticket.assignee_name:
        facts.append((_("Handled by"), ticket.assignee_name))
    history = []
    for event in await site.tickets.history(ticket.id):
        label = _(EVENT[event.kind]) if event.kind in EVENT else event.kind
        who = notices.actor(ticket, event.actor_id, event.actor_name, locale)
        detail = f" · {e(event.detail)}" if event.detail else ""
        history.append(
            f'<li><time datetime="{event.at.isoformat()}">{e(notices.when(event.at))}</time>'
            f"<strong>{e(label)}</strong> · {e(who)}{detail}</li>"
        )
    body = (
        f'<header class="top"><h1>{e(title)}</h1><nav><a href="/dashboard">{e(_("Dashboard"))}</a>'
        f' · <a href="/dashboard/map">{e(_("Map"))}</a></nav></header>'
        f'<main class="dashboard ticket-page" id="main">'
        + _outcome(request, ticket, _)
        + '<dl class="facts">'
        + "".join(f"<dt>{e(name)}</dt><dd>{e(value)}</dd>" for name, value in facts)
        + f"</dl><blockquote>{e(ticket.text)}</blockquote>"
        + (
            f'<p><a href="{e(ticket.media_url)}" rel="noreferrer noopener">{e(_("Media"))}</a></p>'
            if ticket.media_url
            else ""
        )
        + f'<section class="figure"><h2>{e(_("History"))}</h2>'
        f'<ol class="history">{"".join(history)}</ol></section>'
        + _forms(request, ticket, routing, locale, _)
        + "</main>"
    )
    page = shell(locale, title, body).replace(
        "</head>", '<link rel="stylesheet" href="/dashboard/map/map.css"></head>', 1
    )
    return web.Response(text=page, content_type="text/html", headers=page_policy(request))


DONE = {
    "take": N_("You took request {number}; the resident is told it is being handled."),
    "resolve": N_("Request {number} is resolved; the resident is asked whether it is fixed."),
    "reassign": N_("Request {number} is passed to {team}; its team and the resident are told."),
    "note": N_("Your internal note is kept on request {number}; the resident does not see it."),
    "reply": N_("Your reply is on its way to the resident of request {number}."),
    "status-note": N_(
        "Your reply is recorded on {number} as a status note for the Open311 client that filed it."
    ),
}
FAILED = {
    "refused": N_("Only the staff of this request's team can do that."),
    "state": N_("This request has already been resolved or closed."),
    "taken": N_("Someone else has already taken this request."),
    "empty": N_("Write the words first: an empty note or reply is not sent."),
    "closed": N_("Request {number} is closed; the resident will not see this."),
    "unknown": N_("Choose a category or grid to pass the request to."),
}


def _outcome(request: web.Request, ticket: Ticket, _: Callable[[str], str]) -> str:
    e = html.escape
    done, failed = request.query.get("done", ""), request.query.get("failed", "")
    team = request.app[TICKET_SITE].notices.team(ticket, locale_for(request))
    if done in DONE:
        said = _(DONE[done]).format(number=ticket.number, team=team)
        return f'<p class="done" role="status">{e(said)}</p>'
    if failed in FAILED:
        said = _(FAILED[failed]).format(number=ticket.number)
        return f'<p class="failed" role="alert">{e(said)}</p>'
    return ""


def _forms(
    request: web.Request, ticket: Ticket, routing: Routing, locale: str, _: Callable[[str], str]
) -> str:
    e = html.escape
    token = f'<input type="hidden" name="csrf" value="{csrf_token(request)}">'
    base = f"/dashboard/tickets/{ticket.number}"
    lang = request.query.get("lang", "")
    keep = f'<input type="hidden" name="lang" value="{e(lang)}">' if lang else ""

    def form(action: str, inner: str, button: str) -> str:
        return (
            f'<form method="post" action="{base}/{action}">{token}{keep}{inner}'
            f'<button type="submit">{e(button)}</button></form>'
        )

    choices = "".join(
        f'<option value="c:{e(c.code)}">🏷 {e(text(c.name, locale))}</option>'
        for c in routing.categories
        if c.code != ticket.category
    ) + "".join(
        f'<option value="g:{e(g.code)}">📍 {e(text(g.name, locale))}</option>'
        for g in routing.grids
        if g.code != ticket.grid
    )
    reply_label = (
        _("Reply to the resident")
        if has_resident(ticket)
        else _("Status note for the Open311 client that filed it")
    )
    return (
        f'<section class="figure"><h2>{e(_("Actions"))}</h2><div class="actions">'
        + (form("take", "", "🙋 " + _("Take")) if ticket.status in (NEW, REOPENED) else "")
        + (form("resolve", "", "✅ " + _("Resolved")) if ticket.status in OPEN else "")
        + (
            form(
                "reassign",
                f'<label for="to">{e(_("Pass to another kind or area"))}</label>'
                f'<select id="to" name="to">{choices}</select> ',
                "↪️ " + _("Reassign"),
            )
            if ticket.status in OPEN
            else ""
        )
        + form(
            "note",
            f'<label for="note">{e(_("Internal note (the resident does not see it)"))}</label>'
            f'<textarea id="note" name="words" maxlength="{WORDS_LIMIT}"></textarea>',
            "🔒 " + _("Keep the note"),
        )
        + (
            form(
                "reply",
                f'<label for="reply">{e(reply_label)}</label>'
                f'<textarea id="reply" name="words" maxlength="{WORDS_LIMIT}"></textarea>',
                "✉️ " + _("Send the reply"),
            )
            if ticket.status != CLOSED
            else ""
        )
        + "</div></section>"
    )


# --- the actions ------------------------------------------------------------------------------


@routes.post("/dashboard/tickets/{number}/{action}")
@viewer_required
async def act(request: web.Request) -> web.Response:
    site = request.app[TICKET_SITE]
    action = request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound()
    form = await request.post()
    given = str(form.get("csrf", ""))
    if not hmac.compare_digest(given.encode(), csrf_token(request).encode()):
        viewer = viewer_of(request)
        log.warning("dashboard: a form without its token from user %s refused", viewer.user_id)
        locale = locale_for(request)
        message = translate(request, locale, STALE_FORM)
        raise web.HTTPForbidden(
            text=shell(
                locale,
                "403",
                f'<main class="narrow"><p role="alert">{html.escape(message)}</p></main>',
            ),
            content_type="text/html",
            headers=NO_STORE,
        )
    viewer = viewer_of(request)
    ticket = await _visible(request, viewer)
    assert ticket.id is not None
    actor = Actor(viewer.user_id, viewer.name)
    supervisor = viewer.is_supervisor
    words = str(form.get("words", "")).strip()[:WORDS_LIMIT]
    outcome = f"done={action}"
    try:
        if action == "take":
            await site.actions.take(ticket.id, actor, supervisor)
        elif action == "resolve":
            await site.actions.resolve(ticket.id, actor, supervisor)
        elif action in ("note", "reply") and not words:
            outcome = "failed=empty"
        elif action == "note":
            await site.actions.note(ticket.id, actor, supervisor, words)
        elif action == "reply":
            await site.actions.reply(ticket.id, actor, supervisor, words)
            outcome = "done=reply" if has_resident(ticket) else "done=status-note"
        else:
            outcome = await _reassign(site, ticket, actor, supervisor, str(form.get("to", "")))
    except Refused:
        outcome = "failed=refused"
    except AlreadyTaken:
        outcome = "failed=taken"
    except WrongState:
        outcome = "failed=closed" if action == "reply" else "failed=state"
    lang = str(form.get("lang", ""))
    back = f"/dashboard/tickets/{ticket.number}?{outcome}"
    if lang in ("en", "zh"):
        back += f"&lang={lang}"
    if outcome == "failed=refused":
        locale = locale_for(request)
        message = html.escape(translate(request, locale, FAILED["refused"]))
        page = (
            f'<main class="narrow"><p role="alert">{message}</p>'
            f'<p><a href="{html.escape(back)}">{html.escape(ticket.number)}</a></p></main>'
        )
        raise web.HTTPForbidden(
            text=shell(locale, ticket.number, page), content_type="text/html", headers=NO_STORE
        )
    raise web.HTTPSeeOther(back, headers=NO_STORE)


async def _reassign(
    site: TicketSite, ticket: Ticket, actor: Actor, supervisor: bool, choice: str
) -> str:
    kind, _, code = choice.partition(":")
    routing = site.routing()
    try:
        to = destination(
            routing,
            ticket,
            category=code if kind == "c" else None,
            grid=code if kind == "g" else None,
        )
    except KeyError:
        return "failed=unknown"
    if kind not in ("c", "g"):
        return "failed=unknown"
    await site.actions.check_reassign(ticket.id or 0, actor, supervisor)  # before a topic opens
    if to.chat_id == ticket.staff_chat_id:
        topic = ticket.topic_id
    else:
        topic = await ticket_topic(
            site.bot, site.notices, to.chat_id, to.grid, ticket.number, to.category
        )
    previous = site.notices.team(ticket, site.notices.locale_of(ticket))
    await site.actions.reassign(ticket.id or 0, actor, supervisor, to, topic, previous)
    return "done=reassign"


def install(app: web.Application, site: TicketSite) -> None:
    app[TICKET_SITE] = site
    app.add_routes(routes)


# words said inside f-strings above, marked here so that scripts/i18n extracts them
IN_PAGES = (
    N_("Dashboard"),
    N_("Map"),
    N_("Media"),
    N_("History"),
    N_("Actions"),
    N_("Pass to another kind or area"),
    N_("Internal note (the resident does not see it)"),
)
