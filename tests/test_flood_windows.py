"""The flood limiter counts a send until a whole window after Telegram answered it, so a send
delayed on its way never lets the next window's sends reach Telegram too early."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from services.ratelimit import FloodLimits, MemoryRateLimiter, RedisRateLimiter, Window

ONE_A_SECOND = FloodLimits(overall=Window(1, 1.0), group=Window(20, 60), private=Window(5, 1.0))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_send_counts_from_its_answer_in_one_process() -> None:
    limiter = MemoryRateLimiter(ONE_A_SECOND)
    loop = asyncio.get_running_loop()
    await limiter.acquire(7)
    await asyncio.sleep(0.4)  # Telegram answered 0.4 s later: it may have arrived just now
    await limiter.settle(7)
    started = loop.time()
    await limiter.acquire(8)  # a whole second after the answer, not 0.6 s
    assert 0.9 <= loop.time() - started <= 1.5


async def test_a_send_counts_from_its_answer_through_redis(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        limiter = RedisRateLimiter(redis, ONE_A_SECOND, prefix="test:settle")
        await limiter.acquire(7)
        await asyncio.sleep(0.4)
        await limiter.settle(7)
        started = asyncio.get_running_loop().time()
        await limiter.acquire(8)  # must wait for 1 s after the answer, not after admission
        waited = asyncio.get_running_loop().time() - started
        assert 0.9 <= waited <= 1.5
    finally:
        await redis.aclose()


async def test_an_unsettled_send_still_counts_from_its_admission() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(ONE_A_SECOND, clock=clock)
    await limiter.acquire(7)
    await limiter.settle(9)  # another chat: nothing in flight there, nothing changes
    clock.now = 101.0
    assert await limiter.acquire(8) == 0.0
