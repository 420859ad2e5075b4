"""The supervisor dashboard's queries over 100,000 tickets filed across two years (and 20,000
certificate applications with their check-ins), on SQLite and on PostgreSQL (a server started
here, as the tests do): the time of each query the dashboard page runs, and of a whole page's
figures and of the anonymised CSV export's query.

Each query runs `rounds` times on a warm database, for the whole street (last 90 days), for one
grid (as its staff see it) and for the whole two years; the table gives the median and the
95th percentile beside the target: p95 under 300 ms per query on PostgreSQL.

    .venv/bin/python -m bench.dashboard [tickets] [rounds] [sqlite|postgresql]
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import col

from bench.board import CHUNK, TARGET_MS, p95, ticket_row
from services.dashboard_export import Detail, TicketExport
from services.dashboard_figures import DashboardFigures, Filters, period_of
from services.migrate import upgrade_to_head
from services.models import Application, CheckIn, Ticket, seconds_between, utcnow
from services.privacy import FieldCipher
from services.routing import load_routing
from services.storage import Database
from tests.support.servers import PostgresServer


async def fill(db: Database, count: int) -> None:
    """`count` tickets over two years: grids, kinds, answers, resolutions, ratings, a few still
    open at each escalation level; a fifth as many applications, most with a check-in."""
    routing = load_routing(None, None)
    grids = [grid.code for grid in routing.grids] + [None]
    categories = [category.code for category in routing.categories]
    hotels = [hotel.code for hotel in routing.hotels]
    now, span = utcnow(), timedelta(days=730)
    randomly = random.Random(13)
    tickets = []
    for n in range(1, count + 1):
        created = now - span * randomly.random()
        answered = created + timedelta(minutes=randomly.expovariate(1 / 40))
        resolved = created + timedelta(hours=randomly.expovariate(1 / 30))
        done = resolved < now and randomly.random() < 0.95
        tickets.append(
            ticket_row(
                n,
                created,
                randomly.choice(categories),
                randomly.choice(grids),
                status="closed" if done else randomly.choice(["new", "taken"]),
                updated_at=resolved if done else created,
                first_response_at=answered if answered < now else None,
                resolved_at=resolved if done else None,
                response_seconds=seconds_between(created, answered if answered < now else None),
                resolution_seconds=seconds_between(created, resolved if done else None),
                rating=randomly.randint(1, 5) if done and randomly.random() < 0.6 else None,
                escalation_level=0 if done else randomly.randint(0, 3),
            )
        )
    applications, checkins = [], []
    for n in range(1, count // 5 + 1):
        submitted = now - span * randomly.random()
        decided = submitted + timedelta(minutes=randomly.expovariate(1 / 90))
        applications.append(
            {
                "tourist_id": 20_000 + n,
                "tourist_locale": "zh",
                "full_name_encrypted": "",
                "document_type": "prc_id",
                "document_number_encrypted": "",
                "phone_encrypted": "",
                "hotel_code": randomly.choice(hotels),
                "check_in": submitted.date(),
                "nights": 1,
                "selfie_file_id_encrypted": "",
                "status": "approved",
                "submitted_at": submitted,
                "decided_at": decided,
                "reminders": 0,
            }
        )
        if randomly.random() < 0.8:
            checkins.append(
                {
                    "serial": f"C{n:08d}",
                    "hotel_code": randomly.choice(hotels),
                    "user_id": 1,
                    "at": decided + timedelta(hours=2),
                }
            )
    async with db.engine.begin() as connection:
        for table, rows in ((Ticket, tickets), (Application, applications), (CheckIn, checkins)):
            for start in range(0, len(rows), CHUNK):
                await connection.execute(insert(table), rows[start : start + CHUNK])
    # what autovacuum does soon after a bulk insert on PostgreSQL (the visibility map lets
    # the weekly medians read the index alone); SQLite's statistics for its planner
    async with db.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("ANALYZE" if db.is_sqlite else "VACUUM ANALYZE")


Query = Callable[[], Awaitable[object]]


def queries(db: Database) -> dict[str, Query]:
    figures = DashboardFigures(db)
    export = TicketExport(db, FieldCipher.from_setting(None, Path(tempfile.gettempdir())), figures)
    today = (utcnow() + timedelta(hours=8)).date()
    since, until = period_of(None, None, today)
    street = Filters(since, until)
    grid = Filters(since, until, grids=frozenset({"SJB-01"}))
    years = Filters(*period_of(today - timedelta(days=729), today, today))
    now = utcnow()

    def on(filters: Filters, name: str) -> Query:
        async def run() -> Any:
            async with db.engine.connect() as c:
                if name == "levels":
                    return await figures.levels(c, filters, now)
                if name == "per_day":
                    return await figures.per_day(c, filters)
                if name == "by_category":
                    return await figures.tally(c, filters, col(Ticket.category))
                if name == "by_grid":
                    return await figures.tally(c, filters, col(Ticket.grid))
                return await getattr(figures, name)(c, filters)

        return run

    table: dict[str, Query] = {}
    for label, filters in (("street 90 d", street), ("grid 90 d", grid), ("street 2 y", years)):
        for name in ("per_day", "by_category", "by_grid", "weeks", "ratings", "levels"):
            table[f"{label}: {name}"] = on(filters, name)
        if filters.everything:
            table[f"{label}: certificates"] = on(filters, "certificates")
        table[f"{label}: whole page"] = lambda f=filters: figures.figures(f)
    table["street 90 d: CSV rows"] = lambda: export.rows(street, Detail.ANONYMISED)
    return table


async def measure(db: Database, rounds: int) -> dict[str, list[float]]:
    table = queries(db)
    timings: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(rounds):
        for name, query in table.items():
            started = time.perf_counter()
            await query()
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


async def run(count: int, rounds: int, only: str = "") -> int:
    postgres = PostgresServer()
    postgres.start()
    failed = 0
    try:
        with tempfile.TemporaryDirectory(prefix="linkage-dashboard-") as folder:
            urls = {
                "SQLite": f"sqlite+aiosqlite:///{Path(folder) / 'dashboard.sqlite3'}",
                "PostgreSQL": await postgres.create_database(),
            }
            print(f"{count:,} tickets over two years, {count // 5:,} applications, {rounds} rounds")
            print(f"{'database':<11} {'query':<32} {'median ms':>10} {'p95 ms':>8}  target")
            for kind, url in urls.items():
                if only and kind.lower() != only:
                    continue
                db = Database(url)
                try:
                    await upgrade_to_head(db)
                    started = time.perf_counter()
                    await fill(db, count)
                    print(f"{kind}: filled in {time.perf_counter() - started:.1f} s")
                    for name, values in (await measure(db, rounds)).items():
                        slow = p95(values) >= TARGET_MS
                        failed += kind == "PostgreSQL" and slow and "CSV" not in name
                        mark = "over" if slow else "met"
                        print(
                            f"{kind:<11} {name:<32} {statistics.median(values):>10.1f} "
                            f"{p95(values):>8.1f}  {TARGET_MS:.0f} ms: {mark}"
                        )
                finally:
                    await db.close()
    finally:
        postgres.remove()
    return 1 if failed else 0


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:3]]
    count, rounds = (arguments + [100_000, 20][len(arguments) :])[:2]
    only = sys.argv[3].lower() if len(sys.argv) > 3 else ""
    sys.exit(asyncio.run(run(count, rounds, only)))
