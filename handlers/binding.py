"""Binding a grid's (or a community's) group from Telegram: /bind grid CODE, /unbound.

An administrator of Linkage adds the bot to the group, makes it an administrator there (with the
right to manage topics in a forum, where each request gets a topic), and sends /bind. The bot
asks Telegram what it is in that group before it binds anything; every running process follows
the change within ROUTING_POLL_SECONDS (services/routing_store.py), this one at once.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.gates import GROUPS
from handlers.staff import actor_of
from services.authorization import Authorization
from services.routing import Routing, text
from services.routing_store import LiveRouting

log = logging.getLogger(__name__)
UNBOUND_SHOWN = 50  # grids listed by /unbound; the rest are counted

ChatMember = (
    ChatMemberOwner
    | ChatMemberAdministrator
    | ChatMemberMember
    | ChatMemberRestricted
    | ChatMemberLeft
    | ChatMemberBanned
)


class BotStanding(StrEnum):
    """What the bot is in a group, for serving it as a staff chat."""

    READY = "ready"  # the owner, or an administrator (with "Manage topics" in a forum)
    NOT_ADMIN = "not an administrator"
    NO_TOPICS = "an administrator without Manage topics"


def bot_standing(member: ChatMember, forum: bool) -> BotStanding:
    """Is the bot an administrator there, with the topics right where each request gets a
    topic? The one check /bind and `python -m bot doctor` share. The right is asked for
    explicitly: an administrator Telegram did not say may manage topics may not."""
    if isinstance(member, ChatMemberOwner):
        return BotStanding.READY
    if not isinstance(member, ChatMemberAdministrator):
        return BotStanding.NOT_ADMIN
    if forum and member.can_manage_topics is not True:
        return BotStanding.NO_TOPICS
    return BotStanding.READY


async def bind_chat(
    message: Message,
    command: CommandObject,
    bot: Bot,
    authorization: Authorization,
    routing: Routing,
    live_routing: LiveRouting,
    i18n: I18n,
) -> None:
    user = message.from_user
    if user is None or not authorization.is_admin(user.id):
        if user is not None:
            authorization.refused(
                actor_of(message), "/bind", f"chat {message.chat.id}", "not an admin"
            )
        await message.answer(_("Only an administrator of Linkage can bind a chat to a grid."))
        return
    words = (command.args or "").split()
    if len(words) != 2 or words[0].lower() not in ("grid", "community"):
        await message.answer(
            _("Say what this chat is for: /bind grid CODE or /bind community CODE.")
        )
        return
    kind, code = words[0].lower(), words[1]
    try:
        place = routing.grid(code) if kind == "grid" else routing.community(code)
    except KeyError:
        await message.answer(
            (
                _("There is no grid with the code {code}.")
                if kind == "grid"
                else _("There is no community with the code {code}.")
            ).format(code=code)
        )
        return
    problem = await _why_not_here(message, bot)
    if problem is not None:
        await message.answer(problem)
        return
    forum = bool(message.chat.is_forum)
    await live_routing.store.bind(
        "grid" if kind == "grid" else "community", code, message.chat.id, forum
    )
    await live_routing.refresh()  # this process at once; the others within the poll interval
    log.info("user %s bound %s %s to chat %s", user.id, kind, code, message.chat.id)
    name = text(place.name, i18n.current_locale)
    await message.answer(
        (
            _("This chat now receives the requests of grid {name} ({code}).")
            if kind == "grid"
            else _("This chat now receives the requests of community {name} ({code}).")
        ).format(name=name, code=code)
    )


async def _why_not_here(message: Message, bot: Bot) -> str | None:
    """Why the bot cannot serve this group as a staff chat, asked of Telegram; None if it can."""
    try:
        me = await bot.get_chat_member(message.chat.id, bot.id)
    except TelegramAPIError as error:
        log.warning("getChatMember of the bot in %s failed: %s", message.chat.id, error)
        return _("Telegram did not say what I am in this group; try again in a minute.")
    standing = bot_standing(me, bool(message.chat.is_forum))
    if standing is BotStanding.NOT_ADMIN:
        return _(
            "I am not an administrator of this group, so I could miss messages and cannot "
            "manage requests here. Make me an administrator, then send /bind again."
        )
    if standing is BotStanding.NO_TOPICS:
        return _(
            "This group has topics, and each request gets its own: give me the right to "
            "manage topics, then send /bind again."
        )
    return None


async def list_unbound(
    message: Message, authorization: Authorization, routing: Routing, i18n: I18n
) -> None:
    if message.from_user is None or not authorization.is_admin(message.from_user.id):
        await message.answer(_("This command is for administrators only."))
        return
    unbound = [grid for grid in routing.grids if grid.chat_id is None]
    if not unbound:
        await message.answer(_("Every grid has a chat of its own."))
        return
    locale = i18n.current_locale
    lines = [
        f"{g.code} · {text(g.name, locale)} · {text(routing.community_of(g).name, locale)}"
        for g in unbound[:UNBOUND_SHOWN]
    ]
    if len(unbound) > UNBOUND_SHOWN:
        lines.append(_("… and {count} more.").format(count=len(unbound) - UNBOUND_SHOWN))
    heading = _(
        "Grids without a chat of their own ({count}); their requests go to their community's "
        "chat, or the street office's:"
    ).format(count=len(unbound))
    advice = _(
        "To bind one, add me to its group as an administrator and send /bind grid CODE there."
    )
    await message.answer(heading + "\n" + "\n".join(lines) + "\n\n" + advice)


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher."""
    router = Router(name="binding")
    router.message.register(bind_chat, Command("bind"), GROUPS)
    router.message.register(list_unbound, Command("unbound"))
    return router
