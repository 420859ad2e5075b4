"""Administrators (ADMIN_IDS): the notifications that could not be delivered, and retrying them."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from handlers.gates import PRIVATE
from services.authorization import Authorization
from services.models import Notification
from services.outbox import UNREACHABLE, Outbox

log = logging.getLogger(__name__)


class RetryDeadLetter(CallbackData, prefix="dl"):
    notification_id: int


def describe(notification: Notification) -> str:
    reason = _("blocked the bot") if notification.state == UNREACHABLE else _("gave up")
    preview = str(notification.params.get("text") or notification.params.get("caption") or "")
    summary = _("#{id} to chat {chat}, {reason} after {attempts} attempts: {error}\n“{preview}”")
    return summary.format(
        id=notification.id,
        chat=notification.chat_id,
        reason=reason,
        attempts=notification.attempts,
        error=notification.last_error or "",
        preview=preview[:80],
    )


PAGE = 10


class MoreDeadLetters(CallbackData, prefix="dlm"):
    offset: int  # how many were shown before


async def send_dead_letters(message: Message, outbox: Outbox, offset: int) -> None:
    """One page of dead letters, newest first, with "More" while there are more."""
    letters = (await outbox.dead_letters(limit=offset + PAGE + 1))[offset:]
    if not letters:
        await message.answer(
            _("No dead letters: every notification was delivered or is on its way.")
            if offset == 0
            else _("No more dead letters.")
        )
        return
    shown, more = letters[:PAGE], len(letters) > PAGE
    buttons = [
        [
            InlineKeyboardButton(
                text=_("Retry #{id}").format(id=letter.id),
                callback_data=RetryDeadLetter(notification_id=letter.id or 0).pack(),
            )
        ]
        for letter in shown
    ]
    if more:
        buttons.append(
            [
                InlineKeyboardButton(
                    text="➕ " + _("More"),
                    callback_data=MoreDeadLetters(offset=offset + PAGE).pack(),
                )
            ]
        )
    await message.answer(
        _("Notifications that could not be delivered (newest first):")
        + "\n\n"
        + "\n\n".join(describe(letter) for letter in shown),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
    )


async def list_dead_letters(message: Message, outbox: Outbox, authorization: Authorization) -> None:
    if message.from_user is None or not authorization.is_admin(message.from_user.id):
        await message.answer(_("This command is for administrators only."))
        return
    await send_dead_letters(message, outbox, 0)


async def more_dead_letters(
    query: CallbackQuery,
    callback_data: MoreDeadLetters,
    outbox: Outbox,
    authorization: Authorization,
) -> None:
    if not authorization.is_admin(query.from_user.id):
        log.warning("user %s pressed an admin button without the role", query.from_user.id)
        await query.answer(_("This button is for administrators only."), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await send_dead_letters(query.message, outbox, callback_data.offset)


async def retry_dead_letter(
    query: CallbackQuery,
    callback_data: RetryDeadLetter,
    outbox: Outbox,
    authorization: Authorization,
) -> None:
    if not authorization.is_admin(query.from_user.id):
        log.warning("user %s pressed an admin button without the role", query.from_user.id)
        await query.answer(_("This button is for administrators only."), show_alert=True)
        return
    if await outbox.retry(callback_data.notification_id):
        text = _("#{id} is queued again.")
    else:
        text = _("#{id} is no longer a dead letter.")
    await query.answer(text.format(id=callback_data.notification_id), show_alert=True)


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher."""
    router = Router(name="admin")
    router.message.filter(PRIVATE)
    router.message.register(list_dead_letters, Command("deadletters"))
    router.callback_query.register(retry_dead_letter, RetryDeadLetter.filter())
    router.callback_query.register(more_dead_letters, MoreDeadLetters.filter())
    return router
