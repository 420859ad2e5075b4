"""Lawyers' service hours at the legal service point, per answered question or consultation.

They count towards the lawyers' annual public-service requirement: each lawyer reads their
month (`/hours`), and an admin exports every lawyer's month as CSV for the bar association.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select

from services.models import LegalHours, LegalQuestion
from services.storage import Database

DEFAULT_MINUTES = 30
MAX_MINUTES = 600  # one record: a long consultation day at most


@dataclass(frozen=True)
class HoursItem:
    day: date
    minutes: int
    number: str  # the question's number, "" for time not tied to one
    lawyer_id: int
    lawyer_name: str


def month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end


class ServiceHours:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(
        self,
        lawyer_id: int,
        lawyer_name: str,
        minutes: int,
        day: date,
        question_id: int | None = None,
    ) -> LegalHours:
        """The caller checked they are a lawyer now; ValueError for minutes out of range."""
        if not 1 <= minutes <= MAX_MINUTES:
            raise ValueError(f"minutes must be 1 to {MAX_MINUTES}")
        async with self.db.session() as session:
            row = LegalHours(
                lawyer_id=lawyer_id,
                lawyer_name=lawyer_name,
                minutes=minutes,
                day=day,
                question_id=question_id,
            )
            session.add(row)
            await session.commit()
            await session.refresh(row)
            return row

    async def month(self, year: int, month: int, lawyer_id: int | None = None) -> list[HoursItem]:
        """A month's records, by lawyer and day; one lawyer's when `lawyer_id` is given."""
        start, end = month_bounds(year, month)
        query = (
            select(LegalHours, LegalQuestion.number)
            .outerjoin(LegalQuestion, col(LegalQuestion.id) == col(LegalHours.question_id))
            .where(col(LegalHours.day) >= start, col(LegalHours.day) < end)
            .order_by(col(LegalHours.lawyer_id), col(LegalHours.day), col(LegalHours.id))
        )
        if lawyer_id is not None:
            query = query.where(LegalHours.lawyer_id == lawyer_id)
        async with self.db.session() as session:
            rows = await session.exec(query)
            return [
                HoursItem(row.day, row.minutes, number or "", row.lawyer_id, row.lawyer_name)
                for row, number in rows
            ]

    async def export(self, year: int, month: int) -> bytes:
        """Every lawyer's month as CSV (UTF-8 with a BOM, so spreadsheets read Chinese)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["lawyer_id", "lawyer", "day", "minutes", "question"])
        items = await self.month(year, month)
        for item in items:
            writer.writerow(
                [item.lawyer_id, item.lawyer_name, item.day.isoformat(), item.minutes, item.number]
            )
        totals: dict[tuple[int, str], int] = {}
        for item in items:
            key = (item.lawyer_id, item.lawyer_name)
            totals[key] = totals.get(key, 0) + item.minutes
        for (lawyer_id, name), minutes in totals.items():
            writer.writerow([lawyer_id, name, "total", minutes, ""])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
