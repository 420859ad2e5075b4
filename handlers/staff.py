"""Staff in their group: take and resolve tickets, and answer residents by replying to a card."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers.notices import TicketAction
from services.models import Ticket
from services.tickets import (
    AlreadyTaken,
    Media,
    Staff,
    TicketNotFound,
    TicketService,
    WrongState,
)

log = logging.getLogger(__name__)
GROUPS = F.chat.type.in_({"group", "supergroup"})


def staff_of(query: CallbackQuery) -> Staff:
    return Staff(query.from_user.id, query.from_user.full_name)


async def ticket_action(
    query: CallbackQuery, callback_data: TicketAction, tickets: TicketService
) -> None:
    message = query.message
    try:
        ticket = await tickets.get(callback_data.ticket_id)
    except TicketNotFound:
        await query.answer(_("This request no longer exists."), show_alert=True)
        return
    if not isinstance(message, Message) or message.chat.id != ticket.staff_chat_id:
        log.warning(
            "refused a staff button for ticket %s from user %s outside its staff chat",
            ticket.id,
            query.from_user.id,
        )
        await query.answer(_("Only the staff of this request's team can do that."), show_alert=True)
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


def media_of(message: Message) -> Media | None:
    if message.photo:
        return Media("photo", message.photo[-1].file_id)
    if message.document:
        return Media("document", message.document.file_id)
    return None


async def relay_to_resident(message: Message, tickets: TicketService) -> None:
    """Staff write in the ticket's topic or reply to it: the resident gets it, signed by the team.

    A message starting with "!" is an internal note: kept in the history, never sent.
    """
    ticket = await find_ticket(message, tickets)
    if ticket is None or message.from_user is None:
        return
    staff = Staff(message.from_user.id, message.from_user.full_name)
    words = (message.text or message.caption or "").strip()
    if words.startswith("!"):
        await tickets.note_from_staff(_id(ticket), staff, words[1:].strip())
        await message.reply(
            _("📝 Note kept on {number}; the resident does not see it.").format(
                number=ticket.number
            )
        )
        return
    media = media_of(message)
    if not words and media is None:
        await message.reply(_("Only text, photos and documents reach the resident."))
        return
    try:
        await tickets.reply_from_staff(_id(ticket), staff, words, media)
    except WrongState:
        await message.reply(
            _("Request {number} is closed; the resident will not see this.").format(
                number=ticket.number
            )
        )
        return
    await message.reply(_("✉️ Sent to the resident of {number}.").format(number=ticket.number))


def _id(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher."""
    router = Router(name="staff")
    router.callback_query.register(
        ticket_action, TicketAction.filter(F.action.in_({"take", "resolve"}))
    )
    router.message.register(relay_to_resident, GROUPS, ~F.text.startswith("/"))
    return router
