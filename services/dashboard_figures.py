"""The dashboard's figures, each one SQL aggregate (no Python loop over tickets), the same on
SQLite and PostgreSQL.

Days and weeks are the office's (UTC + `utc_offset`, China by default). Medians and the 90th
percentile are taken over row numbers in a window (`row_number() over (partition by ... order
by value)` and the partition's count), which both databases run: the median averages the one
or two middle rows, p90 is the nearest rank, ceil(0.9 n). Each database's words for these, and
for office days and weeks, are services/dashboard_sql.py's.

Filters: a period (from the first moment of `since` to `until`), a grid, a category; a viewer
who sees some grids only sees those (`grids`), and certificates (not a grid's business) only
when they see everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from services.dashboard_sql import OfficeSql, Spread, as_date, spreads_of, week_start
from services.models import Application, CheckIn, Ticket, utcnow
from services.storage import Database
from services.ticket_queries import NEW, OPEN

OFFICE_OFFSET = timedelta(hours=8)
SEED_REVIEW_MINUTES = 93  # the seed office's median from application to certificate


@dataclass(frozen=True)
class Filters:
    since: datetime
    until: datetime
    grid: str | None = None
    category: str | None = None
    grids: frozenset[str] | None = None  # the viewer's grids; None: every grid
    # with `grids`: categories whose tickets the viewer sees whatever their grid (the staff
    # of a category's own chat, a department across grids)
    categories: frozenset[str] = frozenset()

    @property
    def everything(self) -> bool:
        return self.grids is None


@dataclass(frozen=True)
class Tally:
    key: str
    received: int
    resolved: int
    open: int


@dataclass(frozen=True)
class Week:
    start: date
    response: Spread
    resolution: Spread


@dataclass(frozen=True)
class Level:
    level: int
    open: int
    overdue: int


@dataclass(frozen=True)
class Certificates:
    per_day: list[tuple[date, int, int]]  # day, applications, approved
    review: Spread  # minutes
    review_weeks: list[tuple[date, Spread]]
    checkins: list[tuple[str, int]]  # hotel code, check-ins in the period


@dataclass(frozen=True)
class Figures:
    filters: Filters
    per_day: list[tuple[date, int, int]]  # day, received, resolved
    by_category: list[Tally]
    by_grid: list[Tally]
    weeks: list[Week]
    ratings: dict[int, int]  # stars -> how many
    levels: list[Level]
    certificates: Certificates | None = None
    at: datetime = field(default_factory=utcnow)

    @property
    def satisfaction(self) -> float | None:
        count = sum(self.ratings.values())
        return None if not count else sum(s * n for s, n in self.ratings.items()) / count


class DashboardFigures:
    def __init__(
        self,
        db: Database,
        *,
        utc_offset: timedelta = OFFICE_OFFSET,
        take_within: timedelta = timedelta(minutes=60),
        resolve_within: timedelta = timedelta(hours=72),
    ) -> None:
        self.db = db
        self.sql = OfficeSql(db.is_sqlite, int(utc_offset.total_seconds() // 60))
        self.take_within = take_within  # ESCALATE_TAKE_MINUTES: untaken longer is overdue
        self.resolve_within = resolve_within  # ESCALATE_RESOLVE_HOURS: unresolved longer

    async def figures(self, filters: Filters, now: datetime | None = None) -> Figures:
        """Every figure of the page; on PostgreSQL the queries run side by side, each on a
        connection of its own (SQLite reads one at a time anyway)."""
        moment = now or utcnow()
        parts: list[Callable[[AsyncConnection], Awaitable[Any]]] = [
            lambda c: self.per_day(c, filters),
            lambda c: self.tally(c, filters, col(Ticket.category)),
            lambda c: self.tally(c, filters, col(Ticket.grid)),
            lambda c: self.weeks(c, filters),
            lambda c: self.ratings(c, filters),
            lambda c: self.levels(c, filters, moment),
        ]
        if filters.everything:
            parts.append(lambda c: self.certificates(c, filters))

        async def run(part: Callable[[AsyncConnection], Awaitable[Any]]) -> Any:
            async with self.db.engine.connect() as connection:  # reading only: no ORM session
                return await part(connection)

        if self.db.is_sqlite:
            found = [await run(part) for part in parts]
        else:
            found = list(await asyncio.gather(*(run(part) for part in parts)))
        return Figures(
            filters=filters,
            per_day=found[0],
            by_category=found[1],
            by_grid=found[2],
            weeks=found[3],
            ratings=found[4],
            levels=found[5],
            certificates=found[6] if filters.everything else None,
            at=moment,
        )

    # --- the queries, one aggregate each ------------------------------------------------------

    def scope(self, filters: Filters) -> list[ColumnElement[bool]]:
        """The grid and category filters and the viewer's grids (no period)."""
        conditions: list[ColumnElement[bool]] = []
        if filters.grids is not None:
            allowed = sorted(filters.grids)
            theirs: list[ColumnElement[bool]] = [col(Ticket.grid).in_(allowed)] if allowed else []
            if filters.categories:
                theirs.append(col(Ticket.category).in_(sorted(filters.categories)))
            conditions.append(or_(*theirs) if theirs else false())
        if filters.grid:
            conditions.append(col(Ticket.grid) == filters.grid)
        if filters.category:
            conditions.append(col(Ticket.category) == filters.category)
        return conditions

    def received_in(self, filters: Filters) -> list[ColumnElement[bool]]:
        created = col(Ticket.created_at)
        return [created >= filters.since, created < filters.until, *self.scope(filters)]

    async def per_day(self, c: AsyncConnection, filters: Filters) -> list[tuple[date, int, int]]:
        received_day = self.sql.day(col(Ticket.created_at)).label("day")
        received = await c.execute(
            select(received_day, func.count())
            .where(*self.received_in(filters))
            .group_by(received_day)
        )
        resolved_at = col(Ticket.resolved_at)
        resolved_day = self.sql.day(resolved_at).label("day")
        resolved = await c.execute(
            select(resolved_day, func.count())
            .where(resolved_at >= filters.since, resolved_at < filters.until)
            .where(*self.scope(filters))
            .group_by(resolved_day)
        )
        days: dict[date, list[int]] = {}
        for day, count in received:
            days.setdefault(as_date(day), [0, 0])[0] = int(count)
        for day, count in resolved:
            days.setdefault(as_date(day), [0, 0])[1] = int(count)
        return [(day, pair[0], pair[1]) for day, pair in sorted(days.items())]

    async def tally(self, c: AsyncConnection, filters: Filters, key: Any) -> list[Tally]:
        rows = await c.execute(
            select(
                key,
                func.count(),
                func.count(col(Ticket.resolved_at)),
                func.sum(case((col(Ticket.status).in_(OPEN), 1), else_=0)),
            )
            .where(*self.received_in(filters))
            .group_by(key)
            .order_by(func.count().desc(), key)
        )
        return [
            Tally(str(code or ""), int(n), int(done), int(still or 0))
            for code, n, done, still in rows
        ]

    async def weeks(self, c: AsyncConnection, filters: Filters) -> list[Week]:
        """Both spreads per office week, from the spans each ticket keeps (response_seconds,
        resolution_seconds) and a week number computed as plain arithmetic on the creation
        moment: over the period, the rows are read from one index (ix_ticket_spans) alone."""
        week = self.sql.week_number(col(Ticket.created_at)).label("week")
        spans = (col(Ticket.response_seconds), col(Ticket.resolution_seconds))
        if not self.db.is_sqlite:  # PostgreSQL: both spreads of a week in one pass
            measures = []
            for span in spans:  # the aggregates skip NULLs
                measures += [
                    func.count(span),
                    func.percentile_cont(0.5).within_group(span),
                    func.percentile_disc(0.9).within_group(span),
                ]
            rows = await c.execute(
                select(week, *measures)
                .where(*self.received_in(filters))
                .group_by(week)
                .order_by(week)
            )
            return weeks_of(rows)
        return await self._weeks_by_row_numbers(c, filters)

    async def _weeks_by_row_numbers(self, c: AsyncConnection, filters: Filters) -> list[Week]:
        """SQLite, which has no percentile aggregates: both spans' rows numbered within their
        week in one pass over the index (NULLs sort first, so a span's rank among the tickets
        that have it is its row number less the week's NULLs), then the middle and the rank
        ceil(0.9 n) picked per week."""
        rows = (
            select(
                self.sql.week_number(col(Ticket.created_at)).label("w"),
                col(Ticket.response_seconds).label("a"),
                col(Ticket.resolution_seconds).label("b"),
            )
            .where(*self.received_in(filters))
            .subquery()
        )
        w = rows.c.w
        numbered = []
        for span in (rows.c.a, rows.c.b):
            nulls = func.count().over(partition_by=w) - func.count(span).over(partition_by=w)
            numbered += [
                (func.row_number().over(partition_by=w, order_by=span) - nulls),
                func.count(span).over(partition_by=w),
            ]
        ranked = select(
            w,
            rows.c.a,
            rows.c.b,
            numbered[0].label("na"),
            numbered[1].label("ca"),
            numbered[2].label("nb"),
            numbered[3].label("cb"),
        ).subquery()
        measures = []
        for value, n, total in (
            (ranked.c.a, ranked.c.na, ranked.c.ca),
            (ranked.c.b, ranked.c.nb, ranked.c.cb),
        ):
            middle = or_(n == (total + 1) // 2, n == (total + 2) // 2)
            measures += [
                func.max(total),
                func.avg(case((middle, value))),
                func.max(case((n == (total * 9 + 9) // 10, value))),
            ]
        return weeks_of(
            await c.execute(select(ranked.c.w, *measures).group_by(ranked.c.w).order_by(ranked.c.w))
        )

    async def ratings(self, c: AsyncConnection, filters: Filters) -> dict[int, int]:
        rating = col(Ticket.rating)
        rows = await c.execute(
            select(rating, func.count())
            .where(*self.received_in(filters), rating.is_not(None))
            .group_by(rating)
        )
        return {int(stars or 0): int(count) for stars, count in rows}

    async def levels(self, c: AsyncConnection, filters: Filters, now: datetime) -> list[Level]:
        """Open now (whenever received), by escalation level: how many, how many overdue."""
        clock = func.coalesce(col(Ticket.reopened_at), col(Ticket.created_at))
        overdue = or_(
            and_(col(Ticket.status) == NEW, clock < now - self.take_within),
            and_(col(Ticket.status) != NEW, clock < now - self.resolve_within),
        )
        level = col(Ticket.escalation_level)
        rows = await c.execute(
            select(level, func.count(), func.sum(case((overdue, 1), else_=0)))
            .where(col(Ticket.status).in_(OPEN), *self.scope(filters))
            .group_by(level)
            .order_by(level)
        )
        return [Level(int(n or 0), int(count), int(late or 0)) for n, count, late in rows]

    async def certificates(self, c: AsyncConnection, filters: Filters) -> Certificates:
        submitted = col(Application.submitted_at)
        period = [submitted >= filters.since, submitted < filters.until]
        day = self.sql.day(submitted).label("day")
        rows = await c.execute(
            select(
                day,
                func.count(),
                func.sum(case((col(Application.status) == "approved", 1), else_=0)),
            )
            .where(*period)
            .group_by(day)
            .order_by(day)
        )
        per_day = [(as_date(d), int(n), int(approved or 0)) for d, n, approved in rows]
        wait = self.sql.seconds(submitted, col(Application.decided_at))
        decided = [*period, col(Application.decided_at).is_not(None)]
        overall = await self.sql.spreads(c, wait, literal(1), decided, minutes=True)
        weekly = await self.sql.spreads(c, wait, self.sql.week(submitted), decided, minutes=True)
        at = col(CheckIn.at)
        checkins = await c.execute(
            select(col(CheckIn.hotel_code), func.count())
            .where(at >= filters.since, at < filters.until, col(CheckIn.undone_at).is_(None))
            .group_by(col(CheckIn.hotel_code))
            .order_by(func.count().desc(), col(CheckIn.hotel_code))
        )
        return Certificates(
            per_day=per_day,
            review=next(iter(overall.values()), Spread(0, None, None)),
            review_weeks=sorted(weekly.items()),
            checkins=[(str(hotel), int(n)) for hotel, n in checkins],
        )


def weeks_of(rows: Any) -> list[Week]:
    """Rows of an office week's number and both spans' count, median and p90 (seconds) as the
    weeks in which either span was measured."""
    found = []
    for number, *values in rows:
        start = week_start(int(number))
        answered = spreads_of([(start, *values[:3])], 3600.0)[start]
        resolved = spreads_of([(start, *values[3:])], 3600.0)[start]
        found.append(Week(start, answered, resolved))
    return [w for w in found if w.response.count or w.resolution.count]


def period_of(
    start: date | None, end: date | None, today: date, offset: timedelta = OFFICE_OFFSET
) -> tuple[datetime, datetime]:
    """The moments a period of office days covers: the first moment of `start` to the end of
    `end` (defaults: the last 90 days, today included)."""
    end = end or today
    start = start or end - timedelta(days=89)
    if start > end:
        start, end = end, start
    first = datetime.combine(start, time(), tzinfo=UTC)
    return first - offset, first - offset + timedelta(days=(end - start).days + 1)


__all__ = [
    "SEED_REVIEW_MINUTES",
    "Certificates",
    "DashboardFigures",
    "Figures",
    "Filters",
    "Level",
    "Spread",
    "Tally",
    "Week",
    "period_of",
]
