"""`python -m bot doctor`: is every chat the bot is configured for ready? Also logged at start.

For each staff chat (the routing file's grids, communities, categories and street office,
STAFF_CHAT_ID) and VERIFIER_CHAT_ID, Telegram is asked whether the bot is a member, an
administrator with "Manage topics" where the chat has a topic per ticket, can read the group's
messages (privacy mode) and can send. Each problem is one line saying how to fix it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ChatMemberRestricted, User
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings
from handlers.binding import BotStanding, bot_standing
from services.routing import Routing, load_routing, text
from services.routing_store import RoutingStore
from services.storage import Database

log = logging.getLogger(__name__)


@dataclass
class ConfiguredChat:
    chat_id: int
    name: str
    forum: bool = False  # the routing file wants a topic per ticket here


async def routing_in_use(settings: Settings) -> tuple[Routing, str]:
    """The routing the bot routes with, and where it is from: the routing data in the database
    once it is stored there (grids imported, chats bound from Telegram), else ROUTING_FILE.
    Only read: the doctor neither creates the database nor seeds it."""
    routing = load_routing(settings.routing_file, settings.staff_chat_id)
    from_file = f"the routing file {routing.source}"
    if not _database_exists(settings.effective_database_url):
        return routing, from_file
    db = Database(settings.effective_database_url)
    try:
        store = RoutingStore(db, routing)
        try:
            version = await store.version()
        except SQLAlchemyError:  # no tables yet: no bot has started on this database
            return routing, from_file
        if version == 0:
            return routing, from_file
        version, stored = await store.load()
        return stored, f"the routing data in the database (version {version})"
    finally:
        await db.close()


def _database_exists(database_url: str) -> bool:
    """A SQLite file that is not there is not made by asking it; a server is asked."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return True
    return bool(url.database) and Path(str(url.database)).exists()


def configured_chats(settings: Settings, routing: Routing) -> list[ConfiguredChat]:
    """Every chat the bot is told to write to, once each, named as the settings name it."""
    chats: dict[int, ConfiguredChat] = {}

    def add(chat_id: int | None, name: str, forum: bool = False) -> None:
        if chat_id is None:
            return
        found = chats.setdefault(chat_id, ConfiguredChat(chat_id, name))
        found.forum = found.forum or forum

    for community in routing.communities:
        for grid in community.grids:
            add(grid.chat_id, text(grid.name, "en"), grid.forum)
        add(community.chat_id, text(community.name, "en"))
    for category in routing.categories:
        add(category.chat_id, text(category.name, "en"))
    add(routing.street_office_chat_id, text(routing.street_office_name, "en"))
    add(settings.staff_chat_id, "STAFF_CHAT_ID")
    add(settings.verifier_chat_id, "VERIFIER_CHAT_ID")
    return list(chats.values())


async def chat_problems(bot: Bot, me: User, chat: ConfiguredChat) -> list[str]:
    """What is wrong with one chat, each with how to fix it; empty when it is ready."""
    where = f"chat {chat.chat_id} ({chat.name})"
    add_bot = f"add @{me.username} to the group" if me.username else "add the bot to the group"
    try:
        info = await bot.get_chat(chat.chat_id)
        member = await bot.get_chat_member(chat.chat_id, me.id)
    except TelegramAPIError as error:
        return [
            f"{where}: the bot cannot reach this chat ({error.message}): {add_bot}, and check "
            "the chat id in the routing file or the settings"
        ]
    if member.status in ("left", "kicked"):
        return [f"{where}: the bot is not a member: {add_bot}"]
    problems = []
    standing = bot_standing(member, chat.forum)  # the same check as /bind
    admin = standing is not BotStanding.NOT_ADMIN
    if chat.forum and not info.is_forum:
        problems.append(
            f"{where}: the routing file says forum: true but the group has no topics: turn on "
            "Topics in the group's settings, or set forum: false"
        )
    elif chat.forum and not admin:
        problems.append(
            f"{where}: the bot is not an administrator, so it cannot open a topic per request: "
            "make it an administrator with “Manage topics” (group settings → Administrators)"
        )
    elif standing is BotStanding.NO_TOPICS:
        problems.append(
            f"{where}: the bot is an administrator without “Manage topics”: give it that "
            "right (group settings → Administrators → the bot)"
        )
    if not admin and not me.can_read_all_group_messages:
        problems.append(
            f"{where}: the bot cannot read the group's messages (privacy mode), so staff "
            "replies would not reach residents: in @BotFather send /setprivacy → Disable, then "
            "remove the bot from the group and add it again; or make it an administrator"
        )
    restricted = isinstance(member, ChatMemberRestricted) and not member.can_send_messages
    muted = not admin and info.permissions is not None and not info.permissions.can_send_messages
    if restricted or muted:
        problems.append(
            f"{where}: the bot may not send messages here: lift its restriction, or let "
            "members send messages (group settings → Permissions)"
        )
    return problems


async def diagnose(bot: Bot, settings: Settings, routing: Routing) -> list[str]:
    """Every problem of every configured chat, one line each."""
    me = await bot.get_me()
    problems = []
    for chat in configured_chats(settings, routing):
        problems += await chat_problems(bot, me, chat)
    return problems


async def log_problems(bot: Bot, settings: Settings, routing: Routing) -> None:
    """At start: the same checks as `python -m bot doctor`, as warnings; never stops the bot."""
    try:
        problems = await diagnose(bot, settings, routing)
    except TelegramAPIError as error:
        log.warning("could not check the configured chats: %s", error)
        return
    for problem in problems:
        log.warning("setup: %s", problem)
    if not problems:
        log.info("setup: every configured chat is ready")
