"""Shared fixtures: the Bot API stand-in, a real redis-server, the bot running against them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.localapi import BotAPIStandin, Limits
from tests.support.running import RunningBot, bot_settings, start_bot
from tests.support.servers import RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    if redis_server.process is None:  # a test stopped it
        redis_server.start()
    redis_server.flush()
    return redis_server.url


@pytest.fixture
async def standin() -> AsyncIterator[BotAPIStandin]:
    server = BotAPIStandin(limits=Limits(private_burst=30))  # conversations come in bursts
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def run_bot(
    standin: BotAPIStandin, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[RunningBot]]]:
    """Start the bot (settings overridable); every bot started is stopped after the test."""
    running: list[RunningBot] = []

    async def run(**overrides: Any) -> RunningBot:
        overrides.setdefault("data_dir", tmp_path / "data")
        bot = await start_bot(standin, bot_settings(standin, **overrides))
        running.append(bot)
        return bot

    yield run
    for bot in running:
        if not bot.task.done():
            await bot.stop()
    refused = [
        f"{call.method}: {call.description}"
        for call in standin.calls()
        if call.error_code in (400, 404)
    ]
    assert not refused, f"the bot made calls Telegram would refuse: {refused}"
