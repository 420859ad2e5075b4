"""`/dashboard` in a private chat with the bot: a button opening the dashboard as a Mini App,
for those it shows something to (asked of services.dashboard_access now); others are told
plainly that it is not for them."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, WebAppInfo
from aiogram.utils.i18n import gettext as _

from handlers.dashboard_auth import refused
from handlers.gates import PRIVATE
from services.dashboard_access import DashboardAccess


async def dashboard_command(
    message: Message,
    dashboard_access: DashboardAccess,
    dashboard_url: str,
    miniapp_url: str | None,
) -> None:
    """A button opening the dashboard as a Mini App (HTTPS), else its address to open."""
    person = message.from_user
    if person is None:
        return
    if await dashboard_access.sign_in(person.id, person.full_name) is None:
        refused(person.id, person.full_name, "/dashboard")
        await message.answer(
            _(
                "The dashboard is for administrators, supervisors and the staff of a grid's "
                "chat, and you are none of these. An administrator can invite you with "
                "/invite supervisor."
            )
        )
        return
    if miniapp_url:
        button = InlineKeyboardButton(
            text=_("📊 Open the dashboard"), web_app=WebAppInfo(url=f"{miniapp_url}/dashboard")
        )
        await message.answer(
            _("The street's figures, map and exports:"),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
        )
        return
    await message.answer(
        _(
            "Open {url} in a browser and sign in with Telegram. (Telegram opens the dashboard "
            "inside the chat only when PUBLIC_BASE_URL is an https address.)"
        ).format(url=f"{dashboard_url}/dashboard")
    )


def router() -> Router:
    router = Router(name="dashboard")
    router.message.filter(PRIVATE)
    router.message.register(dashboard_command, Command("dashboard"))
    return router
