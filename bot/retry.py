"""Retries the Bot API calls that failed because of Telegram, not because of the bot.

A flood wait (429) or a passing 5xx / network error in the middle of a form would otherwise
surface as an error to the person and lose their step. Requests Telegram refused for a reason
(other 4xx) are never retried: sending them again would only fail again.

The outbox's sender (bot/sender.py) retries on its own, asking the flood limiter before every
attempt; its calls are made inside `retried_by_caller()` and pass through here once. Retried
here too, each hidden attempt was one more message the limiter never counted: the stand-in
answered 429 in about half the runs of a test with injected 502s.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = logging.getLogger(__name__)
_CALLER_RETRIES: ContextVar[bool] = ContextVar("caller_retries", default=False)


@contextmanager
def retried_by_caller() -> Iterator[None]:
    """Bot API calls made inside go out once: the caller retries them itself."""
    token = _CALLER_RETRIES.set(True)
    try:
        yield
    finally:
        _CALLER_RETRIES.reset(token)


class RetryOnTelegramHiccups(BaseRequestMiddleware):
    """Session middleware: sends a call again after a 429, a 5xx or a network failure.

    Register it after `TelegramLimits` so it sits inside: each retry is then one Bot API
    call (one piece of a split text), never the whole split message again.
    """

    def __init__(
        self,
        *,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 5.0,
        max_flood_waits: int = 3,
        max_retry_after: float = 30.0,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_flood_waits = max_flood_waits
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.random = random
        self.flood_waits = 0
        self.server_retries = 0
        self.uncertain_retries = 0  # sent again after a timeout: Telegram may have it already

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        if name == GetUpdates.__api_method__ or _CALLER_RETRIES.get():  # they retry themselves
            return await make_request(bot, method)
        attempts = 1
        flood_waits = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                self.flood_waits += 1
                flood_waits += 1
                if flood_waits > self.max_flood_waits or error.retry_after > self.max_retry_after:
                    raise
                delay: float = error.retry_after  # Telegram pacing us: not a failed attempt
                _log_retry(name, error, delay)
            except TelegramEntityTooLarge:  # a 413 that aiogram files under network errors
                raise
            except (TelegramServerError, TelegramNetworkError, TimeoutError) as error:
                if attempts >= self.max_attempts:
                    raise
                delay = self.random() * min(
                    self.backoff_cap, self.backoff_base * 2 ** (attempts - 1)
                )
                attempts += 1
                self.server_retries += 1
                if not isinstance(error, TelegramServerError):
                    self.uncertain_retries += 1
                _log_retry(name, error, delay)
            await self.sleep(delay)


def _log_retry(method: str, error: Exception, delay: float) -> None:
    log.warning(
        "%s failed (%s: %s); retrying in %.2f s", method, type(error).__name__, error, delay
    )
