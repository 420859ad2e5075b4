"""A ticket's own forum topic in a staff chat: opened in one place for every caller."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from handlers.notices import TelegramTicketNotices
from services.routing import Grid

log = logging.getLogger(__name__)


async def open_topic(bot: Bot, chat_id: int, name: str) -> int | None:
    """A forum staff chat gets one topic per ticket; without one the card goes to General."""
    try:
        topic = await bot.create_forum_topic(chat_id, name)
    except TelegramAPIError as error:
        log.warning("could not open a topic in %s (%s); the card goes to General", chat_id, error)
        return None
    return topic.message_thread_id


async def ticket_topic(
    bot: Bot,
    notices: TelegramTicketNotices,
    chat_id: int,
    grid: Grid | None,
    label: str,
    category_code: str,
) -> int | None:
    """The topic a ticket's card goes to: only a forum grid's own chat has topics."""
    if grid is None or not grid.forum or chat_id != grid.chat_id:
        return None
    return await open_topic(bot, chat_id, notices.topic_name(label, category_code, chat_id))
