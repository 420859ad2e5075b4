"""The public board at /board, and "Publish on the board" in the staff chat.

The page needs no sign-in and shows no one's personal data: per grid and for the whole area,
this month and the last 12 weeks, how many requests came in, the share resolved, the median
time to resolve and the residents' satisfaction; then "You reported, we fixed": resolved
requests staff chose to publish, each with the summary staff wrote for the public. Chinese or
English by Accept-Language (`?lang=` overrides); no script; its only style is
/board/board.css. The figures are read at most once a minute (services/board.py).

The button on a resolved card asks services.authorization about whoever presses it; the bot
then takes their next message in that chat as the summary, asking again when it comes.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiohttp import web

from handlers.deliberation_board import decisions_section
from handlers.gates import NOT_A_COMMAND
from handlers.staff_access import GROUPS, actor_of, staff_press
from handlers.ticket_card import Publish
from handlers.verification import I18N, ROUTING, choose_locale
from services.authorization import Authorization
from services.board import SUMMARY_LIMIT, WHOLE_AREA, Board, Figures, PublishError, Snapshot
from services.certificates import CHINA_TIME
from services.routing import Routing, text
from services.ticket_contract import TicketNotFound
from services.tickets import TicketService

BOARD = web.AppKey("board", Board)
STATIC = Path(__file__).parent / "static"
STYLESHEET = (STATIC / "board.css").read_text(encoding="utf-8")
ICON = (STATIC / "board-icon.svg").read_text(encoding="utf-8")
routes = web.RouteTableDef()


def N_(message: str) -> str:
    return message


# --- the page ------------------------------------------------------------------------------------


@routes.get("/board")
async def board_page(request: web.Request) -> web.Response:
    i18n = request.app[I18N]
    locale = choose_locale(request, i18n.default_locale)
    snapshot = await request.app[BOARD].snapshot()

    def translate(message: str) -> str:
        return i18n.gettext(message, locale=locale)

    page = render_board(snapshot, request.app[ROUTING], translate, locale)
    headers = {
        "Cache-Control": "public, max-age=60",
        "Content-Language": locale,
        "Vary": "Accept-Language",
    }
    return web.Response(text=page, content_type="text/html", charset="utf-8", headers=headers)


@routes.get("/board/board.css")
async def stylesheet(request: web.Request) -> web.Response:
    headers = {"Cache-Control": "public, max-age=3600"}
    return web.Response(text=STYLESHEET, content_type="text/css", charset="utf-8", headers=headers)


@routes.get("/board/icon.svg")
async def icon(request: web.Request) -> web.Response:
    headers = {"Cache-Control": "public, max-age=86400"}
    return web.Response(text=ICON, content_type="image/svg+xml", headers=headers)


def render_board(snapshot: Snapshot, routing: Routing, _: Callable[[str], str], locale: str) -> str:
    """The whole page; every value escaped."""
    e = html.escape
    title = _("Public board")
    office = text(routing.street_office_name, locale)
    moment = snapshot.at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    updated = _("Updated {time}, China time.").format(time=moment)
    other = "zh" if locale == "en" else "en"
    other_name = "中文" if other == "zh" else "English"
    sections = [
        _table(_("This month"), snapshot.month, routing, _, locale),
        _table(_("The last 12 weeks"), snapshot.weeks, routing, _, locale),
        _published(snapshot, routing, _, locale),
        decisions_section(snapshot.decisions, routing, _, locale),
    ]
    return (
        f'<!doctype html><html lang="{"zh-CN" if locale == "zh" else "en"}"><head>'
        '<meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)} · {e(office)}</title>"
        '<link rel="stylesheet" href="/board/board.css"><link rel="icon" href="/board/icon.svg">'
        "</head><body>"
        f"<header><h1>{e(office)} · {e(title)}</h1>"
        f'<p class="updated">{e(updated)} '
        f'<a href="?lang={other}" hreflang="{other}">{other_name}</a></p></header>'
        f"<main>{''.join(sections)}</main></body></html>"
    )


def _table(
    heading: str,
    figures: dict[str, Figures],
    routing: Routing,
    _: Callable[[str], str],
    locale: str,
) -> str:
    e = html.escape
    columns = [
        _("Area"),
        _("Received"),
        _("Resolved"),
        _("Median time to resolve"),
        _("Satisfaction"),
    ]
    empty = Figures(0, 0, None, None, 0)

    def row(name: str, numbers: Figures, kind: str = "") -> str:
        cells = "".join(f"<td>{e(value)}</td>" for value in _cells(numbers, _))
        return f'<tr class="{kind}"><th scope="row">{e(name)}</th>{cells}</tr>'

    rows = []
    for community in routing.communities:  # grids are named within their community
        rows.append(
            f'<tr class="community"><th scope="colgroup" colspan="{len(columns)}">'
            f"{e(text(community.name, locale))}</th></tr>"
        )
        rows += [row(text(g.name, locale), figures.get(g.code, empty)) for g in community.grids]
    rows.append(row(_("Whole area"), figures.get(WHOLE_AREA, empty), "whole"))
    head = "".join(f'<th scope="col">{e(name)}</th>' for name in columns)
    return (
        f'<section><h2>{e(heading)}</h2><div class="table"><table aria-label="{e(heading)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _cells(figures: Figures, _: Callable[[str], str]) -> list[str]:
    share = figures.resolved_share
    hours = figures.median_hours
    if hours is None:
        duration = "—"
    elif hours < 48:
        duration = _("{hours} h").format(hours=f"{hours:.1f}")
    else:
        duration = _("{days} days").format(days=f"{hours / 24:.1f}")
    rating = "—"
    if figures.rating is not None:
        rating = _("{rating} of 5 ({count} ratings)").format(
            rating=f"{figures.rating:.1f}", count=figures.ratings
        )
    return [
        str(figures.received),
        "—" if share is None else f"{figures.resolved} ({share:.0%})",
        duration,
        rating,
    ]


def _published(snapshot: Snapshot, routing: Routing, _: Callable[[str], str], locale: str) -> str:
    e = html.escape
    heading = "<h2>" + e(_("You reported, we fixed")) + "</h2>"
    if not snapshot.published:
        nothing = _("Nothing published yet.")
        return f"<section>{heading}<p>{e(nothing)}</p></section>"
    items = []
    for item in snapshot.published:
        category = text(routing.category(item.category).name, locale)
        place = text(routing.grid(item.grid).name, locale) if item.grid else ""
        resolved = _("Resolved on {date}").format(date=_resolved_on(item.resolved_at))
        items.append(
            f"<li><strong>{e(item.number)} · {e(category)}</strong>"
            + (f"<br><small>{e(place)}</small>" if place else "")
            + f"<p>{e(item.summary)}</p>"
            + f"<small>{e(resolved)}</small></li>"
        )
    return f'<section>{heading}<ul class="fixed">{"".join(items)}</ul></section>'


def _resolved_on(moment: datetime) -> str:
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d")


# --- publishing from the staff chat -----------------------------------------------------------


class PublishFlow(StatesGroup):
    summary = State()  # the next message of whoever pressed "Publish on the board"


async def ask_for_summary(
    query: CallbackQuery,
    callback_data: Publish,
    tickets: TicketService,
    authorization: Authorization,
    state: FSMContext,
) -> None:
    """ "Publish on the board": the one who pressed writes the public summary next."""
    pressed = await staff_press(query, callback_data.ticket_id, "publish", tickets, authorization)
    if pressed is None:
        return
    ticket, message = pressed
    if ticket.status not in ("resolved", "closed"):
        await query.answer(_("Only a resolved request can be published."), show_alert=True)
        return
    await state.set_state(PublishFlow.summary)
    await state.update_data(publish_ticket=ticket.id)
    await query.answer()
    await message.reply(
        _(
            "📣 {name}, write the public summary of request {number} in your next message: "
            "what was wrong and what was done. Leave out names, phone numbers and home "
            "addresses: anyone can read the board."
        ).format(name=query.from_user.full_name, number=ticket.number)
    )


async def publish_summary(
    message: Message,
    state: FSMContext,
    tickets: TicketService,
    authorization: Authorization,
    board: Board,
) -> None:
    ticket_id = (await state.get_data()).get("publish_ticket")
    await state.clear()
    try:
        ticket = await tickets.get(int(ticket_id or 0))
    except TicketNotFound:
        await message.reply(_("This request no longer exists."))
        return
    actor = actor_of(message)
    if not await authorization.may_work_on(ticket, actor, "publish", via_chat=message.chat.id):
        await message.reply(_("Only the staff of this request's team can do that."))
        return
    assert ticket.id is not None
    try:
        await board.publish(ticket.id, message.text or "", actor.user_id)
    except PublishError:
        await message.reply(
            _(
                "Not published: the summary must be text of 1 to {limit} characters, about a "
                "resolved request. Press “Publish on the board” to try again."
            ).format(limit=SUMMARY_LIMIT)
        )
        return
    await message.reply(
        _("📣 Request {number} is on the public board now.").format(number=ticket.number)
    )


def router() -> Router:
    """Before the staff router: the summary is not a reply to relay to the resident."""
    router = Router(name="board")
    router.callback_query.register(ask_for_summary, Publish.filter())
    router.message.register(
        publish_summary, GROUPS, StateFilter(PublishFlow.summary), NOT_A_COMMAND
    )
    return router
