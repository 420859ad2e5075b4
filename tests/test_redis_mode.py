"""With REDIS_URL set, forms, locks and the flood guard live in a real redis-server."""

from __future__ import annotations

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.localapi import BotAPIStandin
from tests.support.people import ENGLISH_MENU, reply_keyboard

pytestmark = pytest.mark.redis


async def test_the_bot_runs_on_redis(standin: BotAPIStandin, run_bot, redis_url: str) -> None:
    bot = await run_bot(redis_url=redis_url)
    ann = standin.user(1001, "Ann", language_code="en")
    standin.send_command(ann, "/start")
    [greeting] = await standin.wait_for_messages(ann.id)
    assert reply_keyboard(greeting) == ENGLISH_MENU

    async with aiohttp.ClientSession() as http, http.get(f"{bot.web_url}/healthz") as response:
        assert (await response.json())["redis"] == "ok"


async def test_the_flood_guard_is_shared_through_redis(
    standin: BotAPIStandin, run_bot, redis_url: str
) -> None:
    """Two processes see one count: a bot restarted mid-flood still holds the person back."""
    settings = {
        "throttle_messages": 2,
        "throttle_window_seconds": 60,
        "throttle_cooldown_seconds": 60,
        "redis_url": redis_url,
    }
    first = await run_bot(**settings)
    ann = standin.user(1001, "Ann", language_code="en")
    standin.send_command(ann, "/help")
    standin.send_command(ann, "/help")
    await standin.wait_for_messages(ann.id, count=2)
    await first.stop()

    await run_bot(**settings)
    standin.send_command(ann, "/help")
    [warning] = await standin.wait_for_messages(ann.id)
    assert warning["text"].startswith("You are sending messages faster")
    async with Redis.from_url(redis_url) as redis:
        assert await redis.exists(f"linkage:throttle:block:{ann.id}")
