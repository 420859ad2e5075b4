"""Middlewares: cross-cutting steps every update passes through, in the order wired in
bot/dispatching.py."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from aiogram.utils.i18n import gettext as _

from bot.forms import StagedStorage
from services.health import database_unreachable
from services.people import PeopleService, locale_from_language_code
from services.throttle import Throttle, Verdict
from services.updates import Claim, UpdateLog

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
log = logging.getLogger(__name__)


class OnceOnly(BaseMiddleware):
    """Telegram may deliver an update again (a lost confirmation, a webhook retry, a crash).

    An update another process is still handling is waited for: when that process finishes,
    the redelivery is dropped; when it died, its claim goes stale and this one takes over.
    """

    def __init__(self, updates: UpdateLog, forms: StagedStorage, poll_seconds: float = 0.5) -> None:
        self.updates = updates
        self.forms = forms
        self.poll_seconds = poll_seconds

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        update_id = event.update_id
        claim = await self.updates.claim(update_id)
        while claim is Claim.BUSY:
            await asyncio.sleep(self.poll_seconds)
            claim = await self.updates.claim(update_id)
        if claim is Claim.TAKEN_OVER and await self.forms.done(update_id):
            await self.updates.finish(update_id)  # it died after the step, before saying so
            claim = Claim.DONE
        if claim is Claim.DONE:
            log.info("update %s delivered again; already handled", update_id)
            return None
        try:
            async with self.forms.staged(update_id):  # the form moves on if the step completes
                result = await handler(event, data)
        except asyncio.CancelledError:
            raise  # stopped mid-way: the claim goes stale and a redelivery takes it over
        except Exception:
            await self.updates.finish(update_id)  # the errors handler answers the person
            raise
        await self.updates.finish(update_id)
        return result


class PersonLocale(I18nMiddleware):
    """The language a person chose, else their Telegram language, else the default."""

    def __init__(self, i18n: I18n, people: PeopleService) -> None:
        super().__init__(i18n)
        self.people = people

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("event_from_user")
        if user is None:
            return self.people.default_locale
        try:
            return await self.people.locale_for(user.id, user.language_code)
        except Exception as error:  # the database is away: Telegram's language will do
            if not database_unreachable(error):
                raise
            fallback = locale_from_language_code(user.language_code)
            return fallback or self.people.default_locale


class Throttling(BaseMiddleware):
    """A person flooding the bot is told once to slow down, then ignored for a while."""

    def __init__(self, throttle: Throttle, cooldown_seconds: float) -> None:
        self.throttle = throttle
        self.cooldown_seconds = cooldown_seconds

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return await handler(event, data)
        verdict = await self.throttle.hit(str(user.id))
        if verdict is Verdict.ALLOW:
            return await handler(event, data)
        if verdict is Verdict.WARN:
            log.warning("user %s is flooding; pausing them", user.id)
            text = _(
                "You are sending messages faster than I can read them. "
                "I will answer again in about {seconds} seconds."
            ).format(seconds=round(self.cooldown_seconds))
            if isinstance(event, Message):
                await event.answer(text)
            elif isinstance(event, CallbackQuery):
                await event.answer(text, show_alert=True)
        elif isinstance(event, CallbackQuery):
            await event.answer()  # no endless spinner, even while ignored
        return None
