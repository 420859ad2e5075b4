"""A ticket's own forum topic in a staff chat: opened in one place for every caller."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from handlers.notices import TelegramTicketNotices
from services.models import Notification
from services.routing import Grid
from services.ticket_contract import TicketNotFound
from services.tickets import TicketService

# what Telegram says to a send into a forum topic that no longer exists
LOST_TOPIC = ("message thread not found", "topic_deleted", "topic_id_invalid")

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


class TopicRepair:
    """A ticket's topic that staff deleted is opened again, relinked, and the card posted anew.

    Called by the sender when Telegram refuses a notification; the refused message is sent
    again into the new topic, so the resident is not cut off. Where no topic can be opened
    (the bot lost "Manage topics"), the ticket goes on in the chat's General topic.
    """

    def __init__(self, bot: Bot, tickets: TicketService, notices: TelegramTicketNotices) -> None:
        self.bot, self.tickets, self.notices = bot, tickets, notices
        self._locks: dict[int, asyncio.Lock] = {}

    async def __call__(self, notification: Notification, error: str) -> None:
        if not any(words in error.lower() for words in LOST_TOPIC):
            return
        found = self.tickets.lost_topic_of(notification)
        if found is None:
            return
        ticket_id, lost = found
        async with self._locks.setdefault(ticket_id, asyncio.Lock()):
            try:
                ticket = await self.tickets.get(ticket_id)
            except TicketNotFound:
                return
            if ticket.staff_chat_id != notification.chat_id:
                return  # an escalation elsewhere, or the ticket moved on to another team
            if ticket.topic_id == lost:
                chat = ticket.staff_chat_id
                name = self.notices.topic_name(ticket.number, ticket.category, chat)
                new = await open_topic(self.bot, chat, name)
                log.warning("ticket %s lost topic %s in %s; now %s", ticket_id, lost, chat, new)
                ticket = await self.tickets.move_topic(ticket_id, lost, new) or ticket
            if notification.method != "editForumTopic":
                await self.tickets.send_again(notification, ticket.topic_id)
