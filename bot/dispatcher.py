"""The Dispatcher, counting the updates it is handling so that shutdown can wait for them."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

log = logging.getLogger(__name__)


class TrackedDispatcher(Dispatcher):
    """Every update, polled or from the webhook, passes feed_update: count it there.

    Counting outside all middlewares matters: the per-chat Redis lock is released by a
    middleware after the handler returns. And aiogram closes the FSM storage on shutdown,
    so shutdown waits here first for the updates in hand.
    """

    def __init__(self, *, drain_seconds: float = 25.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.drain_seconds = drain_seconds
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        self._in_flight += 1
        self._idle.clear()
        try:
            return await super().feed_update(bot, update, **kwargs)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def emit_shutdown(self, *args: Any, **kwargs: Any) -> None:
        try:
            await asyncio.wait_for(self._idle.wait(), self.drain_seconds)
        except TimeoutError:
            log.warning("%s updates still running at shutdown", self._in_flight)
        await super().emit_shutdown(*args, **kwargs)
