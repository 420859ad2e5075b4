"""Per-person flood guard: a burst gets one polite warning, then silence for a while."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from redis.asyncio import Redis


class Verdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # the limit was just crossed: tell the person once
    DROP = "drop"  # cooling down: ignore quietly


@dataclass(frozen=True)
class ThrottleRule:
    limit: int  # updates allowed per window
    window: float  # seconds
    cooldown: float  # seconds ignored after the warning


class Throttle(Protocol):
    async def hit(self, key: str) -> Verdict: ...


class MemoryThrottle:
    """For the embedded single-process mode."""

    def __init__(self, rule: ThrottleRule, clock: Callable[[], float] = time.monotonic) -> None:
        self.rule = rule
        self.clock = clock
        self._windows: dict[str, tuple[float, int]] = {}
        self._blocked_until: dict[str, float] = {}

    async def hit(self, key: str) -> Verdict:
        now = self.clock()
        if self._blocked_until.get(key, 0.0) > now:
            return Verdict.DROP
        self._blocked_until.pop(key, None)
        started, count = self._windows.get(key, (now, 0))
        if now - started >= self.rule.window:
            started, count = now, 0
        count += 1
        if count > self.rule.limit:
            self._windows.pop(key, None)
            self._blocked_until[key] = now + self.rule.cooldown
            return Verdict.WARN
        self._windows[key] = (started, count)
        if len(self._windows) > 10_000:
            self._forget_stale(now)
        return Verdict.ALLOW

    def _forget_stale(self, now: float) -> None:
        for key, (started, _count) in list(self._windows.items()):
            if now - started >= self.rule.window:
                del self._windows[key]


# KEYS[1] count key, KEYS[2] block key; ARGV window ms, limit, cooldown ms
_REDIS_HIT = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[2], 1, 'PX', ARGV[3]) end
  return 1
end
return 0
"""
_VERDICTS = {0: Verdict.ALLOW, 1: Verdict.WARN, 2: Verdict.DROP}


class RedisThrottle:
    """Shared by every bot process, so a flood spread over processes is still one flood."""

    def __init__(self, redis: Redis, rule: ThrottleRule, prefix: str = "linkage:throttle") -> None:
        self.rule = rule
        self.prefix = prefix
        self._script = redis.register_script(_REDIS_HIT)

    async def hit(self, key: str) -> Verdict:
        result = await self._script(
            keys=[f"{self.prefix}:n:{key}", f"{self.prefix}:block:{key}"],
            args=[int(self.rule.window * 1000), self.rule.limit, int(self.rule.cooldown * 1000)],
        )
        return _VERDICTS[int(result)]
