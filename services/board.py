"""The public board: how the street is doing, per grid and for the whole area, with no one's
personal data; and "You reported, we fixed": resolved tickets staff chose to publish, each with
a summary staff wrote for the public (never the resident's own words or name).

Every figure is an SQL aggregate (counts, averages, and the median by row numbers over a
window, which SQLite and PostgreSQL both run), read at most once a minute per process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col

from services.deliberation_outcome import PublicDecision, public_decisions
from services.models import BoardPublication, Ticket, as_utc, utcnow
from services.storage import Database
from services.tickets import CLOSED, RESOLVED

SUMMARY_LIMIT = 500
CACHE_SECONDS = 60.0
WEEKS = 12
PUBLISHED_SHOWN = 20
WHOLE_AREA = ""  # the key of the whole area's figures beside the grids' codes


class PublishError(Exception):
    """A ticket that cannot be published; the message says why."""


@dataclass(frozen=True)
class Figures:
    received: int
    resolved: int
    median_hours: float | None
    rating: float | None
    ratings: int

    @property
    def resolved_share(self) -> float | None:
        return None if not self.received else self.resolved / self.received


@dataclass(frozen=True)
class Published:
    number: str
    category: str
    grid: str | None
    resolved_at: datetime
    summary: str


@dataclass(frozen=True)
class Snapshot:
    """The board as of `at`: figures by period ("month", "weeks"), then by grid code."""

    at: datetime
    month: dict[str, Figures]
    weeks: dict[str, Figures]
    published: list[Published]
    decisions: list[PublicDecision] = field(default_factory=list)  # consultations decided


def month_start(now: datetime, offset: timedelta) -> datetime:
    """The first moment of the month the office is in (its clock is UTC + `offset`)."""
    local = as_utc(now) + offset
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return first - offset


class Board:
    def __init__(self, db: Database, utc_offset: timedelta = timedelta(hours=8)) -> None:
        self.db = db
        self.utc_offset = utc_offset  # the office's clock (China: UTC+8) for "this month"
        self._cached: tuple[float, Snapshot] | None = None

    async def snapshot(self, now: datetime | None = None) -> Snapshot:
        """The board's figures, computed at most once every CACHE_SECONDS."""
        moment = time.monotonic()
        if self._cached is not None and moment - self._cached[0] < CACHE_SECONDS:
            return self._cached[1]
        now = now or utcnow()
        async with self.db.engine.connect() as connection:  # reading only: no ORM session
            snapshot = Snapshot(
                at=now,
                month=await self._figures(connection, month_start(now, self.utc_offset)),
                weeks=await self._figures(connection, now - timedelta(weeks=WEEKS)),
                published=await self._published(connection),
                decisions=await public_decisions(self.db),
            )
        self._cached = (moment, snapshot)
        return snapshot

    def forget(self) -> None:
        """The next snapshot is read afresh (after a publication)."""
        self._cached = None

    async def publish(self, ticket_id: int, summary: str, by: int) -> Ticket:
        summary = summary.strip()
        if not summary or len(summary) > SUMMARY_LIMIT:
            raise PublishError(f"a summary is 1 to {SUMMARY_LIMIT} characters")
        async with self.db.session() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None or ticket.status not in (RESOLVED, CLOSED):
                raise PublishError("only a resolved request can be published")
            existing = await session.get(BoardPublication, ticket_id)
            publication = existing or BoardPublication(
                ticket_id=ticket_id, summary=summary, published_by=by
            )
            publication.summary, publication.published_by = summary, by
            publication.published_at = utcnow()
            session.add(publication)
            await session.commit()
        self.forget()
        return ticket

    async def _figures(self, connection: AsyncConnection, since: datetime) -> dict[str, Figures]:
        received = col(Ticket.created_at) >= since
        aggregates = (
            func.count(),
            func.count(col(Ticket.resolved_at)),
            func.avg(cast(col(Ticket.rating), Float)),
            func.count(col(Ticket.rating)),
        )
        medians = await self._medians(connection, received)
        whole = (await connection.execute(select(*aggregates).where(received))).one()
        figures = {WHOLE_AREA: _figures_of(tuple(whole), medians.get(WHOLE_AREA))}
        by_grid = select(col(Ticket.grid), *aggregates).where(received).group_by(col(Ticket.grid))
        for grid, *numbers in await connection.execute(by_grid):
            if grid is not None:
                figures[grid] = _figures_of(tuple(numbers), medians.get(grid))
        return figures

    async def _medians(
        self, connection: AsyncConnection, received: ColumnElement[bool]
    ) -> dict[str, float]:
        """Median hours from receipt to resolution, per grid and for the whole area."""
        seconds = self._seconds_to_resolve()
        medians: dict[str, float] = {}
        for partition, key in ((col(Ticket.grid), None), (literal(1), WHOLE_AREA)):
            ranked = (
                select(
                    partition.label("area"),
                    seconds.label("seconds"),
                    func.row_number().over(partition_by=partition, order_by=seconds).label("n"),
                    func.count().over(partition_by=partition).label("total"),
                )
                .where(received)
                .where(col(Ticket.resolved_at).is_not(None))
                .subquery()
            )
            middle = or_(
                ranked.c.n == (ranked.c.total + 1) // 2, ranked.c.n == (ranked.c.total + 2) // 2
            )
            rows = await connection.execute(
                select(ranked.c.area, func.avg(ranked.c.seconds))
                .where(middle)
                .group_by(ranked.c.area)
            )
            for area, value in rows:
                if area is not None and value is not None:
                    medians[key if key is not None else str(area)] = float(value) / 3600
        return medians

    def _seconds_to_resolve(self) -> ColumnElement[Any]:
        later, earlier = col(Ticket.resolved_at), col(Ticket.created_at)
        if self.db.is_sqlite:
            return (func.julianday(later) - func.julianday(earlier)) * 86400.0
        return func.extract("epoch", later - earlier)

    async def _published(self, connection: AsyncConnection) -> list[Published]:
        rows = await connection.execute(
            select(
                col(Ticket.number),
                col(Ticket.category),
                col(Ticket.grid),
                col(Ticket.resolved_at),
                col(BoardPublication.summary),
            )
            .join(BoardPublication, col(BoardPublication.ticket_id) == col(Ticket.id))
            .order_by(col(BoardPublication.published_at).desc())
            .limit(PUBLISHED_SHOWN)
        )
        return [
            Published(number, category, grid, as_utc(resolved or utcnow()), summary)
            for number, category, grid, resolved, summary in rows
        ]


def _figures_of(row: tuple[object, ...], median: float | None) -> Figures:
    received, resolved, rating, ratings = row
    return Figures(
        received=int(received or 0),  # type: ignore[call-overload]
        resolved=int(resolved or 0),  # type: ignore[call-overload]
        median_hours=median,
        rating=None if rating is None else float(rating),  # type: ignore[arg-type]
        ratings=int(ratings or 0),  # type: ignore[call-overload]
    )
