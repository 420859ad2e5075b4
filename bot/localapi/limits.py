"""Telegram's limits: message sizes, flood control and injected faults."""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["FaultInjector", "FloodControl", "Limits"]


@dataclass
class Limits:
    """Every limit the stand-in enforces; the defaults are Telegram's.

    Flood control models Telegram's documented guidance: per private chat a short
    burst then about one message per second (a token bucket), per group at most
    ``group_messages`` per ``group_window`` seconds, and overall at most
    ``global_messages`` per ``global_window`` seconds. Set ``flood_control=False``
    to switch it off, or scale the numbers for fast tests.
    """

    text_length: int = 4096
    caption_length: int = 1024
    callback_data_bytes: int = 64
    callback_answer_length: int = 200
    flood_control: bool = True
    private_burst: int = 5
    private_per_second: float = 1.0
    group_messages: int = 20
    group_window: float = 60.0
    global_messages: int = 30
    global_window: float = 1.0
    max_poll_timeout: float = 50.0
    webhook_timeout: float = 10.0
    webhook_retry_delay: float = 0.2
    webhook_retry_max_delay: float = 10.0
    download_size: int = 20 * 1024 * 1024


class _Bucket:
    """Token bucket: ``capacity`` tokens refilled at ``rate`` per second."""

    def __init__(self, capacity: int, rate: float, now: float) -> None:
        self.capacity = float(max(capacity, 1))
        self.rate = rate
        self.tokens = self.capacity
        self.updated = now

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1.0


class _Window:
    """Sliding window: at most ``limit`` events per ``window`` seconds."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.events: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        while self.events and self.events[0] <= now - self.window:
            self.events.popleft()
        if len(self.events) < self.limit:
            return 0.0
        return self.events[0] + self.window - now

    def take(self, now: float) -> None:
        self.events.append(now)


class FloodControl:
    """Decides whether one more message may go to a chat right now."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._private: dict[int, _Bucket] = {}
        self._groups: dict[int | str, _Window] = {}
        self._global = _Window(limits.global_messages, limits.global_window)

    def reset(self) -> None:
        """Forget all history (e.g. between test phases)."""
        self._private.clear()
        self._groups.clear()
        self._global = _Window(self.limits.global_messages, self.limits.global_window)

    def admit(self, chat_id: int | str) -> int | None:
        """Count one message to ``chat_id``; return ``retry_after`` seconds if refused."""
        if not self.limits.flood_control:
            return None
        now = self.clock()
        waits = [self._global.wait_time(now)]
        bucket: _Bucket | None = None
        window: _Window | None = None
        if isinstance(chat_id, int) and chat_id > 0:
            if self.limits.private_per_second > 0:
                bucket = self._private.get(chat_id)
                if bucket is None:
                    bucket = _Bucket(self.limits.private_burst, self.limits.private_per_second, now)
                    self._private[chat_id] = bucket
                waits.append(bucket.wait_time(now))
        else:
            window = self._groups.get(chat_id)
            if window is None:
                window = _Window(self.limits.group_messages, self.limits.group_window)
                self._groups[chat_id] = window
            waits.append(window.wait_time(now))
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait))
        self._global.take(now)
        if bucket is not None:
            bucket.take()
        if window is not None:
            window.take(now)
        return None


class FaultInjector:
    """Makes a share of message-sending calls fail with 429 or 502."""

    def __init__(self) -> None:
        self.rate = 0.0
        self.statuses: tuple[int, ...] = (429, 502)
        self.retry_after = 1
        self._random = random.Random()
        self._scheduled: deque[int] = deque()
        self.injected = 0

    def configure(
        self,
        rate: float,
        statuses: Iterable[int] = (429, 502),
        seed: int | None = None,
        retry_after: int = 1,
    ) -> None:
        """Fail ``rate`` (0..1) of calls with a status drawn from ``statuses``."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        self.rate = rate
        self.statuses = tuple(statuses) or (429, 502)
        self.retry_after = retry_after
        self._random = random.Random(seed)

    def schedule(self, statuses: Iterable[int]) -> None:
        """Fail the next calls with exactly these statuses, in order."""
        self._scheduled.extend(statuses)

    def roll(self) -> int | None:
        """The status to fail this call with, or None to let it through."""
        if self._scheduled:
            self.injected += 1
            return self._scheduled.popleft()
        if self.rate > 0 and self._random.random() < self.rate:
            self.injected += 1
            return self._random.choice(self.statuses)
        return None
