"""A year of a street office, compressed: does the database and Redis stay at a steady size?

Each simulated day, residents file tickets (through TicketService, as the conversation does),
staff take and answer each, a resident's dozen updates are claimed (UpdateLog), and everything
the outbox holds is delivered by a real Sender through Redis Streams to the Bot API stand-in.
The clock is injected by dating each day's rows back to their simulated day; at each month's end
the hourly retention round (bot.runner.tidy_delivery's parts) runs with that month's clock.
Prints, per month: rows, the SQLite file's used size, Redis memory and stream entries, and their
growth over the month before. Tickets and their events grow, as the office's records should;
the rest should stay flat.

    .venv/bin/python -m bench.year [tickets_per_day] [months]
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
import tempfile
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import update
from sqlmodel import col, func, select

from bot.factory import build
from bot.localapi import BotAPIStandin, Limits
from bot.sender import Sender
from services.models import Notification, ProcessedUpdate, Ticket, TicketEvent, utcnow
from services.queue import RedisStreamQueue
from services.ratelimit import FloodLimits, RedisRateLimiter, Window
from services.retention import OutboxRetention
from services.tickets import Draft, Staff
from services.updates import UpdateLog
from tests.support.running import bot_settings
from tests.support.servers import RedisServer

GRID_CHAT = -1001000000011  # grid 1 in the sample routing file
RESIDENTS = 500  # the street's people who report, some of them often
UPDATES_PER_TICKET = 12  # words, category, place, photos, submit, rating…
UNLIMITED = FloodLimits(Window(10_000, 1.0), Window(10_000, 1.0), Window(10_000, 1.0))


async def simulate(tickets_per_day: int, months: int, directory: Path) -> list[dict[str, Any]]:
    standin = BotAPIStandin(limits=Limits(private_burst=10_000, group_messages=10_000))
    await standin.start()
    standin.group(GRID_CHAT, title="Grid 1 staff")
    for n in range(RESIDENTS):
        standin.user(100_000 + n, f"Resident {n}", language_code="en")
    redis_server = RedisServer(directory / "redis")
    (directory / "redis").mkdir()
    redis_server.start()
    settings = bot_settings(
        standin,
        data_dir=directory / "data",
        redis_url=redis_server.url,
        staff_chat_id=GRID_CHAT,
    )
    linkage = build(settings)
    redis = Redis.from_url(redis_server.url)
    try:
        from services.migrate import upgrade_to_head

        await upgrade_to_head(linkage.db, lambda: linkage.cipher)
        queue = RedisStreamQueue(redis)
        sender = Sender(
            linkage.bot,
            linkage.outbox,
            queue,
            RedisRateLimiter(redis, UNLIMITED),
            consumer="year",
            concurrency=32,
        )
        retention = OutboxRetention(linkage.outbox, file_grace_seconds=0)
        updates = UpdateLog(linkage.db)
        worker = Staff(111111, "Wang Fang")
        start = utcnow() - timedelta(days=30 * months)
        update_id, resident, report = 0, 0, []
        stop = asyncio.Event()
        sending = asyncio.create_task(sender.run(stop))
        for month in range(months):
            for day in range(30):
                today = start + timedelta(days=30 * month + day)
                first_row = await _last_id(linkage)
                claims = []
                for _ in range(tickets_per_day):
                    resident += 1
                    ticket = await linkage.tickets.create(
                        Draft(
                            resident_id=100_000 + resident % RESIDENTS,
                            resident_name=f"Resident {resident % RESIDENTS}",
                            resident_locale="en",
                            text=f"The drain by house {resident} is blocked",
                            category="drainage",
                            grid=None,
                            staff_chat_id=GRID_CHAT,
                        )
                    )
                    assert ticket.id is not None
                    await linkage.tickets.take(ticket.id, worker)
                    await linkage.tickets.reply_from_staff(
                        ticket.id, worker, "We clear it tomorrow morning."
                    )
                    for _ in range(UPDATES_PER_TICKET):
                        update_id += 1
                        await updates.claim(update_id)
                        await updates.finish(update_id)
                        claims.append(update_id)
                await linkage.relay.run_once()
                await _until_delivered(linkage)
                await _date_back(linkage, first_row, claims, today)
            now = start + timedelta(days=30 * (month + 1))
            s = linkage.settings
            await retention.prune(
                now - timedelta(days=s.notification_retention_days),
                now - timedelta(days=s.dead_letter_retention_days),
            )
            await updates.prune(
                keep_for=utcnow() - (now - timedelta(hours=s.processed_update_retention_hours))
            )
            await queue.trim()
            report.append(await _measure(linkage, redis, queue, month + 1))
        stop.set()
        await sending
        return report
    finally:
        await redis.aclose()
        await linkage.close()
        redis_server.stop()
        await standin.stop()


async def _last_id(linkage: Any) -> int:
    async with linkage.db.session() as session:
        return int((await session.exec(select(func.max(Notification.id)))).one() or 0)


async def _until_delivered(linkage: Any) -> None:
    for _ in range(600):
        counts = await linkage.outbox.counts()
        if not counts.get("pending") and not counts.get("queued"):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"notifications stuck: {await linkage.outbox.counts()}")


async def _date_back(linkage: Any, after_id: int, claims: list[int], day: datetime) -> None:
    async with linkage.db.session() as session:
        await session.exec(
            update(Notification).where(col(Notification.id) > after_id).values(created_at=day)
        )
        await session.exec(
            update(ProcessedUpdate)
            .where(col(ProcessedUpdate.update_id).in_(claims))
            .values(received_at=day)
        )
        await session.commit()


async def _measure(
    linkage: Any, redis: Redis, queue: RedisStreamQueue, month: int
) -> dict[str, Any]:
    async with linkage.db.session() as session:

        async def count(model: Any) -> int:
            return int((await session.exec(select(func.count()).select_from(model))).one())

        rows = {
            "tickets": await count(Ticket),
            "events": await count(TicketEvent),
            "notifications": await count(Notification),
            # rows that still say something (not yet slimmed to "message → ticket")
            "with_text": sum(
                1 for params in await session.exec(select(Notification.params)) if params
            ),
            "claims": await count(ProcessedUpdate),
        }
    path = Path(linkage.settings.effective_database_url.split("///", 1)[1])
    with closing(sqlite3.connect(path)) as db:
        pages, free, size = (
            db.execute(f"PRAGMA {pragma}").fetchone()[0]
            for pragma in ("page_count", "freelist_count", "page_size")
        )
    memory: Any = await redis.info("memory")
    return {
        "month": month,
        **rows,
        "db_used_kb": (pages - free) * size // 1024,
        "redis_kb": int(memory["used_memory"]) // 1024,
        "stream_entries": sum((await queue.length()).values()),
    }


def print_report(report: list[dict[str, Any]]) -> None:
    columns = list(report[0])
    print(" ".join(f"{c:>14}" for c in columns))
    previous: dict[str, Any] | None = None
    for row in report:
        print(" ".join(f"{row[c]:>14}" for c in columns))
        if previous is not None:
            growth = {c: row[c] - previous[c] for c in columns if c != "month"}
            print(" ".join(f"{'+' + str(growth[c]) if c != 'month' else '':>14}" for c in columns))
        previous = row


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING)
    tickets_per_day = int(argv[0]) if argv else 3
    months = int(argv[1]) if len(argv) > 1 else 12
    with tempfile.TemporaryDirectory() as folder:
        report = asyncio.run(simulate(tickets_per_day, months, Path(folder)))
    print(f"a street office, {tickets_per_day} tickets a day for {months} months of 30 days")
    print_report(report)


if __name__ == "__main__":
    main(sys.argv[1:])
