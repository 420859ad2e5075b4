"""Staff in their group: take, resolve and pass on tickets, answer residents, see figures."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers import assignment, search, staff_moderation, templates
from handlers.gates import NOT_A_COMMAND
from handlers.notices import TelegramTicketNotices
from handlers.relayed import media_of, source_of, words_of
from handlers.staff_access import (
    GROUPS,
    ChatLanguage,
    actor_of,
    scope_of_chat,
    staff_of,
    staff_press,
)
from handlers.staff_access import ticket_id as _id
from handlers.statuses import event_label, staff_status_label
from handlers.ticket_card import Reassign, TicketAction
from handlers.topics import ticket_topic
from services.authorization import Authorization
from services.models import Ticket, utcnow
from services.routing import Routing, text
from services.staff_tools import WorkerRoster
from services.ticket_actions import destination
from services.ticket_contract import AlreadyTaken, Staff, WrongState, has_resident
from services.ticket_conversation import StaffOutcome, WrittenAt
from services.ticket_stats import TicketStats, summarize
from services.tickets import TicketService

__all__ = ["actor_of", "router", "scope_of_chat", "staff_of", "staff_press"]

log = logging.getLogger(__name__)
# card buttons handled by the staff tools' own routers (handlers/assignment.py, templates.py)
OWN_ROUTERS = frozenset({"assign", "template"})


async def ticket_action(
    query: CallbackQuery,
    callback_data: TicketAction,
    tickets: TicketService,
    routing: Routing,
    i18n: I18n,
    authorization: Authorization,
    notices: TelegramTicketNotices,
    roster: WorkerRoster,
) -> None:
    pressed = await staff_press(
        query, callback_data.ticket_id, callback_data.action, tickets, authorization, roster
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
        elif callback_data.action == "unfixed":
            ticket = await tickets.close_unfixed(callback_data.ticket_id, staff_of(query))
            note = _("🚫 Closed, not fixed, by {name}").format(name=query.from_user.full_name)
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
    if ticket.status == "resolved":
        keep_buttons = notices.publish_button(ticket)
    await message.edit_text(f"{message.text}\n\n{note}", reply_markup=keep_buttons)


def written_at(message: Message) -> WrittenAt:
    """A message in a ticket's topic, or a reply to a card or relayed message, is about it."""
    replied = message.reply_to_message
    by_bot = replied is not None and replied.from_user is not None and replied.from_user.is_bot
    return WrittenAt(
        message.chat.id,
        message.message_thread_id if message.is_topic_message else None,
        replied.message_id if by_bot and replied is not None else None,
    )


async def relay_to_resident(
    message: Message, tickets: TicketService, authorization: Authorization
) -> None:
    """Staff write in the ticket's topic or reply to it: the resident gets it, signed by the team.

    A message starting with "!" is an internal note: kept in the history, never sent.
    """
    if message.from_user is None:
        return
    actor = actor_of(message)

    async def may_answer(ticket: Ticket) -> bool:
        return await authorization.may_work_on(ticket, actor, "reply", via_chat=message.chat.id)

    answer = await tickets.answer_from_staff(
        written_at(message),
        Staff(actor.user_id, actor.name),
        may_answer,
        words_of(message),
        media_of(message),
        source_of(message),
    )
    ticket, outcome = answer.ticket, answer.outcome
    if ticket is None:
        return
    if outcome is StaffOutcome.REFUSED:
        said = _("Only the team of request {number} can write to its resident; this was not sent.")
    elif outcome is StaffOutcome.NOTED:
        shown = _("🔒 Internal note on {number}, kept for the team; the resident does not see it:")
        await message.reply(f"{shown.format(number=ticket.number)}\n{answer.note}")
        return
    elif outcome is StaffOutcome.NOTHING_TO_PASS_ON:
        said = _("This kind of message cannot be passed on to the resident.")
    elif outcome is StaffOutcome.CLOSED:
        said = _("Request {number} is closed; the resident will not see this.")
    elif not has_resident(ticket):
        said = _(
            "📝 Recorded on {number} as a status note for the Open311 client that filed it; "
            "there is no resident in Telegram to send it to."
        )
    else:
        said = _("✉️ Sent to the resident of {number}.")
    await message.reply(said.format(number=ticket.number))


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
    to = destination(
        routing,
        ticket,
        category=callback_data.code if callback_data.kind == "c" else None,
        grid=callback_data.code if callback_data.kind == "g" else None,
    )
    if to.chat_id == ticket.staff_chat_id:
        topic = ticket.topic_id
    else:
        topic = await ticket_topic(bot, notices, to.chat_id, to.grid, ticket.number, to.category)
    previous = notices.team(ticket, notices.locale_of(ticket))
    try:
        ticket = await tickets.reassign(
            _id(ticket),
            Staff(query.from_user.id, query.from_user.full_name),
            category=to.category,
            grid=to.grid_code,
            staff_chat_id=to.chat_id,
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


async def show_ticket(
    message: Message,
    command: CommandObject,
    tickets: TicketService,
    notices: TelegramTicketNotices,
    i18n: I18n,
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
        f"{notices.actor(ticket, event.actor_id, event.actor_name, i18n.current_locale)} "
        f"{event.detail}".rstrip()
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
        _("Closed, not fixed: {count}").format(count=stats.unfixed),
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


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher."""
    router = Router(name="staff")
    for observer in (router.message, router.edited_message, router.callback_query):
        observer.middleware(ChatLanguage())
    router.callback_query.register(ticket_action, TicketAction.filter(~F.action.in_(OWN_ROUTERS)))
    router.callback_query.register(reassign, Reassign.filter())
    router.message.register(show_ticket, GROUPS, Command("ticket"))
    router.message.register(show_stats, GROUPS, Command("stats"))
    router.message.register(relay_to_resident, GROUPS, NOT_A_COMMAND)
    router.edited_message.register(edit_in_group, GROUPS)
    router.chat_member.register(membership_changed)
    router.include_routers(
        assignment.router(), templates.router(), staff_moderation.router(), search.router()
    )
    return router
