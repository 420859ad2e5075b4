"""Every button press is answered exactly once.

Telegram shows a spinner on a pressed button until the bot answers the press, and refuses a
second answer to the same press (400: "query is too old … or query ID is invalid"). A handler
may answer a press itself, with an alert or a toast; otherwise the press is answered after the
handler. aiogram's CallbackAnswerMiddleware answers again after a handler that answered, which
Telegram refuses: this pair of middlewares replaces it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

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
                try:
                    await event.answer()
                except TelegramBadRequest as refused:  # e.g. the handler outlived the press
                    log.info("press %s not answered: %s", event.id, refused.message)


class NoteAnsweredPresses(BaseRequestMiddleware):
    """Session middleware: notes that the press being handled was answered by its handler."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        press = _current_press.get()
        if (
            press is not None
            and isinstance(method, AnswerCallbackQuery)
            and method.callback_query_id == press.query_id
        ):
            press.answered = True
        return await make_request(bot, method)
