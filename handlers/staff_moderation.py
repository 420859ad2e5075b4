"""Banning a resident who misuses the bot: /ban N reason, /unban N, and /bans for admins.

Staff name a request (they never need the person's id); Authorization is asked whether the
person is on that request's team now. A banned person is told once, then their messages no
longer open tickets (handlers/report_form.py asks `BannedFromReporting`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from aiogram.utils.i18n import gettext as _

from handlers.notices import TelegramTicketNotices
from handlers.staff_access import GROUPS, actor_of, scope_of_chat
from services.authorization import Authorization
from services.models import Ticket
from services.staff_tools import Bans
from services.tickets import TicketService


def banned_text(reason: str) -> str:
    return _(
        "You can no longer open requests with this bot. Reason: {reason}\n"
        "If you think this is a mistake, contact your community office."
    ).format(reason=reason or "—")


class BannedFromReporting(BaseMiddleware):
    """A banned person's messages and presses do not reach the report form; told once."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        bans: Bans = data["bans"]
        if user is None or not await bans.may_be_banned(user.id) or await bans.of(user.id) is None:
            return await handler(event, data)
        told = await bans.tell_once(user.id)
        if isinstance(event, CallbackQuery):
            await event.answer(banned_text(told.reason) if told else None, show_alert=bool(told))
        elif told is not None and isinstance(event, Message):
            await event.answer(banned_text(told.reason))
        return None


async def ticket_for_moderation(
    message: Message,
    command: CommandObject,
    tickets: TicketService,
    authorization: Authorization,
    action: str,
) -> tuple[Ticket, str] | None:
    """The request a /ban or /unban names, if the person may act on it from here; and the rest."""
    scope = await scope_of_chat(message, authorization)
    if scope is None:
        return None
    number, _space, rest = (command.args or "").strip().partition(" ")
    ticket = await tickets.by_number(number) if number else None
    if ticket is None:
        await message.answer(
            _(
                "Send {command} with a request number, e.g. {command} 2026-000123 abusive messages."
            ).format(command=f"/{action}")
        )
        return None
    actor = actor_of(message)
    if not scope.covers(ticket) or not await authorization.may_work_on(
        ticket, actor, action, via_chat=message.chat.id
    ):
        await message.answer(
            _("Request {number} is not handled by this chat's team.").format(number=ticket.number)
        )
        return None
    return ticket, rest.strip()


async def ban(
    message: Message,
    command: CommandObject,
    tickets: TicketService,
    authorization: Authorization,
    bans: Bans,
) -> None:
    found = await ticket_for_moderation(message, command, tickets, authorization, "ban")
    if found is None:
        return
    ticket, reason = found
    if not reason:
        await message.answer(
            _("Say why, e.g. /ban {number} abusive messages.").format(number=ticket.number)
        )
        return
    actor = actor_of(message)
    await bans.ban(ticket.resident_id, reason, ticket.number, actor.user_id, actor.name)
    await message.answer(
        _(
            "🚫 The resident of {number} is banned: their messages no longer open requests. "
            "/unban {number} lifts it."
        ).format(number=ticket.number)
    )


async def unban(
    message: Message,
    command: CommandObject,
    tickets: TicketService,
    authorization: Authorization,
    bans: Bans,
) -> None:
    found = await ticket_for_moderation(message, command, tickets, authorization, "unban")
    if found is None:
        return
    ticket, _reason = found
    if not await bans.unban(ticket.resident_id):
        await message.answer(
            _("The resident of {number} is not banned.").format(number=ticket.number)
        )
        return
    await message.answer(
        _("✅ The resident of {number} may open requests again.").format(number=ticket.number)
    )


async def list_bans(
    message: Message, authorization: Authorization, bans: Bans, notices: TelegramTicketNotices
) -> None:
    if message.from_user is None or not authorization.is_admin(message.from_user.id):
        await message.answer(_("This command is for administrators only."))
        return
    banned = await bans.all()
    if not banned:
        await message.answer(_("Nobody is banned."))
        return
    lines = [
        _("{when} · request {number} · by {name}: {reason}").format(
            when=notices.when(entry.banned_at),
            number=entry.ticket_number,
            name=entry.banned_by_name,
            reason=entry.reason,
        )
        for entry in banned
    ]
    await message.answer(_("Banned residents, newest first:") + "\n" + "\n".join(lines))


def router() -> Router:
    router = Router(name="staff-moderation")
    router.message.register(ban, GROUPS, Command("ban"))
    router.message.register(unban, GROUPS, Command("unban"))
    router.message.register(list_bans, Command("bans"))
    return router
