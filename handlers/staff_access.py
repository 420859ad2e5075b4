"""Who acts in a staff chat and on which tickets: asked of Authorization at each action.

Shared by the staff handlers (handlers/staff.py and the staff tools beside it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.gates import GROUPS as GROUPS
from handlers.notices import TelegramTicketNotices
from services.authorization import Actor, Authorization, StaffScope
from services.models import Ticket
from services.staff_tools import WorkerRoster
from services.ticket_contract import Staff, TicketNotFound
from services.tickets import TicketService


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
    roster: WorkerRoster | None = None,
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
    if roster is not None and where is not None:  # someone tickets can be assigned to here
        await roster.seen(where, actor.user_id, actor.name)
    if not isinstance(query.message, Message):  # too old for Telegram to show us
        await query.answer(
            _("This card is too old to change; send /ticket {number} in the team's chat.").format(
                number=ticket.number
            ),
            show_alert=True,
        )
        return None
    return ticket, query.message


async def scope_of_chat(message: Message, authorization: Authorization) -> StaffScope | None:
    """The tickets this chat's staff see; None (the person told why) for anyone else."""
    actor = actor_of(message)
    command = (message.text or "").split(maxsplit=1)[0]
    if not authorization.is_staff_chat(message.chat.id):
        authorization.refused(actor, command, f"chat {message.chat.id}", "not a staff chat")
        await message.answer(
            _(
                "This is not a staff chat: /open, /ticket, /stats, /find and the other staff "
                "commands work only in the chats the routing file names."
            )
        )
        return None
    scope = await authorization.staff_scope(message.chat.id, actor)
    if scope is None:
        authorization.refused(actor, command, f"chat {message.chat.id}", "not on its team")
        await message.answer(_("Only this team's staff can see its requests."))
    return scope


def ticket_id(ticket: Ticket) -> int:
    assert ticket.id is not None
    return ticket.id
