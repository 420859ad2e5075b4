"""Last resort: whatever no other router took gets a hint, never silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers.gates import PRIVATE, Inline
from handlers.menu import main_menu


async def unknown_command(message: Message) -> None:
    await message.answer(
        _("I don't know that command. Send /help to see what I can do."),
        reply_markup=main_menu(),
    )


async def unexpected(message: Message) -> None:
    await message.answer(
        _("I didn't catch that. Choose an option from the menu below, or send /help."),
        reply_markup=main_menu(),
    )


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(
        _("This button no longer works. Send /start to see the menu again."), show_alert=True
    )


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher."""
    router = Router(name="fallback")
    router.message.filter(PRIVATE)
    router.message.register(unknown_command, Inline(F.text.startswith("/")))
    router.message.register(unexpected)
    router.callback_query.register(stale_button)
    return router
