"""The SQL the dashboard's figures (services/dashboard_figures.py) are built of, in the words
of each database, SQLite and PostgreSQL: the office's day and week of a stored moment, the
seconds between two moments, and a duration's count, median and 90th percentile (a `Spread`).

The median averages the one or two middle rows, p90 is the nearest rank, ceil(0.9 n).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Float, Integer, Select, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement


@dataclass(frozen=True)
class Spread:
    """Hours: how many, the median and the 90th percentile."""

    count: int
    median: float | None
    p90: float | None


class OfficeSql:
    """The expressions for one database, with the office's offset from UTC in minutes."""

    def __init__(self, is_sqlite: bool, minutes: int) -> None:
        self.is_sqlite = is_sqlite
        self.minutes = minutes

    async def spreads(
        self,
        c: AsyncConnection,
        value: Any,
        partition: Any,
        conditions: Sequence[ColumnElement[bool]],
        *,
        minutes: bool = False,
    ) -> dict[Any, Spread]:
        """Count, median and p90 of `value` (seconds) per `partition`, in hours (or minutes).

        PostgreSQL has them as ordered-set aggregates (percentile_cont for the median, which
        averages the middle two; percentile_disc(0.9), the nearest rank); SQLite has not, so
        there rows are numbered in a window and the middle and the rank ceil(0.9 n) picked.
        """
        unit = 60.0 if minutes else 3600.0
        query: Select[Any]
        if not self.is_sqlite:
            query = (
                select(
                    partition.label("part"),
                    func.count(),
                    func.percentile_cont(0.5).within_group(value),
                    func.percentile_disc(0.9).within_group(value),
                )
                .where(*conditions)
                .group_by(partition)
            )
            return spreads_of(await c.execute(query), unit)
        ranked = (
            select(
                partition.label("part"),
                value.label("v"),
                func.row_number().over(partition_by=partition, order_by=value).label("n"),
                func.count().over(partition_by=partition).label("total"),
            )
            .where(*conditions)
            .subquery()
        )
        n, total = ranked.c.n, ranked.c.total
        middle = or_(n == (total + 1) // 2, n == (total + 2) // 2)
        p90_rank = (total * 9 + 9) // 10
        query = select(
            ranked.c.part,
            func.max(total),
            func.avg(case((middle, ranked.c.v))),
            func.max(case((n == p90_rank, ranked.c.v))),
        ).group_by(ranked.c.part)
        return spreads_of(await c.execute(query), unit)

    def local(self, moment: Any) -> Any:
        """The office's wall-clock time of a stored moment (PostgreSQL)."""
        return func.timezone("UTC", moment) + func.make_interval(0, 0, 0, 0, 0, self.minutes)

    def day(self, moment: Any) -> Any:
        if self.is_sqlite:
            return func.date(moment, f"{self.minutes:+d} minutes")
        return cast(self.local(moment), Date)

    def week(self, moment: Any) -> Any:
        """The Monday the office's week of `moment` starts on."""
        if self.is_sqlite:
            return func.date(moment, f"{self.minutes:+d} minutes", "weekday 0", "-6 days")
        return cast(func.date_trunc("week", self.local(moment)), Date)

    def week_number(self, moment: Any) -> Any:
        """The office's week of `moment` as a whole number (`week_start` turns it back into
        its Monday): seconds since 1969-12-29 (a Monday) in office time, over 604,800. Plain
        arithmetic, much cheaper per row than truncating a local timestamp."""
        shift = self.minutes * 60 + EPOCH_TO_MONDAY
        if self.is_sqlite:  # after 1970 the cast truncates as floor does (SQLite may
            # be built without its math functions)
            epoch = (func.julianday(moment) - 2440587.5) * 86400.0
            return cast((epoch + shift) / 604800.0, Integer)
        epoch = func.date_part("epoch", moment)
        return cast(func.floor((epoch + shift) / 604800.0), Integer)

    def seconds(self, earlier: Any, later: Any) -> Any:
        if self.is_sqlite:
            return cast((func.julianday(later) - func.julianday(earlier)) * 86400.0, Float)
        return cast(func.extract("epoch", later - earlier), Float)


EPOCH_TO_MONDAY = 3 * 86400  # 1970-01-01 was a Thursday; 1969-12-29 the Monday before
FIRST_MONDAY = date(1969, 12, 29)


def week_start(number: int) -> date:
    """The Monday of `OfficeSql.week_number`'s week."""
    return FIRST_MONDAY + timedelta(weeks=number)


def as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _maybe_date(value: object) -> object:
    return as_date(value) if value is not None and not isinstance(value, int) else value


def spreads_of(rows: Any, unit: float) -> dict[Any, Spread]:
    found: dict[Any, Spread] = {}
    for part, count, median, p90 in rows:
        found[_maybe_date(part)] = Spread(
            int(count),
            None if median is None else float(median) / unit,
            None if p90 is None else float(p90) / unit,
        )
    return found
