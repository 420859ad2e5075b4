"""Every button press is answered exactly once.

Telegram shows a spinner on a pressed button until the bot answers the press, and refuses a
second answer to the same press (400: "query is too old … or query ID is invalid"). A handler
may answer a press itself, with an alert or a toast; otherwise the press is answered after the
handler. aiogram's CallbackAnswerMiddleware answers again after a handler that answered, which
Telegram refuses: this pair of middlewares replaces it.

A press whose answer Telegram refuses in that way is not an error of the step: when a process
dies while handling a press, Telegram delivers it again and another process takes it over once
the claim's lease runs out (services/updates.py). By then the dead process may have answered
it, and the press is too old to answer anyway. The step must still be done (its question sent,
the form moved on), so such a refusal is logged and the handler goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import CallbackQuery, TelegramObject

log = logging.getLogger(__name__)


@dataclass
class _Press:
    query_id: str
    answered: bool = False


_current_press: ContextVar[_Press | None] = ContextVar("linkage_current_press", default=None)


class AnswerEveryPress(BaseMiddleware):
    """Dispatcher middleware (callback_query): answers the press if the handler did not."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, CallbackQuery):
            return await handler(event, data)
        press = _Press(event.id)
        token = _current_press.set(press)
        try:
            return await handler(event, data)
        finally:
            _current_press.reset(token)
            if not press.answered:
                await event.answer()


class NoteAnsweredPresses(BaseRequestMiddleware):
    """Session middleware: notes that the press being handled was answered by its handler.

    An answer Telegram refuses because the press was answered already or is too old is
    logged and taken as done, so the handler goes on with the step.
    """

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not isinstance(method, AnswerCallbackQuery):
            return await make_request(bot, method)
        query_id = method.callback_query_id
        press = _current_press.get()
        if press is not None and query_id == press.query_id:
            press.answered = True
        try:
            return await make_request(bot, cast(TelegramMethod[TelegramType], method))
        except TelegramBadRequest as refused:
            if not _too_late(refused):
                raise
            # answered before a crash, or the handler outlived the press: the step goes on
            log.info("press %s not answered: %s", query_id, refused.message)
            return cast(Response[TelegramType], True)  # the chain carries the method's result


def _too_late(refused: TelegramBadRequest) -> bool:
    """Telegram's refusal of an answer to a press already answered, expired or unknown."""
    return "query is too old" in refused.message or "query ID is invalid" in refused.message
