"""Assigning a ticket to a named worker ("Assign to…" on the card) and /mine.

The candidates are the grid's workers (from the routing file) and anyone who has worked on a
ticket from the chat; who presses and who is assigned are both asked of Authorization.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.notices import TelegramTicketNotices
from handlers.staff_access import actor_of, scope_of_chat, staff_of, staff_press, ticket_id
from handlers.statuses import staff_status_label
from handlers.ticket_card import TicketAction
from services.authorization import Actor, Authorization
from services.models import Ticket
from services.routing import Routing, text
from services.staff_tools import WorkerRoster
from services.ticket_contract import Staff, WrongState
from services.tickets import TicketService

log = logging.getLogger(__name__)


class AssignTo(CallbackData, prefix="as"):
    ticket_id: int
    user_id: int


async def worker_name(bot: Bot, roster: WorkerRoster, chat_id: int, user_id: int) -> str | None:
    """A worker's name: as last seen in the chat, else as Telegram tells it; None if unknown."""
    for worker in await roster.of_chat(chat_id, limit=200):
        if worker.user_id == user_id:
            return worker.name
    try:
        member = await bot.get_chat_member(chat_id, user_id)
    except TelegramAPIError as error:
        log.info("worker %s of chat %s is unknown to Telegram: %s", user_id, chat_id, error)
        return None
    return member.user.full_name


def grid_workers(routing: Routing, ticket: Ticket, chat_id: int) -> tuple[int, ...]:
    """The routing file's workers of the ticket's grid, when the grid's chat is this one."""
    if not ticket.grid:
        return ()
    try:
        grid = routing.grid(ticket.grid)
    except KeyError:
        return ()
    return grid.workers if grid.chat_id == chat_id else ()


async def offer_assignees(
    query: CallbackQuery,
    callback_data: TicketAction,
    tickets: TicketService,
    authorization: Authorization,
    routing: Routing,
    roster: WorkerRoster,
    bot: Bot,
) -> None:
    pressed = await staff_press(
        query, callback_data.ticket_id, "assign", tickets, authorization, roster
    )
    if pressed is None:
        return
    ticket, message = pressed
    chat = message.chat.id
    names = {worker.user_id: worker.name for worker in await roster.of_chat(chat)}
    for user_id in grid_workers(routing, ticket, chat):
        if user_id not in names and (name := await worker_name(bot, roster, chat, user_id)):
            names[user_id] = name
    await query.answer()
    if not names:
        await message.answer(
            _(
                "Nobody to assign to yet: the grid's workers and anyone who presses a button on "
                "a card here appear in this list."
            )
        )
        return
    rows = [
        [
            InlineKeyboardButton(
                text="👤 " + name,
                callback_data=AssignTo(ticket_id=ticket_id(ticket), user_id=user_id).pack(),
            )
        ]
        for user_id, name in names.items()
    ]
    await message.answer(
        _("Assign request {number} to:").format(number=ticket.number),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def assign(
    query: CallbackQuery,
    callback_data: AssignTo,
    tickets: TicketService,
    authorization: Authorization,
    roster: WorkerRoster,
    bot: Bot,
) -> None:
    pressed = await staff_press(
        query, callback_data.ticket_id, "assign", tickets, authorization, roster
    )
    if pressed is None:
        return
    ticket, message = pressed
    chat = message.chat.id
    name = await worker_name(bot, roster, chat, callback_data.user_id)
    assignee = Actor(callback_data.user_id, name or str(callback_data.user_id))
    if name is None or not await authorization.may_work_on(
        ticket, assignee, "be assigned", via_chat=chat
    ):
        await query.answer(
            _("{name} is not on this request's team, so it cannot be assigned to them.").format(
                name=assignee.name
            ),
            show_alert=True,
        )
        return
    try:
        ticket = await tickets.assign(
            ticket_id(ticket), staff_of(query), Staff(assignee.user_id, assignee.name)
        )
    except WrongState:
        await query.answer(_("This request has already been resolved or closed."), show_alert=True)
        return
    await query.answer(_("Done: {number}").format(number=ticket.number))
    await message.edit_text(
        _("👤 Request {number} assigned to {name}.").format(
            number=ticket.number, name=assignee.name
        )
    )


async def my_tickets(
    message: Message,
    tickets: TicketService,
    authorization: Authorization,
    routing: Routing,
    notices: TelegramTicketNotices,
    i18n: I18n,
) -> None:
    """The open requests assigned to whoever asks: in a staff chat, that chat's; in private, all
    those whose team they are still on."""
    if message.from_user is None:
        return
    actor = actor_of(message)
    if message.chat.type == "private":
        mine = [
            ticket
            for ticket in await tickets.assigned_to(actor.user_id)
            if await authorization.may_work_on(ticket, actor, "/mine")
        ]
    else:
        scope = await scope_of_chat(message, authorization)
        if scope is None:
            return
        mine = await tickets.assigned_to(actor.user_id, scope)
    if not mine:
        await message.answer(_("No open requests are assigned to you."))
        return
    locale = i18n.current_locale
    lines = [
        _("{number} · {category} · {status} · since {when}").format(
            number=ticket.number,
            category=text(routing.category(ticket.category).name, locale),
            status=staff_status_label(ticket.status),
            when=notices.when(ticket.created_at),
        )
        + f"\n“{ticket.text[:80]}”"
        for ticket in mine
    ]
    await message.answer(_("Assigned to you, oldest first:") + "\n\n" + "\n\n".join(lines))


def router() -> Router:
    router = Router(name="assignment")
    router.callback_query.register(offer_assignees, TicketAction.filter(F.action == "assign"))
    router.callback_query.register(assign, AssignTo.filter())
    router.message.register(my_tickets, Command("mine"))
    return router
