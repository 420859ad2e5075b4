"""Telegram's answer to "what is this person in that chat?", for services.authorization."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    ChatMemberRestricted,
)

from services.authorization import ChatStanding, MembershipUnknown

log = logging.getLogger(__name__)


class TelegramMembership:
    """getChatMember, read as a standing; a chat Telegram will not tell us about is foreign."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def standing(self, chat_id: int, user_id: int) -> ChatStanding:
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
        except (TelegramBadRequest, TelegramForbiddenError) as error:
            # no such user or chat, or the bot is not in it: nobody is staff there through us
            log.info("chat %s does not know user %s: %s", chat_id, user_id, error.message)
            return ChatStanding.OUTSIDER
        except TelegramAPIError as error:  # network or server trouble, after the retries
            raise MembershipUnknown(str(error)) from error
        if isinstance(member, ChatMemberOwner | ChatMemberAdministrator):
            return ChatStanding.ADMIN
        if isinstance(member, ChatMemberMember):
            return ChatStanding.MEMBER
        if isinstance(member, ChatMemberRestricted) and member.is_member:
            return ChatStanding.MEMBER
        return ChatStanding.OUTSIDER
