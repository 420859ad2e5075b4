"""The verifiers' queue: what waits, reminders that it waits, and how long tourists waited.

An application undecided `remind_after` (VERIFY_REMIND_MINUTES, 15) after it was submitted is
reminded in the verifier chat; still undecided twice as long after, to the admins. Each step is
a conditional update of the application's reminder count, written in one transaction with its
notifications, so of several processes running the minutely round exactly one reminds.

The figure that matters to a tourist is from submission to the certificate card in their chat:
the card's notification's `delivered_at` (services.outbox), per day and per reviewer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median, quantiles
from typing import Protocol

from sqlalchemy import String, cast, func, literal, update
from sqlmodel import col, select

from services.application_contract import APPROVED, SUBMITTED
from services.applications import ApplicationService
from services.certificates import CHINA_TIME
from services.identity import mask_name
from services.models import Application, Notification, as_utc
from services.outbox import Outbox, Outgoing
from services.storage import Database

__all__ = ["DeliveryStats", "Figures", "ReminderNotices", "ReviewQueue", "Waiting"]

VERIFIERS, ADMINS = 1, 2  # the reminder steps: how many an application has had


@dataclass(frozen=True)
class Waiting:
    """An undecided application as the queue shows it: no personal data but a masked name."""

    application_id: int
    submitted_at: datetime
    waited: timedelta
    hotel_code: str
    masked_name: str


class ReminderNotices(Protocol):
    def remind_verifiers(self, waiting: Waiting) -> list[Outgoing]: ...

    def remind_admins(self, waiting: Waiting, admin_ids: Iterable[int]) -> list[Outgoing]: ...


@dataclass(frozen=True)
class Figures:
    count: int
    median: timedelta | None
    p90: timedelta | None

    @classmethod
    def of(cls, waits: list[float]) -> Figures:
        if not waits:
            return cls(0, None, None)
        ninetieth = quantiles(waits, n=10)[-1] if len(waits) >= 2 else waits[0]
        return cls(len(waits), timedelta(seconds=median(waits)), timedelta(seconds=ninetieth))


@dataclass(frozen=True)
class DeliveryStats:
    """Submission to the certificate card delivered, in the chosen span."""

    overall: Figures
    by_day: list[tuple[date, Figures]]  # China calendar day of submission, newest first
    by_reviewer: list[tuple[str, Figures]]  # the reviewer's name, busiest first


class ReviewQueue:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        applications: ApplicationService,
        notices: ReminderNotices,
        *,
        remind_after: timedelta = timedelta(minutes=15),
        admin_ids: Iterable[int] = (),
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.applications = applications
        self.notices = notices
        self.remind_after = remind_after
        self.admin_ids = frozenset(admin_ids)

    def _waiting(self, row: Application, now: datetime) -> Waiting:
        submitted = as_utc(row.submitted_at)
        assert row.id is not None
        return Waiting(
            row.id,
            submitted,
            now - submitted,
            row.hotel_code,
            mask_name(self.applications.personal_data(row).full_name),
        )

    async def pending(self, now: datetime) -> list[Waiting]:
        """Undecided applications, oldest first."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(Application)
                .where(Application.status == SUBMITTED)
                .order_by(col(Application.submitted_at), col(Application.id))
            )
            return [self._waiting(row, now) for row in rows]

    async def remind(self, now: datetime) -> int:
        """Remind what waits too long (the minutely round; `now` is the clock); how many."""
        reminded = 0
        steps = ((0, VERIFIERS, self.remind_after), (VERIFIERS, ADMINS, 2 * self.remind_after))
        for before, after, waited in steps:
            if after == ADMINS and not self.admin_ids:
                continue
            async with self.db.session() as session:
                due = await session.exec(
                    select(Application.id)
                    .where(Application.status == SUBMITTED)
                    .where(Application.reminders == before)
                    .where(col(Application.submitted_at) <= now - waited)
                )
                ids = [found for found in due if found is not None]
            for application_id in ids:
                reminded += await self._remind_one(application_id, before, after, now)
        return reminded

    async def _remind_one(self, application_id: int, before: int, after: int, now: datetime) -> int:
        async with self.db.session() as session:
            claimed = await session.exec(
                update(Application)
                .where(col(Application.id) == application_id)
                .where(col(Application.status) == SUBMITTED)
                .where(col(Application.reminders) == before)
                .values(reminders=after)
            )
            if claimed.rowcount != 1:
                await session.rollback()
                return 0  # decided, or reminded by another process, meanwhile
            row = await session.get(Application, application_id)
            assert row is not None
            waiting = self._waiting(row, now)
            if after == VERIFIERS:
                outgoing = self.notices.remind_verifiers(waiting)
            else:
                outgoing = self.notices.remind_admins(waiting, sorted(self.admin_ids))
            for item in outgoing:
                self.outbox.add(session, item)
            await session.commit()
        return 1

    async def delivery_stats(self, since: datetime) -> DeliveryStats:
        """From submission to the certificate card delivered to the tourist."""
        delivered = func.min(Notification.delivered_at)
        async with self.db.session() as session:
            rows = await session.exec(
                select(
                    Application.id,
                    Application.submitted_at,
                    Application.decided_by_name,
                    delivered,
                )
                .join(
                    Notification,
                    (
                        col(Notification.reference)
                        == literal("application:") + cast(Application.id, String)
                    )
                    & (col(Notification.chat_id) == col(Application.tourist_id))
                    & (col(Notification.method) == "sendPhoto"),
                )
                .where(Application.status == APPROVED)
                .where(col(Application.submitted_at) >= since)
                .where(col(Notification.delivered_at).is_not(None))
                .group_by(
                    col(Application.id),
                    col(Application.submitted_at),
                    col(Application.decided_by_name),
                )
            )
            found = list(rows)
        overall: list[float] = []
        days: dict[date, list[float]] = defaultdict(list)
        reviewers: dict[str, list[float]] = defaultdict(list)
        for _id, submitted, reviewer, card_at in found:
            if card_at is None:
                continue
            seconds = (as_utc(card_at) - as_utc(submitted)).total_seconds()
            overall.append(seconds)
            days[as_utc(submitted).astimezone(CHINA_TIME).date()].append(seconds)
            reviewers[reviewer or "?"].append(seconds)
        return DeliveryStats(
            Figures.of(overall),
            [(day, Figures.of(days[day])) for day in sorted(days, reverse=True)],
            [
                (name, Figures.of(waits))
                for name, waits in sorted(reviewers.items(), key=lambda item: -len(item[1]))
            ],
        )
