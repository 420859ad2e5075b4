"""Delivery: how close one Sender gets to the configured flood limit, embedded and with Redis.

Writes N notifications over many chats (private chats and a few groups) to the outbox at once,
relays them to the queue, then runs one real Sender against the Bot API stand-in with flood
control on until all are delivered. Runs twice: embedded (in-process queue and limiter) and
Redis (Streams and the shared limiter against a redis-server started here), each with the
outbox's group commits (and, with `per-message`, also with one query and one transaction per
message, as before them), alternating over rounds. Telegram's own limits: 30 a second overall,
20 a minute per group, 3 then about one a second per private chat. Prints a table with the CPU
time per message (this process: sender, queue, outbox and the stand-in) and the latency from
the outbox to delivered.

    .venv/bin/python -m bench.delivery [N] [chats] [rounds] [per-message]
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from redis.asyncio import Redis
from sqlmodel import col, select

from bot.delivery import flood_limits
from bot.factory import build_bot
from bot.localapi import BotAPIStandin, Limits
from bot.sender import Sender
from bot.settings import Settings
from services.migrate import upgrade_to_head
from services.models import Notification, utcnow
from services.outbox import Outbox, Outgoing
from services.queue import MemoryQueue, NotificationQueue, RedisStreamQueue
from services.ratelimit import FloodLimits, MemoryRateLimiter, RateLimiter, RedisRateLimiter
from services.relay import Relay
from services.storage import Database
from tests.support.running import TOKEN, bot_settings
from tests.support.servers import RedisServer

# Telegram's limits: 30 a second overall, 20 a minute per group, 3 then one a second per
# private chat.
OVERALL_PER_SECOND = 30
# The stand-in enforces the same windows, this much looser, so only a leaking limiter gets 429.
MARGIN = 1.05
TARGET_SHARE = 0.95
WRITE_CHUNK = 200  # notifications per Outbox.send transaction
CHATS_PER_GROUP = 50  # one group among this many chats


def configured_limits() -> FloodLimits:
    """The limits the bot's own settings give (bot.delivery.flood_limits)."""
    values = {"bot_token": TOKEN, "flood_overall_per_second": OVERALL_PER_SECOND}
    return flood_limits(Settings(_env_file=None, **values))  # type: ignore[arg-type]


class OnePerMessageOutbox(Outbox):
    """The outbox without its group commits: one query and one transaction per message."""

    async def undelivered_for_chat(self, chat_id: int, up_to: int) -> list[Notification]:
        return (await self._undelivered_for_chats([(chat_id, up_to)]))[0]

    async def mark_delivered(self, notification_id: int, message_id: int | None) -> bool:
        return (await self._mark_all_delivered([(notification_id, message_id, utcnow())]))[0]


OUTBOXES: dict[str, type[Outbox]] = {"group commit": Outbox, "per message": OnePerMessageOutbox}


@dataclass
class Result:
    mode: str
    records: str
    notifications: int
    chats: int
    concurrency: int
    seconds: float  # the sender's start to the last delivery
    configured: float  # msg/s
    steady: float | None  # msg/s while the overall window stayed full (see sending_rate)
    too_many_requests: int
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # this process's CPU per message while the sender ran


def sending_rate(sent_at: list[float], window: float) -> float | None:
    """Sends per second, averaged over every sliding window from the first full one to the
    last send. The window starts empty, so its first `limit` messages go at once; counting
    whole windows keeps that head start out: a perfect sender scores exactly the limit."""
    if not sent_at or sent_at[-1] - sent_at[0] < window:
        return None
    step = 0.001
    samples = int((sent_at[-1] - sent_at[0] - window) / step) + 1
    total = 0
    for n in range(samples):
        now = sent_at[0] + window + n * step
        total += bisect.bisect_right(sent_at, now) - bisect.bisect_right(sent_at, now - window)
    return total / samples / window


def standin_limits(limits: FloodLimits) -> Limits:
    return Limits(
        private_burst=limits.private.limit,
        private_per_second=limits.private.limit / limits.private.seconds * MARGIN,
        group_messages=limits.group.limit,
        group_window=limits.group.seconds / MARGIN,
        global_messages=limits.overall.limit,
        global_window=limits.overall.seconds / MARGIN,
    )


def workload(standin: BotAPIStandin, total: int, chats: int, group_limit: int) -> list[Outgoing]:
    """Round-robin over the private chats, like a broadcast, with group cards spread evenly
    through it. Each group gets no more than its window allows, so the overall limit binds."""
    groups = max(1, chats // CHATS_PER_GROUP)
    group_ids = [standin.group(-100_700 - n, title=f"Staff {n}").id for n in range(groups)]
    private_ids = [
        standin.user(70_000 + n, f"R{n}", language_code="en").id for n in range(chats - groups)
    ]
    cards = min(groups * group_limit, total // 20)
    private = [
        Outgoing.text(private_ids[n % len(private_ids)], f"news {n // len(private_ids)}")
        for n in range(total - cards)
    ]
    between = len(private) // cards if cards else len(private)
    ordered: list[Outgoing] = []
    for n in range(cards):
        ordered.append(Outgoing.text(group_ids[n % groups], f"card {n // groups}"))
        ordered += private[n * between : (n + 1) * between]
    return ordered + private[cards * between :]


@asynccontextmanager
async def redis_parts(
    directory: Path, limits: FloodLimits
) -> AsyncIterator[tuple[NotificationQueue, RateLimiter]]:
    server = RedisServer(directory)
    try:
        server.start()
        redis = Redis.from_url(server.url)
        try:
            yield RedisStreamQueue(redis), RedisRateLimiter(redis, limits)
        finally:
            await redis.aclose()
    finally:
        server.stop()


@asynccontextmanager
async def memory_parts(
    _directory: Path, limits: FloodLimits
) -> AsyncIterator[tuple[NotificationQueue, RateLimiter]]:
    yield MemoryQueue(), MemoryRateLimiter(limits)


async def measure(mode: str, records: str, total: int, chats: int) -> Result:
    parts = redis_parts if mode == "Redis" else memory_parts
    limits = configured_limits()
    standin = BotAPIStandin(limits=standin_limits(limits))
    await standin.start()
    with tempfile.TemporaryDirectory() as data:
        directory = Path(data)
        settings = bot_settings(
            standin, data_dir=directory, flood_overall_per_second=OVERALL_PER_SECOND
        )
        db = Database(f"sqlite+aiosqlite:///{directory / 'outbox.sqlite3'}")
        bot = build_bot(settings)
        try:
            await upgrade_to_head(db)
            outbox = OUTBOXES[records](db)
            async with parts(directory, limits) as (queue, limiter):
                items = workload(standin, total, chats, limits.group.limit)
                for start in range(0, len(items), WRITE_CHUNK):
                    await outbox.send(*items[start : start + WRITE_CHUNK])
                await Relay(outbox, queue).run_once()
                sender = Sender(bot, outbox, queue, limiter)
                cpu = time.process_time()
                elapsed = await run_sender(sender, total, limits)
                cpu_ms = (time.process_time() - cpu) * 1000 / total
            latencies = await enqueue_to_delivered(db)
        finally:
            await bot.session.close()
            await db.close()
            await standin.stop()
    if len(latencies) != total:
        raise SystemExit(f"{mode}: {len(latencies)} of {total} notifications were delivered")
    sent_at = sorted(call.at for call in standin.calls("sendMessage") if call.response_ok)
    return Result(
        mode=mode,
        records=records,
        notifications=total,
        chats=chats,
        concurrency=sender.concurrency,
        seconds=elapsed,
        configured=limits.overall.limit / limits.overall.seconds,
        steady=sending_rate(sent_at, limits.overall.seconds),
        too_many_requests=standin.too_many_requests,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000,
        cpu_ms=cpu_ms,
    )


async def run_sender(sender: Sender, total: int, limits: FloodLimits) -> float:
    """Seconds from the sender's start until it has recorded the last notification."""
    rate = limits.overall.limit / limits.overall.seconds
    deadline = time.monotonic() + 30 + 5 * total / rate
    stop = asyncio.Event()
    started = time.monotonic()
    task = asyncio.create_task(sender.run(stop))
    counters = sender.counters
    while counters.delivered + counters.dead + counters.unreachable < total:
        if task.done() or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.005)
    elapsed = time.monotonic() - started
    stop.set()
    await task
    return elapsed


async def enqueue_to_delivered(db: Database) -> list[float]:
    """Seconds from each notification's write to its delivery, as the outbox recorded them."""
    async with db.session() as session:
        rows = await session.exec(
            select(Notification.created_at, Notification.delivered_at).where(
                col(Notification.delivered_at).is_not(None)
            )
        )
        pairs: list[tuple[datetime, datetime]] = list(rows.all())  # type: ignore[arg-type]
    return sorted((delivered - created).total_seconds() for created, delivered in pairs)


def table(results: list[Result]) -> list[str]:
    lines = [
        "| mode | delivery records | notifications | chats | seconds | ideal s (N/R) "
        "| achieved msg/s | configured msg/s | share of limit (%) | 429s from stand-in "
        "| p50 latency ms | p99 latency ms | CPU ms per message |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rate = "n/a" if r.steady is None else f"{r.steady:.1f}"
        share = "n/a" if r.steady is None else f"{r.steady / r.configured * 100:.1f}"
        lines.append(
            f"| {r.mode} | {r.records} | {r.notifications} | {r.chats} | {r.seconds:.2f} "
            f"| {r.notifications / r.configured:.2f} | {rate} | {r.configured:.0f} | {share} "
            f"| {r.too_many_requests} | {r.p50_ms:.0f} | {r.p99_ms:.0f} | {r.cpu_ms:.2f} |"
        )
    return lines


def main() -> None:
    logging.disable(logging.WARNING)  # 429s and retries are counted in the table instead
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    chats = int(sys.argv[2]) if len(sys.argv) > 2 else 204
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    variants = list(OUTBOXES) if "per-message" in sys.argv[4:] else ["group commit"]
    if chats < 2 or total < 1 or rounds < 1:
        raise SystemExit(
            "usage: python -m bench.delivery [notifications ≥ 1] [chats ≥ 2] [rounds ≥ 1]"
        )
    load = os.getloadavg()
    results = [
        asyncio.run(measure(mode, records, total, chats))
        for _round in range(rounds)
        for mode in ("embedded", "Redis")
        for records in variants
    ]
    limits = configured_limits()
    overall, group, private = limits.overall, limits.group, limits.private
    print(
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"one Sender (concurrency {results[0].concurrency}), SQLite outbox; load average "
        f"{load[0]:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print()
    print("\n".join(table(results)))
    print()
    shares = [r.steady / r.configured for r in results if r.steady is not None]
    misses = sum(share < TARGET_SHARE for share in shares) + sum(r.steady is None for r in results)
    too_many = sum(r.too_many_requests for r in results)
    verdict = "met" if not misses and not too_many else "not met"
    print(
        f"Target: ≥ {TARGET_SHARE:.0%} of the limit in every run, no 429: {verdict} "
        f"({len(results) - misses} of {len(results)} runs; lowest "
        f"{min(shares, default=0):.1%}; {too_many} 429s)."
    )
    print()
    print(
        f"Configured: {overall.limit} per {overall.seconds:g} s overall, {group.limit} per "
        f"{group.seconds:g} s per group, {private.limit} per {private.seconds:g} s per private "
        f"chat; the stand-in enforces the same windows {MARGIN * 100 - 100:.0f}% looser, flood "
        "control on. Achieved: sends per second averaged over sliding windows from the first "
        "full one to the last send (the window starts empty, so the first "
        f"{overall.limit} go at once and a perfect sender finishes at about N/R - "
        f"{overall.seconds:g} s). Latency: from each notification's write to its delivery, so it "
        "includes queueing behind the burst."
    )


if __name__ == "__main__":
    main()
