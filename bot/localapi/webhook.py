"""Webhook delivery: POST queued updates in order, retrying with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .bodies import BodyError, read_response
from .limits import Limits
from .models import Upload, WebhookInfo
from .state import QueuedUpdate, StandinState

__all__ = ["Executor", "WebhookDelivery"]

log = logging.getLogger(__name__)

Executor = Callable[[str, str, dict[str, Any], dict[str, Upload], str], Awaitable[Any]]
"""Runs a Bot API call: (token, method, raw params, uploads, source)."""

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery:
    """Sends queued updates to the registered webhook, like Telegram.

    Up to the webhook's ``max_connections`` updates are in flight at once, one chat's
    updates one after another and in order. A non-2xx answer or a connection error leaves
    the update (and the rest of its chat) queued and retries after a growing delay. A 2xx
    answer whose body is a method call (aiogram's reply-in-webhook) is executed.
    """

    def __init__(self, state: StandinState, limits: Limits, executor: Executor) -> None:
        self.state = state
        self.limits = limits
        self.executor = executor
        self.info: WebhookInfo | None = None
        self._task: asyncio.Task[None] | None = None

    def set(self, info: WebhookInfo) -> None:
        """Start (or redirect) delivery to ``info.url``."""
        self.info = info
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="standin-webhook")
        self.state.updates_signal.notify()

    def delete(self) -> None:
        """Stop delivering; pending updates stay queued for getUpdates."""
        self.info = None
        task = self._task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            self._task = None
        self.state.updates_signal.notify()

    async def close(self) -> None:
        """Stop the delivery task and wait for it to finish."""
        self.info = None
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.limits.webhook_timeout)
        in_flight: dict[int, tuple[asyncio.Task[None], object]] = {}  # id(entry) → (delivery, chat)
        retry: dict[int, tuple[float, float]] = {}  # id(entry) → (not before, next delay)
        connector = aiohttp.TCPConnector(limit=100)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            try:
                while self.info is not None and not self.state.closing:
                    info, now = self.info, time.monotonic()
                    # chats with an update in flight wait; the queue is not re-read for them
                    busy = {key for _task, key in in_flight.values()}
                    for entry in list(self.state.updates):
                        if len(in_flight) >= info.max_connections:
                            break
                        if id(entry) in in_flight:
                            continue
                        key = _chat_key(entry.update)
                        if key in busy:
                            continue
                        busy.add(key)  # later updates of this chat wait for this one
                        if retry.get(id(entry), (0.0, 0.0))[0] > now:
                            continue
                        task = asyncio.create_task(
                            self._deliver(session, info, entry, in_flight, retry)
                        )
                        in_flight[id(entry)] = (task, key)
                    waits = [at for at, _ in retry.values() if at > now]
                    pause = min([1.0, *(at - now for at in waits)])
                    await self.state.updates_signal.wait(max(pause, 0.001))
            finally:
                tasks = [task for task, _key in in_flight.values()]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _deliver(
        self,
        session: aiohttp.ClientSession,
        info: WebhookInfo,
        entry: QueuedUpdate,
        in_flight: dict[int, tuple[asyncio.Task[None], object]],
        retry: dict[int, tuple[float, float]],
    ) -> None:
        try:
            ok, reply, error = await self._post(session, info, entry.update)
            if self.info is not info:
                return
            if not ok:
                info.failures += 1
                info.last_error_date = int(time.time())
                info.last_error_message = error
                delay = retry.get(id(entry), (0.0, self.limits.webhook_retry_delay))[1]
                log.debug("webhook delivery failed: %s; retry in %.2fs", error, delay)
                next_delay = min(delay * 2, self.limits.webhook_retry_max_delay)
                retry[id(entry)] = (time.monotonic() + delay, next_delay)
                return
            retry.pop(id(entry), None)
            info.delivered += 1
            if entry in self.state.updates:
                self.state.updates.remove(entry)
            if reply is not None:
                await self._execute_reply(info, *reply)
        finally:
            in_flight.pop(id(entry), None)
            self.state.updates_signal.notify()

    async def _post(
        self, session: aiohttp.ClientSession, info: WebhookInfo, update: dict[str, Any]
    ) -> tuple[bool, tuple[dict[str, Any], dict[str, Upload]] | None, str]:
        headers = {SECRET_HEADER: info.secret_token} if info.secret_token else {}
        try:
            async with session.post(info.url, json=update, headers=headers) as response:
                if not 200 <= response.status < 300:
                    reason = response.reason or ""
                    return (
                        False,
                        None,
                        f"Wrong response from the webhook: {response.status} {reason}",
                    )
                try:
                    reply = await read_response(response)
                except (BodyError, ValueError):
                    reply = None
                return True, reply, ""
        except TimeoutError:
            return False, None, "Read timeout expired"
        except aiohttp.ClientConnectorError:
            return False, None, "Connection refused"
        except aiohttp.ClientError as exc:
            return False, None, f"{type(exc).__name__}: {exc}"

    async def _execute_reply(
        self, info: WebhookInfo, params: dict[str, Any], uploads: dict[str, Upload]
    ) -> None:
        method = params.pop("method", None)
        if not isinstance(method, str) or not method:
            return
        try:
            await self.executor(info.token, method, params, uploads, "webhook")
        except Exception:  # the webhook's answer must never kill delivery
            log.exception("executing the webhook reply %s failed", method)


def _chat_key(update: dict[str, Any]) -> object:
    """Updates with the same key are delivered one after another, in order."""
    for value in update.values():
        if not isinstance(value, dict):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, dict) and "id" in chat:
            return ("chat", chat["id"])
        sender = value.get("from") or value.get("user")
        if isinstance(sender, dict) and "id" in sender:
            return ("user", sender["id"])
    return ("update", update.get("update_id"))
