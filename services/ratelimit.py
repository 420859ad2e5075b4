"""Sliding-window limits, in one process or shared through Redis by several.

Telegram's flood limits are held on our side so Telegram never has to answer 429: about 30
messages a second overall, 20 a minute per group, and for a private chat a short burst then about
one a second; a sender waits its turn (`RateLimiter`). Requests to the web server are limited per
client address (`RequestLimiter`): one over the limit is refused, not made to wait.

A send is counted from the moment it is admitted, and `settle` moves it to the moment Telegram
answered: the message reached Telegram somewhere between the two, so only counting it until a
whole window after the answer guarantees that no window *as Telegram sees it* holds more than
the limit. Counted from admission alone, a send delayed on its way (a busy event loop, the
network) arrived late while the window had already let the next ones go, and a run at the full
rate met 429s now and then. The price is the call's round trip in each window (a few
milliseconds a second in the benchmark).
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    limit: int  # sends allowed…
    seconds: float  # …in any span this long


@dataclass(frozen=True)
class FloodLimits:
    overall: Window = Window(30, 1.0)
    group: Window = Window(20, 60.0)
    private: Window = Window(3, 3.0)  # a burst of three, then one a second on average

    def windows_for(self, chat_id: int) -> list[tuple[str, Window]]:
        chat = self.group if chat_id < 0 else self.private
        return [("all", self.overall), (f"chat:{chat_id}", chat)]


class RateLimiter(Protocol):
    async def acquire(self, chat_id: int) -> float:
        """Wait until a message to chat_id may be sent; returns the seconds waited."""
        ...

    async def settle(self, chat_id: int) -> None:
        """The send `acquire` admitted for chat_id has been answered (or failed): it counts
        from now on (see the module doc)."""
        ...


class MemoryRateLimiter:
    """One process: the windows live in this process."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._unsettled: dict[int, float] = {}  # chat → when its send in flight was admitted
        self._lock = asyncio.Lock()

    async def acquire(self, chat_id: int) -> float:
        waited = 0.0
        while True:
            async with self._lock:
                now = self.clock()
                delay = _admit(self._sent, self.limits.windows_for(chat_id), now)
                if delay <= 0:
                    self._unsettled[chat_id] = now
                    return waited
            await asyncio.sleep(delay)
            waited += delay

    async def settle(self, chat_id: int) -> None:
        admitted = self._unsettled.pop(chat_id, None)
        if admitted is None:
            return
        async with self._lock:
            now = self.clock()
            for key, _window in self.limits.windows_for(chat_id):
                times = self._sent.get(key)
                if times is None:
                    continue
                try:
                    times.remove(admitted)  # gone if it left the window already
                except ValueError:
                    continue
                bisect.insort(times, now)  # in order: the window expires from the left


def _admit(sent: dict[str, deque[float]], windows: list[tuple[str, Window]], now: float) -> float:
    """Count one event at `now` in every window or in none; the seconds to wait (0 = counted)."""
    delay = 0.0
    for key, window in windows:
        times = sent.setdefault(key, deque())
        while times and now - times[0] >= window.seconds:
            times.popleft()
        if len(times) >= window.limit:
            delay = max(delay, times[0] + window.seconds - now)
    if delay > 0:
        return delay
    for key, _window in windows:
        sent[key].append(now)
    return 0.0


# KEYS: one sorted set per window. ARGV: a unique member, then limit and span (ms) for each
# key. Admits the send in every window or in none; returns the ms to wait (0 = sent). Redis's
# own clock is used, so processes on machines with skewed clocks still agree.
_ACQUIRE = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local span = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local until_free = tonumber(oldest[2]) + span - now
    if until_free > wait then wait = until_free end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return 0
"""

# KEYS: the windows a send was admitted in. ARGV: its member, then each key's span (ms). The
# send counts from Redis's now (if it is still in the window at all).
_SETTLE = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for i, key in ipairs(KEYS) do
  if redis.call('ZADD', key, 'XX', 'CH', now, ARGV[1]) > 0 then
    redis.call('PEXPIRE', key, tonumber(ARGV[i + 1]))
  end
end
return 0
"""


class RedisRateLimiter:
    """Several processes: one set of windows in Redis, so together they stay within limits."""

    def __init__(self, redis: Redis, limits: FloodLimits, prefix: str = "linkage:flood") -> None:
        self.redis = redis
        self.limits = limits
        self.prefix = prefix
        self._script = redis.register_script(_ACQUIRE)
        self._settle = redis.register_script(_SETTLE)
        self._counter = 0
        self._instance = uuid.uuid4().hex
        self._unsettled: dict[int, str] = {}  # chat → the member of its send in flight

    async def settle(self, chat_id: int) -> None:
        member = self._unsettled.pop(chat_id, None)
        if member is None:
            return
        windows = self.limits.windows_for(chat_id)
        keys = [f"{self.prefix}:{key}" for key, _window in windows]
        spans = [int(window.seconds * 1000) for _key, window in windows]
        try:
            await self._settle(keys=keys, args=[member, *spans])
        except (RedisError, OSError) as error:  # it stays counted from its admission
            log.warning("flood window not settled while Redis does not answer: %s", error)

    async def acquire(self, chat_id: int) -> float:
        waited = 0.0
        windows = self.limits.windows_for(chat_id)
        keys = [f"{self.prefix}:{key}" for key, _window in windows]
        spans: list[int] = []
        for _key, window in windows:
            spans += [window.limit, int(window.seconds * 1000)]
        while True:
            self._counter += 1
            member = f"{self._instance}:{self._counter}"
            wait_ms = int(await self._script(keys=keys, args=[member, *spans]))
            if wait_ms <= 0:
                self._unsettled[chat_id] = member
                return waited
            await asyncio.sleep(wait_ms / 1000)
            waited += wait_ms / 1000


class RequestLimiter(Protocol):
    async def admit(self, key: str) -> float:
        """Count a request from `key` if the window has room: 0.0; else the seconds until it
        will have (the request is not counted)."""
        ...


class MemoryRequestLimiter:
    """One process. Keys idle for a whole window are dropped, so many addresses cost little."""

    def __init__(self, window: Window, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._next_sweep = 0.0

    async def admit(self, key: str) -> float:
        now = self.clock()
        if now >= self._next_sweep:
            self._next_sweep = now + self.window.seconds
            idle = [k for k, times in self._seen.items() if now - times[-1] >= self.window.seconds]
            for k in idle:
                del self._seen[k]
        return _admit(self._seen, [(key, self.window)], now)


class RedisRequestLimiter:
    """Several processes: one window per key in Redis (the flood limits' script), so together
    they admit no more than one would. If Redis does not answer, requests are admitted: the
    limit guards the service, and refusing everyone would be the outage it guards against."""

    def __init__(self, redis: Redis, window: Window, prefix: str = "linkage:requests") -> None:
        self.window = window
        self.prefix = prefix
        self._script = redis.register_script(_ACQUIRE)
        self._args = [window.limit, max(1, int(window.seconds * 1000))]
        self._instance = uuid.uuid4().hex
        self._counter = 0
        self._failing = False

    async def admit(self, key: str) -> float:
        self._counter += 1
        member = f"{self._instance}:{self._counter}"
        try:
            keys = [f"{self.prefix}:{key}"]
            wait_ms = int(await self._script(keys=keys, args=[member, *self._args]))
        except (RedisError, OSError) as error:
            if not self._failing:
                log.warning("request limit not applied while Redis does not answer: %s", error)
            self._failing = True
            return 0.0
        self._failing = False
        return max(0.0, wait_ms / 1000)
