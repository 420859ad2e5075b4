"""Finding and paging through a staff chat's requests: /find and /open, with "More" buttons.

Only within the chat's scope (services/authorization.StaffScope), asked about the person at each
command and at each press of "More".
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.notices import TelegramTicketNotices
from handlers.staff_access import GROUPS, scope_of_chat
from handlers.statuses import staff_status_label
from services.authorization import Actor, Authorization, StaffScope
from services.models import Ticket, as_utc, utcnow
from services.routing import Routing, text
from services.tickets import TicketService

OPEN_PAGE = 20
FIND_PAGE = 10
CALLBACK_LIMIT = 64  # bytes Telegram keeps of a button's data


class MoreOpen(CallbackData, prefix="mo"):
    after: int  # the last ticket id shown


class MoreFound(CallbackData, prefix="mf"):
    before: int  # the last (oldest) ticket id shown
    words: str


def more_button(data: CallbackData) -> InlineKeyboardMarkup | None:
    try:
        packed = data.pack()
    except ValueError:  # the words hold the separator
        return None
    if len(packed.encode()) > CALLBACK_LIMIT:
        return None
    button = InlineKeyboardButton(text="➕ " + _("More"), callback_data=packed)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


async def scope_of_press(query: CallbackQuery, authorization: Authorization) -> StaffScope | None:
    """The pressing person's scope in the chat of the press, asked now; None (told) otherwise."""
    chat = query.message.chat.id if query.message is not None else None
    actor = Actor(query.from_user.id, query.from_user.full_name)
    scope = None if chat is None else await authorization.staff_scope(chat, actor)
    if scope is None:
        authorization.refused(actor, "more", f"chat {chat}", "not on its team")
        await query.answer(_("Only this team's staff can see its requests."), show_alert=True)
    return scope


def open_lines(waiting: list[Ticket], routing: Routing, locale: str) -> list[str]:
    now = utcnow()
    return [
        _("{number} · {category} · {status} · {hours} h").format(
            number=ticket.number,
            category=text(routing.category(ticket.category).name, locale),
            status=staff_status_label(ticket.status),
            hours=round((now - as_utc(ticket.created_at)).total_seconds() / 3600, 1),
        )
        for ticket in waiting
    ]


async def send_open_page(
    message: Message,
    scope: StaffScope,
    after: int,
    tickets: TicketService,
    routing: Routing,
    i18n: I18n,
) -> None:
    page = await tickets.open_in_scope(scope, limit=OPEN_PAGE + 1, after_id=after)
    if not page:
        await message.answer(
            _("No open requests here.") if after == 0 else _("No more open requests.")
        )
        return
    shown, more = page[:OPEN_PAGE], len(page) > OPEN_PAGE
    heading = _("Open requests, oldest first:") if after == 0 else _("More open requests:")
    await message.answer(
        heading + "\n" + "\n".join(open_lines(shown, routing, i18n.current_locale)),
        reply_markup=more_button(MoreOpen(after=shown[-1].id or 0)) if more else None,
    )


async def list_open(
    message: Message,
    tickets: TicketService,
    routing: Routing,
    i18n: I18n,
    authorization: Authorization,
) -> None:
    scope = await scope_of_chat(message, authorization)
    if scope is not None:
        await send_open_page(message, scope, 0, tickets, routing, i18n)


async def more_open(
    query: CallbackQuery,
    callback_data: MoreOpen,
    tickets: TicketService,
    routing: Routing,
    i18n: I18n,
    authorization: Authorization,
) -> None:
    scope = await scope_of_press(query, authorization)
    if scope is None or not isinstance(query.message, Message):
        return
    await query.answer()
    await send_open_page(query.message, scope, callback_data.after, tickets, routing, i18n)


def grids_named(routing: Routing, words: str) -> list[str]:
    """Grids whose name, in any language, contains the words."""
    wanted = words.strip().lower()
    return [
        grid.code
        for grid in routing.grids
        if wanted and any(wanted in name.lower() for name in grid.name.values())
    ]


async def send_found(
    message: Message,
    scope: StaffScope,
    words: str,
    before: int | None,
    tickets: TicketService,
    routing: Routing,
    notices: TelegramTicketNotices,
    i18n: I18n,
) -> None:
    found = await tickets.find(
        scope, words, grids=grids_named(routing, words), limit=FIND_PAGE + 1, before_id=before
    )
    if not found:
        await message.answer(
            _("Nothing found for “{words}” among this chat's requests.").format(words=words)
        )
        return
    shown, more = found[:FIND_PAGE], len(found) > FIND_PAGE
    locale = i18n.current_locale
    lines = [
        f"{ticket.number} · {text(routing.category(ticket.category).name, locale)} · "
        f"{staff_status_label(ticket.status)} · {notices.when(ticket.created_at)}"
        f"\n“{ticket.text[:80]}”"
        for ticket in shown
    ]
    markup = more_button(MoreFound(before=shown[-1].id or 0, words=words)) if more else None
    await message.answer(
        _("Found for “{words}”, newest first:").format(words=words) + "\n\n" + "\n\n".join(lines),
        reply_markup=markup,
    )


async def find(
    message: Message,
    command: CommandObject,
    tickets: TicketService,
    routing: Routing,
    notices: TelegramTicketNotices,
    i18n: I18n,
    authorization: Authorization,
) -> None:
    scope = await scope_of_chat(message, authorization)
    if scope is None:
        return
    words = (command.args or "").strip()
    if not words:
        await message.answer(
            _("Send /find with a request number, words from it, or a place: /find east gate")
        )
        return
    await send_found(message, scope, words[:200], None, tickets, routing, notices, i18n)


async def more_found(
    query: CallbackQuery,
    callback_data: MoreFound,
    tickets: TicketService,
    routing: Routing,
    notices: TelegramTicketNotices,
    i18n: I18n,
    authorization: Authorization,
) -> None:
    scope = await scope_of_press(query, authorization)
    if scope is None or not isinstance(query.message, Message):
        return
    await query.answer()
    await send_found(
        query.message,
        scope,
        callback_data.words,
        callback_data.before,
        tickets,
        routing,
        notices,
        i18n,
    )


def router() -> Router:
    router = Router(name="search")
    router.message.register(list_open, GROUPS, Command("open"))
    router.message.register(find, GROUPS, Command("find"))
    router.callback_query.register(more_open, MoreOpen.filter())
    router.callback_query.register(more_found, MoreFound.filter())
    return router
