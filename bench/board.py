"""The public board's queries over 100,000 tickets filed across two years, on SQLite and on
PostgreSQL (a server started here, as the tests do): the time of each query the board runs.

Each query is run `rounds` times on a warm database (the board's one-minute cache bypassed);
the table gives the median and the 95th percentile. The target is a p95 under 300 ms on
PostgreSQL for every query.

    .venv/bin/python -m bench.board [tickets] [rounds]
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.board import WEEKS, Board, month_start
from services.migrate import upgrade_to_head
from services.models import BoardPublication, Ticket, utcnow
from services.routing import load_routing
from services.storage import Database
from tests.support.servers import PostgresServer

CHUNK = 5_000
TARGET_MS = 300.0


def ticket_row(
    n: int, created: datetime, category: str, grid: str | None, **fields: object
) -> dict[str, object]:
    """The n-th benchmark ticket, with nothing personal in it; `fields` add the rest."""
    return {
        "number": f"{created.year}-{n:06d}",
        "resident_id": 10_000 + n % 5_000,
        "resident_name": "",
        "resident_locale": "zh",
        "category": category,
        "grid": grid,
        "staff_chat_id": -1001,
        "text": "bench",
        "photos": [],
        "created_at": created,
        **fields,
    }


async def fill(db: Database, count: int) -> None:
    """`count` tickets over the last two years: grids, kinds, resolutions and ratings mixed."""
    routing = load_routing(None, None)
    grids = [grid.code for grid in routing.grids] + [None]
    categories = [category.code for category in routing.categories]
    now, span = utcnow(), timedelta(days=730)
    randomly = random.Random(311)
    rows: list[dict[str, object]] = []
    for n in range(1, count + 1):
        created = now - span * randomly.random()
        resolved = created + timedelta(hours=randomly.expovariate(1 / 30))
        done = resolved < now and randomly.random() < 0.9
        rows.append(
            ticket_row(
                n,
                created,
                randomly.choice(categories),
                randomly.choice(grids),
                status="closed" if done else "new",
                updated_at=resolved if done else created,
                resolved_at=resolved if done else None,
                rating=randomly.randint(1, 5) if done and randomly.random() < 0.6 else None,
                escalation_level=0,
            )
        )
    async with db.engine.begin() as connection:
        for start in range(0, len(rows), CHUNK):
            await connection.execute(insert(Ticket), rows[start : start + CHUNK])
        published = [
            {"ticket_id": n, "summary": "fixed", "published_by": 1, "published_at": now}
            for n in range(1, count + 1, 500)
        ]
        await connection.execute(insert(BoardPublication), published)
        if not db.is_sqlite:
            await connection.exec_driver_sql("ANALYZE")


async def measure(db: Database, rounds: int) -> dict[str, list[float]]:
    board = Board(db)
    now = utcnow()
    queries: dict[str, Callable[[AsyncConnection], Awaitable[object]]] = {
        "this month": lambda c: board._figures(c, month_start(now, board.utc_offset)),
        f"last {WEEKS} weeks": lambda c: board._figures(c, now - timedelta(weeks=WEEKS)),
        "published fixes": board._published,
    }
    timings: dict[str, list[float]] = {name: [] for name in [*queries, "whole board"]}
    async with db.engine.connect() as connection:
        for _ in range(rounds):
            for name, query in queries.items():
                started = time.perf_counter()
                await query(connection)
                timings[name].append((time.perf_counter() - started) * 1000)
    for _ in range(rounds):
        board.forget()
        started = time.perf_counter()
        await board.snapshot(now)
        timings["whole board"].append((time.perf_counter() - started) * 1000)
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


async def run(count: int, rounds: int) -> int:
    postgres = PostgresServer()
    postgres.start()
    failed = 0
    try:
        with tempfile.TemporaryDirectory(prefix="linkage-board-") as folder:
            urls = {
                "SQLite": f"sqlite+aiosqlite:///{Path(folder) / 'board.sqlite3'}",
                "PostgreSQL": await postgres.create_database(),
            }
            print(f"{count:,} tickets over two years, {rounds} rounds per query")
            print(f"{'database':<11} {'query':<18} {'median ms':>10} {'p95 ms':>8}")
            for kind, url in urls.items():
                db = Database(url)
                try:
                    await upgrade_to_head(db)
                    started = time.perf_counter()
                    await fill(db, count)
                    print(f"{kind}: filled in {time.perf_counter() - started:.1f} s")
                    for name, values in (await measure(db, rounds)).items():
                        slow = kind == "PostgreSQL" and p95(values) >= TARGET_MS
                        failed += slow
                        mark = "  over the target" if slow else ""
                        print(
                            f"{kind:<11} {name:<18} {statistics.median(values):>10.1f} "
                            f"{p95(values):>8.1f}{mark}"
                        )
                finally:
                    await db.close()
    finally:
        postgres.remove()
    return 1 if failed else 0


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:3]]
    count, rounds = (arguments + [100_000, 20][len(arguments) :])[:2]
    sys.exit(asyncio.run(run(count, rounds)))
