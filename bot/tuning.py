"""A cost that profiling the intake showed in aiogram, taken away through its public API only.

aiogram parses each answer with `Response[method.__returning__]`, a pydantic generic class that
pydantic caches only weakly: when the garbage collector drops it, the next call rebuilds it
(3–10 ms each; 19 rebuilds in a burst of 300 reports). `KeepResponseModels`, a session
middleware, holds one reference per result type. The upstream report, with the profile, is in
bench/README.md, section "Upstream"; drop this once aiogram keeps the class itself.

(aiogram also sends every synchronous filter through a thread; the filters on the hot paths are
coroutine filters of our own instead: handlers/gates.py.)
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType


class KeepResponseModels(BaseRequestMiddleware):
    """Session middleware: keeps each `Response[T]` class alive once it has been made."""

    def __init__(self) -> None:
        self.kept: dict[Any, type[Response[Any]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self.kept:
            self.kept[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)
