"""Errors handled in one place: logged with the update id, and the person told, never silence."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.types import ErrorEvent, User
from aiogram.utils.i18n import I18n
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.authorization import MembershipUnknown
from services.health import database_unreachable
from services.people import PeopleService, locale_from_language_code

log = logging.getLogger(__name__)


def storage_outage(error: BaseException) -> bool:
    """Redis (forms, locks, the flood guard) or the database cannot be reached: nothing of the
    step was kept, and it can be sent again."""
    return isinstance(error, RedisConnectionError | RedisTimeoutError) or database_unreachable(
        error
    )


async def on_error(event: ErrorEvent, bot: Bot, people: PeopleService, i18n: I18n) -> None:
    update = event.update
    unsure = isinstance(event.exception, MembershipUnknown)
    if storage_outage(event.exception):
        log.warning(
            "update %s: storage unavailable (%s: %s)",
            update.update_id,
            type(event.exception).__name__,
            event.exception,
        )
    elif unsure:
        log.warning(
            "update %s: Telegram could not say who is who (%s)", update.update_id, event.exception
        )
    else:
        log.exception("update %s failed", update.update_id, exc_info=event.exception)
    user: User | None = None
    if update.message and update.message.from_user:
        user, chat_id = update.message.from_user, update.message.chat.id
    elif update.callback_query:
        query = update.callback_query
        user = query.from_user
        chat_id = query.message.chat.id if query.message else user.id
    if user is None:
        return
    try:
        locale = await people.locale_for(user.id, user.language_code)
    except Exception:  # the database is away too: Telegram's language will do
        locale = locale_from_language_code(user.language_code) or people.default_locale
    if storage_outage(event.exception):
        # nothing of this step was taken; the form so far waits in Redis (kept on disk)
        text = i18n.gettext(
            "Sorry, I cannot take this just now: part of my storage is briefly unavailable. "
            "Please send it again in a minute; what you entered before is kept.",
            locale=locale,
        )
    elif unsure:  # refused for now: nothing was changed
        text = i18n.gettext(
            "I could not check with Telegram who may do this just now, so nothing was changed. "
            "Please try again in a moment.",
            locale=locale,
        )
    else:
        text = i18n.gettext(
            "Sorry, something went wrong on my side. What you have entered so far is kept: "
            "please try that step again in a moment.",
            locale=locale,
        )
    try:
        if update.callback_query:
            await update.callback_query.answer()
        await bot.send_message(chat_id, text)
    except Exception:
        log.exception("could not tell user %s that update %s failed", user.id, update.update_id)


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
