"""Runs the real bot in-process against the Bot API stand-in, as `python -m bot` would."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.localapi import BotAPIStandin
from bot.runner import serve
from bot.settings import Settings
from tests.support.servers import free_port

TOKEN = "123456789:TEST-token_for_the_stand-in"


def process_environment(**values: str) -> dict[str, str]:
    """The environment for a bot process: the caller's basics and the given settings only."""
    keep = {"PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(values)
    return env


def bot_settings(standin: BotAPIStandin, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "telegram_api_url": standin.base_url,
        "web_port": free_port(),
        "polling_timeout": 1,
        "doctor_at_start": False,  # most tests register only the chats they use
        "staff_chat_id": -1001,
        "verifier_chat_id": -1001,  # one chat for both in most tests (a choice, not a default)
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def eventually(condition: Callable[[], Any], within: float = 5.0) -> Any:
    """Poll until condition() is truthy; fail with a clear message otherwise."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {within}s")


async def recorded(settings: Settings, message: dict[str, Any], within: float = 5.0) -> None:
    """Wait until the sender has recorded the id Telegram gave a message it sent, as it does
    once Telegram answers: a person who replies to that message (seconds later, having read
    it) then finds it known, whereas a test can reply within a millisecond of its arrival."""
    from sqlmodel import col, select

    from services.models import Notification
    from services.storage import Database

    db = Database(settings.effective_database_url)
    query = select(Notification.id).where(
        col(Notification.chat_id) == message["chat"]["id"],
        col(Notification.telegram_message_id) == message["message_id"],
    )
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            async with db.session() as session:
                if (await session.exec(query)).first() is not None:
                    return
            await asyncio.sleep(0.02)
    finally:
        await db.close()
    raise AssertionError(f"message {message['message_id']} not recorded within {within}s")


@dataclass
class RunningBot:
    settings: Settings
    stop_event: asyncio.Event
    task: asyncio.Task[None]

    @property
    def web_url(self) -> str:
        return f"http://{self.settings.web_host}:{self.settings.web_port}"

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.wait_for(self.task, 30)


async def start_bot(standin: BotAPIStandin, settings: Settings) -> RunningBot:
    """Start serving and return once the bot takes updates (polling or webhook set)."""
    ready_call = "setWebhook" if settings.webhook_url else "getUpdates"
    before = len(standin.calls(ready_call))
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    await eventually(lambda: len(standin.calls(ready_call)) > before or task.done(), within=20)
    if task.done():
        task.result()  # raises what stopped it
        raise AssertionError("the bot stopped by itself")
    return RunningBot(settings, stop, task)
