"""Staff in their group: take, resolve and pass on tickets, answer residents, see figures."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    Chat,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.notices import Reassign, TelegramTicketNotices, TicketAction
from handlers.relayed import media_of, source_of, words_of
from handlers.statuses import event_label, staff_status_label
from handlers.topics import ticket_topic
from services.authorization import Actor, Authorization, StaffScope
from services.models import Ticket, as_utc, utcnow
from services.routing import Routing, text
from services.ticket_stats import TicketStats, summarize
from services.tickets import (
    AlreadyTaken,
    Staff,
    TicketNotFound,
    TicketService,
    WrongState,
)

log = logging.getLogger(__name__)
GROUPS = F.chat.type.in_({"group", "supergroup"})


class ChatLanguage(BaseMiddleware):
    """What the bot says in a staff chat is in that chat's language, whoever wrote or pressed."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("event_chat")
        if chat is None or chat.type not in ("group", "supergroup"):
            return await handler(event, data)
        i18n: I18n = data["i18n"]
        notices: TelegramTicketNotices = data["notices"]
        with i18n.use_locale(notices.chat_locale(chat.id)):
            return await handler(event, data)


def staff_of(query: CallbackQuery) -> Staff:
    return Staff(query.from_user.id, query.from_user.full_name)


def actor_of(message: Message) -> Actor:
    """Who wrote: a person, or an anonymous administrator speaking as the group itself."""
    assert message.from_user is not None
    if message.sender_chat is not None:
        name = message.sender_chat.title or message.chat.title or ""
        return Actor(message.from_user.id, name, as_chat=message.sender_chat.id)
    return Actor(message.from_user.id, message.from_user.full_name)


async def staff_press(
    query: CallbackQuery,
    ticket_id: int,
    action: str,
    tickets: TicketService,
    authorization: Authorization,
) -> tuple[Ticket, Message] | None:
    """The ticket behind a staff button, if the person who pressed is on its team now.

    Asked of who pressed, not of where: anyone can press a button in a public group, or on a
    card in a group they have left.
    """
    try:
        ticket = await tickets.get(ticket_id)
    except TicketNotFound:
        await query.answer(_("This request no longer exists."), show_alert=True)
        return None
    actor = Actor(query.from_user.id, query.from_user.full_name)
    where = query.message.chat.id if query.message is not None else None
    if not await authorization.may_work_on(ticket, actor, action, via_chat=where):
        await query.answer(_("Only the staff of this request's team can do that."), show_alert=True)
        return None
    if not isinstance(query.message, Message):  # too old for Telegram to show us
        await query.answer(
            _("This card is too old to change; send /ticket {number} in the team's chat.").format(
                number=ticket.number
            ),
            show_alert=True,
        )
        return None
    return ticket, query.message


async def ticket_action(
    query: CallbackQuery,
    callback_data: TicketAction,
    tickets: TicketService,
    routing: Routing,
    i18n: I18n,
    authorization: Authorization,
) -> None:
    pressed = await staff_press(
        query, callback_data.ticket_id, callback_data.action, tickets, authorization
    )
    if pressed is None:
        return
    ticket, message = pressed
    if callback_data.action == "reassign":
        await offer_reassignment(query, ticket, routing, i18n)
        return
    try:
        if callback_data.action == "take":
            ticket = await tickets.take(callback_data.ticket_id, staff_of(query))
            note = _("🙋 Taken by {name}").format(name=query.from_user.full_name)
        else:
            ticket = await tickets.resolve(callback_data.ticket_id, staff_of(query))
            note = _("✅ Resolved by {name}; waiting for the resident to confirm").format(
                name=query.from_user.full_name
            )
    except AlreadyTaken as taken:
        await query.answer(
            _("{name} has already taken this request.").format(name=taken.by), show_alert=True
        )
        return
    except WrongState:
        await query.answer(_("This request has already been resolved or closed."), show_alert=True)
        return
    await query.answer(_("Done: {number}").format(number=ticket.number))
    keep_buttons = message.reply_markup if ticket.status == "taken" else None
    await message.edit_text(f"{message.text}\n\n{note}", reply_markup=keep_buttons)


async def find_ticket(message: Message, tickets: TicketService) -> Ticket | None:
    """A message in a ticket's topic, or a reply to a card or relayed message, is about it."""
    if message.is_topic_message and message.message_thread_id is not None:
        ticket = await tickets.by_topic(message.chat.id, message.message_thread_id)
        if ticket is not None:
            return ticket
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.is_bot:
        return await tickets.by_bot_message(message.chat.id, replied.message_id)
    return None


async def relay_to_resident(
    message: Message, tickets: TicketService, authorization: Authorization
) -> None:
    """Staff write in the ticket's topic or reply to it: the resident gets it, signed by the team.

    A message starting with "!" is an internal note: kept in the history, never sent.
    """
    ticket = await find_ticket(message, tickets)
    if ticket is None or message.from_user is None:
        return
    actor = actor_of(message)
    if not await authorization.may_work_on(ticket, actor, "reply", via_chat=message.chat.id):
        await message.reply(
            _(
                "Only the team of request {number} can write to its resident; this was not sent."
            ).format(number=ticket.number)
        )
        return
    staff = Staff(actor.user_id, actor.name)
    words = (message.text or message.caption or "").strip()
    if words.startswith("!"):
        note = words[1:].strip()
        await tickets.note_from_staff(_id(ticket), staff, note)
        shown = _("🔒 Internal note on {number}, kept for the team; the resident does not see it:")
        await message.reply(f"{shown.format(number=ticket.number)}\n{note}")
        return
    media = media_of(message)
    if not words and media is None:
        await message.reply(_("This kind of message cannot be passed on to the resident."))
        return
    try:
        await tickets.reply_from_staff(_id(ticket), staff, words, media, source_of(message))
    except WrongState:
        await message.reply(
            _("Request {number} is closed; the resident will not see this.").format(
                number=ticket.number
            )
        )
        return
    await message.reply(_("✉️ Sent to the resident of {number}.").format(number=ticket.number))


async def edit_in_group(
    message: Message, tickets: TicketService, authorization: Authorization
) -> None:
    """A staff member edited a message relayed to the resident: the resident's copy follows.

    Asked of the person now: someone who has left the team cannot change what was said.
    """
    if message.from_user is None:
        return
    source = source_of(message)
    ticket = await tickets.relayed_ticket(source)
    if ticket is None:
        return
    actor = actor_of(message)
    if not await authorization.may_work_on(ticket, actor, "reply", via_chat=message.chat.id):
        await message.reply(
            _("Only the team of request {number} can change what its resident reads.").format(
                number=ticket.number
            )
        )
        return
    await tickets.edit_relayed(source, actor.user_id, actor.name, words_of(message))


async def offer_reassignment(
    query: CallbackQuery, ticket: Ticket, routing: Routing, i18n: I18n
) -> None:
    assert ticket.id is not None
    locale = i18n.current_locale
    rows = [
        [
            InlineKeyboardButton(
                text="🏷 " + text(category.name, locale),
                callback_data=Reassign(ticket_id=ticket.id, kind="c", code=category.code).pack(),
            )
        ]
        for category in routing.categories
        if category.code != ticket.category
    ] + [
        [
            InlineKeyboardButton(
                text="📍 " + text(grid.name, locale),
                callback_data=Reassign(ticket_id=ticket.id, kind="g", code=grid.code).pack(),
            )
        ]
        for grid in routing.grids
        if grid.code != ticket.grid
    ]
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            _("Pass request {number} to another kind (🏷) or area (📍):").format(
                number=ticket.number
            ),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        )


async def reassign(
    query: CallbackQuery,
    callback_data: Reassign,
    tickets: TicketService,
    routing: Routing,
    notices: TelegramTicketNotices,
    i18n: I18n,
    bot: Bot,
    authorization: Authorization,
) -> None:
    pressed = await staff_press(query, callback_data.ticket_id, "reassign", tickets, authorization)
    if pressed is None:
        return
    ticket, message = pressed
    category = callback_data.code if callback_data.kind == "c" else ticket.category
    grid_code = callback_data.code if callback_data.kind == "g" else ticket.grid
    grid = routing.grid(grid_code) if grid_code else None
    chat = routing.staff_chat(routing.category(category), grid) or ticket.staff_chat_id
    if chat == ticket.staff_chat_id:
        topic = ticket.topic_id
    else:
        topic = await ticket_topic(bot, notices, chat, grid, ticket.number, category)
    previous = notices.team(ticket, notices.locale_of(ticket))
    try:
        ticket = await tickets.reassign(
            _id(ticket),
            Staff(query.from_user.id, query.from_user.full_name),
            category=category,
            grid=grid_code,
            staff_chat_id=chat,
            topic_id=topic,
            previous_team=previous,
        )
    except WrongState:
        await query.answer(_("This request has already been resolved or closed."), show_alert=True)
        return
    await query.answer()
    await message.edit_text(
        _("↪️ {number} passed to {team}.").format(
            number=ticket.number, team=notices.team(ticket, i18n.current_locale)
        )
    )


async def scope_of_chat(message: Message, authorization: Authorization) -> StaffScope | None:
    """The tickets this chat's staff see; None (the person told why) for anyone else."""
    actor = actor_of(message)
    command = (message.text or "").split(maxsplit=1)[0]
    if not authorization.is_staff_chat(message.chat.id):
        authorization.refused(actor, command, f"chat {message.chat.id}", "not a staff chat")
        await message.answer(
            _(
                "This is not a staff chat: /open, /ticket and /stats work only in the chats "
                "the routing file names."
            )
        )
        return None
    scope = await authorization.staff_scope(message.chat.id, actor)
    if scope is None:
        authorization.refused(actor, command, f"chat {message.chat.id}", "not on its team")
        await message.answer(_("Only this team's staff can see its requests."))
    return scope


async def list_open(
    message: Message,
    tickets: TicketService,
    routing: Routing,
    i18n: I18n,
    authorization: Authorization,
) -> None:
    scope = await scope_of_chat(message, authorization)
    if scope is None:
        return
    waiting = await tickets.open_in_scope(scope)
    if not waiting:
        await message.answer(_("No open requests here."))
        return
    now = utcnow()
    lines = [
        _("{number} · {category} · {status} · {hours} h").format(
            number=ticket.number,
            category=text(routing.category(ticket.category).name, i18n.current_locale),
            status=staff_status_label(ticket.status),
            hours=round((now - as_utc(ticket.created_at)).total_seconds() / 3600, 1),
        )
        for ticket in waiting
    ]
    await message.answer(_("Open requests, oldest first:") + "\n" + "\n".join(lines))


async def show_ticket(
    message: Message,
    command: CommandObject,
    tickets: TicketService,
    notices: TelegramTicketNotices,
    authorization: Authorization,
) -> None:
    scope = await scope_of_chat(message, authorization)
    if scope is None:
        return
    ticket = await tickets.by_number(command.args or "")
    if ticket is None or ticket.id is None:
        await message.answer(_("Send /ticket with a request number, e.g. /ticket 2026-000123."))
        return
    if not scope.covers(ticket):
        authorization.refused(actor_of(message), "/ticket", f"ticket {ticket.id}", "other team")
        await message.answer(
            _("Request {number} is not handled by this chat's team.").format(number=ticket.number)
        )
        return
    history = [
        f"{notices.when(event.at)} · {event_label(event.kind)} · "
        f"{event.actor_name} {event.detail}".rstrip()
        for event in await tickets.history(ticket.id)
    ]
    await message.answer(
        notices.card_text(ticket)
        + "\n\n"
        + _("Status: {status}").format(status=staff_status_label(ticket.status))
        + "\n"
        + "\n".join(history)
    )


async def show_stats(
    message: Message,
    tickets: TicketService,
    routing: Routing,
    i18n: I18n,
    authorization: Authorization,
) -> None:
    scope = await scope_of_chat(message, authorization)
    if scope is None:
        return
    now = utcnow()
    week = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    parts = []
    for title, since in ((_("This week"), week), (_("This month"), month)):
        stats = summarize(await tickets.since(since, scope))
        parts.append(render_stats(title, stats, routing, i18n.current_locale))
    await message.answer("\n\n".join(parts))


async def membership_changed(event: ChatMemberUpdated, authorization: Authorization) -> None:
    """Someone joined or left a chat: ask Telegram afresh at their next action there."""
    authorization.forget(event.chat.id, event.new_chat_member.user.id)


def render_stats(title: str, stats: TicketStats, routing: Routing, locale: str) -> str:
    def hours(value: timedelta | None) -> str:
        return "—" if value is None else f"{value.total_seconds() / 3600:.1f} h"

    rating = (
        "—" if stats.average_rating is None else f"{stats.average_rating:.1f}/5 ({stats.ratings})"
    )
    lines = [
        f"📊 {title}",
        _("Received {received}, taken {taken}, resolved {resolved}").format(
            received=stats.received, taken=stats.taken, resolved=stats.resolved
        ),
        _("Median time to first response: {time}").format(time=hours(stats.median_first_response)),
        _("Median time to resolution: {time}").format(time=hours(stats.median_resolution)),
        _("Satisfaction: {rating}").format(rating=rating),
    ]
    lines += [
        f"  🏷 {text(routing.category(code).name, locale)}: {count}"
        for code, count in stats.by_category.items()
    ]
    outside = _("outside every grid")
    lines += [
        f"  📍 {text(routing.grid(code).name, locale) if code else outside}: {count}"
        for code, count in stats.by_grid.items()
    ]
    return "\n".join(lines)


def _id(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher."""
    router = Router(name="staff")
    for observer in (router.message, router.edited_message, router.callback_query):
        observer.middleware(ChatLanguage())
    router.callback_query.register(ticket_action, TicketAction.filter())
    router.callback_query.register(reassign, Reassign.filter())
    router.message.register(list_open, GROUPS, Command("open"))
    router.message.register(show_ticket, GROUPS, Command("ticket"))
    router.message.register(show_stats, GROUPS, Command("stats"))
    router.message.register(relay_to_resident, GROUPS, ~F.text.startswith("/"))
    router.edited_message.register(edit_in_group, GROUPS)
    router.chat_member.register(membership_changed)
    return router
