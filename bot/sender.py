"""The outbound Telegram sender: delivers queued notifications once, in order per chat.

Flood limits are held before each send. 429: wait as told and send again. 5xx and timeouts:
back off with jitter, and after `max_attempts` the notification becomes a dead letter that
admins see in /deadletters. 403 (blocked): the person is marked unreachable; nothing retries.

Two windows remain where a message could go out twice: Telegram accepted it and this process
died before recording it as delivered (the record is written right after Telegram's answer); or
the call timed out after Telegram had accepted it, and it is sent again (counted: `uncertain`).
The chat's lock is renewed while this sender waits (services.queue), so another process never
sends the same row meanwhile.

A sealed notification (personal data) is opened here, just before its call, and its parameters
are never logged.

While it runs on an in-process queue, rows committed in this process reach it in memory
(services.outbox, `handoff`): no poll, no read back, one grouped write when delivered.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, methods
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import BufferedInputFile

from bot.metrics import Metrics
from bot.retry import retried_by_caller
from services.models import Notification
from services.outbox import INLINE_FILE, SEALED, Outbox
from services.outbox_files import FILE_REF
from services.queue import Entry, NotificationQueue
from services.ratelimit import RateLimiter

log = logging.getLogger(__name__)
TRANSIENT = (TelegramServerError, TelegramNetworkError, TimeoutError)


@dataclass
class SenderCounters:
    delivered: int = 0
    flood_waits: int = 0  # 429s Telegram answered despite the limiter
    retries: int = 0
    dead: int = 0
    unreachable: int = 0
    # sent again after a timeout or a broken connection: Telegram may have accepted the first
    # try, so the person may have it twice (the one duplicate window left while running)
    uncertain: int = 0


def consumer_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def telegram_call(
    method: str, params: dict[str, Any], load_file: Callable[[str], bytes] | None = None
) -> methods.TelegramMethod[Any]:
    """The aiogram method object for a stored Bot API call (its parameters opened)."""
    name = method[0].upper() + method[1:]
    method_class = getattr(methods, name, None)
    if method_class is None:
        raise ValueError(f"unknown Bot API method {method!r}")
    uploads = {key: _upload(key, value, load_file) for key, value in params.items()}
    return method_class.model_validate(uploads)  # type: ignore[no-any-return]


def _upload(key: str, value: Any, load_file: Callable[[str], bytes] | None) -> Any:
    """A file made by the bot (a certificate card): stored in DATA_DIR (services.outbox_files)
    or, from an outbox without a file store, base64 text in the row.

    It may stand in a parameter or in the InputMedia of editMessageMedia.
    """
    if isinstance(value, str) and value.startswith(INLINE_FILE):
        return _named(key, base64.b64decode(value[len(INLINE_FILE) :]))
    if isinstance(value, str) and value.startswith(FILE_REF) and load_file is not None:
        return _named(key, load_file(value))
    if isinstance(value, dict) and key == "media":
        return {inner: _upload(inner, item, load_file) for inner, item in value.items()}
    return value


def _named(key: str, data: bytes) -> BufferedInputFile:
    """A made file named for what it is: a PDF (a mediation agreement), else a PNG card."""
    return BufferedInputFile(data, f"{key}.pdf" if data.startswith(b"%PDF") else f"{key}.png")


class Sender:
    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        queue: NotificationQueue,
        limiter: RateLimiter,
        *,
        consumer: str | None = None,
        concurrency: int = 8,
        max_attempts: int = 8,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        claim_idle_seconds: float = 30.0,
        flush_seconds: float = 5.0,
        lock_turn_seconds: float = 20.0,
        on_unreachable: Callable[[Notification], Awaitable[None]] | None = None,
        metrics: Metrics | None = None,
        on_refused: Callable[[Notification, str], Awaitable[None]] | None = None,
    ) -> None:
        self.bot = bot
        self.outbox = outbox
        self.queue = queue
        self.limiter = limiter
        self.consumer = consumer or consumer_name()
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.claim_idle_seconds = claim_idle_seconds
        self.flush_seconds = flush_seconds
        self.lock_turn_seconds = lock_turn_seconds
        self.on_unreachable = on_unreachable
        self.metrics = metrics
        self.on_refused = on_refused  # after a 400: e.g. a deleted forum topic is recreated
        self.counters = SenderCounters()
        self._slots = asyncio.Semaphore(concurrency)
        self._working: set[asyncio.Task[None]] = set()
        self._chats: dict[int, list[Entry]] = {}  # chats being worked on → entries to ack
        self._stopping = False

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop`; then flush briefly and leave the rest queued for next time."""
        self.outbox.handoff = self.queue.handoff()
        try:
            await self._run(stop)
        finally:
            self.outbox.handoff = None  # from now on rows wait pending for the relay

    async def _run(self, stop: asyncio.Event) -> None:
        failures = 0
        next_claim = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_claim:
                    next_claim = time.monotonic() + self.claim_idle_seconds / 2
                    await self._start_all(
                        await self.queue.claim_abandoned(
                            self.consumer, int(self.claim_idle_seconds * 1000), self.concurrency
                        )
                    )
                await self._slots.acquire()
                self._slots.release()
                await self._start_all(
                    await self.queue.receive(self.consumer, self.concurrency, 500)
                )
                failures = 0
            except Exception as error:  # the queue is away: entries wait in it or the outbox
                failures += 1
                log.warning("sender cannot read the queue (%s)", error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), min(30.0, 0.5 * 2**failures))
        await self._flush()

    async def _flush(self) -> None:
        deadline = time.monotonic() + self.flush_seconds
        with contextlib.suppress(Exception):
            while time.monotonic() < deadline:
                entries = await self.queue.receive(self.consumer, self.concurrency, 50)
                if not entries:
                    break
                await self._start_all(entries)
        self._stopping = True
        if self._working:
            _done, pending = await asyncio.wait(
                self._working, timeout=max(0.1, deadline - time.monotonic())
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _start_all(self, entries: list[Entry]) -> None:
        """One task per chat: a busy group waiting out its limit holds one slot, not all."""
        for entry in entries:
            if entry.chat_id in self._chats:
                self._chats[entry.chat_id].append(entry)
                continue
            await self._slots.acquire()
            self._chats[entry.chat_id] = [entry]
            task = asyncio.create_task(self._work_on_chat(entry.chat_id))
            self._working.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._working.discard(task)
        self._slots.release()

    async def _work_on_chat(self, chat_id: int) -> None:
        """Deliver the chat's notifications in id order, then acknowledge their entries.

        The chat lock is held for a bounded time, so it never expires while sending, and
        another process may take over between turns.
        """
        finished: set[int] = set()  # sent (or given up) by this task, its entries not yet acked
        try:
            while entries := list(self._chats[chat_id]):  # a snapshot: more may arrive
                async with self.queue.chat_lock(chat_id):
                    turn_ends = time.monotonic() + self.lock_turn_seconds
                    for notification in await self._to_send(chat_id, entries, finished):
                        if not await self._deliver(notification):
                            return  # stopping: the entries stay unacknowledged
                        finished.add(notification.id)  # type: ignore[arg-type]
                        if time.monotonic() > turn_ends:
                            break
                    else:
                        for entry in entries:
                            await self.queue.ack(entry)
                        self._chats[chat_id] = self._chats[chat_id][len(entries) :]
                        finished.clear()
        except Exception:
            log.exception("delivering to chat %s failed; its entries stay queued", chat_id)
        finally:
            self._chats.pop(chat_id, None)

    async def _to_send(
        self, chat_id: int, entries: list[Entry], finished: set[int]
    ) -> list[Notification]:
        """The entries' notifications, oldest first. Those handed over in memory are sent as
        they are; the others are read back (what is still undelivered of the chat, up to the
        newest of them), leaving out rows another entry has in hand."""
        rows = {e.notification_id: e.notification for e in entries if e.notification is not None}
        named = [entry.notification_id for entry in entries if entry.notification is None]
        if named:
            in_hand = self.queue.in_hand()
            for row in await self.outbox.undelivered_for_chat(chat_id, max(named)):
                assert row.id is not None
                if row.id not in in_hand:
                    rows.setdefault(row.id, row)
        return [row for number, row in sorted(rows.items()) if number not in finished]

    async def _deliver(self, notification: Notification) -> bool:
        """Send one notification to its end: delivered, dead or unreachable. False if stopping."""
        assert notification.id is not None
        try:
            call = telegram_call(
                notification.method, self.outbox.opened(notification), self.outbox.load_file
            )
        except Exception as error:  # a sealed one's error could quote what it carries
            said = type(error).__name__ if SEALED in notification.params else str(error)
            await self._give_up(notification, f"cannot build the call: {said}")
            return True
        while not self._stopping:
            await self.limiter.acquire(notification.chat_id)
            try:
                try:
                    with retried_by_caller():  # each attempt asks the limiter first, here
                        result = await self.bot(call)
                finally:  # answered or not, it may have reached Telegram: count it from now
                    await self.limiter.settle(notification.chat_id)
            except TelegramRetryAfter as error:
                self.counters.flood_waits += 1
                log.warning("429 for chat %s: waiting %ss", notification.chat_id, error.retry_after)
                await asyncio.sleep(error.retry_after)
                continue
            except TelegramForbiddenError as error:
                self.counters.unreachable += 1
                log.warning("chat %s blocked the bot: %s", notification.chat_id, error.message)
                await self.outbox.mark_unreachable(
                    notification.id, notification.chat_id, error.message
                )
                if self.on_unreachable is not None:
                    await self.on_unreachable(notification)
                return True
            except TelegramBadRequest as error:
                await self._give_up(notification, error.message)
                if self.on_refused is not None:
                    await self.on_refused(notification, error.message)
                return True
            except TRANSIENT as error:
                if not isinstance(error, TelegramServerError):
                    self.counters.uncertain += 1
                attempts = await self.outbox.record_failure(notification.id, str(error))
                if attempts >= self.max_attempts:
                    await self._give_up(notification, str(error))
                    return True
                self.counters.retries += 1
                delay = random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempts))
                log.warning(
                    "notification %s: %s; attempt %s, next in %.1fs",
                    notification.id,
                    error,
                    attempts,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            await self._record_delivery(notification.id, _message_id(result))
            self.counters.delivered += 1
            if self.metrics is not None:
                self.metrics.delivered(notification)
            return True
        return False

    async def _record_delivery(self, notification_id: int, message_id: int | None) -> None:
        """Telegram took it: record that, waiting out a database outage (the chat's lock is
        renewed meanwhile), for an unrecorded message would be sent again."""
        pause = 0.5
        while True:
            try:
                await self.outbox.mark_delivered(notification_id, message_id)
                return
            except Exception as error:
                if self._stopping:
                    raise
                log.warning(
                    "notification %s was sent but cannot be recorded yet (%s); retrying",
                    notification_id,
                    type(error).__name__,
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)

    async def _give_up(self, notification: Notification, error: str) -> None:
        assert notification.id is not None
        self.counters.dead += 1
        if self.metrics is not None:
            self.metrics.dead_letters.inc()
        log.error("notification %s is a dead letter: %s", notification.id, error)
        await self.outbox.give_up(notification.id, error)


def _message_id(result: Any) -> int | None:
    if isinstance(result, list):
        result = result[0] if result else None
    message_id = getattr(result, "message_id", None)
    return message_id if isinstance(message_id, int) else None
