"""Two aiogram costs that profiling the intake showed, taken away without changing behaviour.

- aiogram runs every filter that is not a coroutine function (each `F.text == …` magic filter)
  through `asyncio.to_thread`: a thread-pool round trip per filter per handler tried, for a
  check of a few microseconds. Linkage's filters are pure checks of the update, so they run
  inline instead (`run_filters_inline`).
- aiogram parses each answer with `Response[method.__returning__]`, a pydantic generic class
  that pydantic caches only weakly; the garbage collector drops it and the next call rebuilds
  it (about 10 ms each). `KeepResponseModels` holds one reference per result type.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aiogram import Bot, Router
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType


class KeepResponseModels(BaseRequestMiddleware):
    """Session middleware: keeps each `Response[T]` class alive once it has been made."""

    def __init__(self) -> None:
        self._kept: dict[Any, type[Response[Any]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self._kept:
            self._kept[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


def run_filters_inline(root: Router) -> int:
    """Make every synchronous filter under `root` run on the event loop; returns how many."""
    changed = 0
    for router in root.chain_tail:
        for observer in router.observers.values():
            handlers: list[HandlerObject] = [*observer.handlers]
            own = getattr(observer, "_handler", None)  # filters set with observer.filter()
            if isinstance(own, HandlerObject):
                handlers.append(own)
            for handler in handlers:
                for check in handler.filters or ():
                    if not check.awaitable:
                        _make_inline(check)
                        changed += 1
    return changed


def _make_inline(check: FilterObject) -> None:
    synchronous: Callable[..., Any] = check.callback

    @functools.wraps(synchronous)
    async def inline(*args: Any, **kwargs: Any) -> Any:
        return synchronous(*args, **kwargs)

    check.callback = inline
    check.awaitable = True
