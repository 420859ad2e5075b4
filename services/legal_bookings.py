"""In-person consultations at the legal service point: the week's slots, booked once each.

The slots come from the routing file's `legal.slots` (local times per weekday). A slot is one
row in `legal_booking`, unique by its start: of two people pressing the same time, the database
lets exactly one in. Both the asker and the lawyers' chat are told, and reminded the day before
(the runner's minute round calls `remind` with the time, so tests move the clock). The asker
moves a booking (the old row goes and the new one comes in one transaction: a time taken a
moment earlier leaves the old booking standing) or cancels it (its time is free again).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.legal import LegalError, NotYours, QuestionNotFound
from services.legal_routing import CurrentPoint
from services.models import LegalBooking, LegalQuestion, as_utc, utcnow
from services.outbox import Outbox, Outgoing
from services.storage import Database

REMIND_BEFORE = timedelta(days=1)


class SlotTaken(LegalError):
    """Someone booked that time a moment earlier."""


class NotASlot(LegalError):
    """Not one of the week's consultation times (a stale button, or a forged one)."""


class NoBooking(LegalError):
    """The question has no consultation ahead to move or cancel."""


class AlreadyBooked(LegalError):
    def __init__(self, booking: LegalBooking) -> None:
        super().__init__(str(booking.slot_start))
        self.booking = booking


class BookingNotices(Protocol):
    def offered(self, question: LegalQuestion, slots: list[datetime]) -> list[Outgoing]: ...
    def booked(self, question: LegalQuestion, booking: LegalBooking) -> list[Outgoing]: ...
    def reminder(self, question: LegalQuestion, booking: LegalBooking) -> list[Outgoing]: ...
    def moved(
        self, question: LegalQuestion, before: datetime, booking: LegalBooking
    ) -> list[Outgoing]: ...
    def cancelled(self, question: LegalQuestion, before: datetime) -> list[Outgoing]: ...


class Bookings:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        current: CurrentPoint,
        notices: BookingNotices,
        zone: tzinfo,
    ) -> None:
        self.db, self.outbox, self.current, self.notices = db, outbox, current, notices
        self.zone = zone  # TIMEZONE: the slots are local times

    async def free_slots(self, now: datetime) -> list[datetime]:
        """The week's consultation times nobody has booked, in order."""
        point = self.current.point
        if point is None:
            return []
        slots = point.week_slots(now, self.zone)
        async with self.db.session() as session:
            rows = await session.exec(
                select(LegalBooking.slot_start).where(
                    col(LegalBooking.slot_start) >= now - timedelta(hours=1)
                )
            )
            taken = {as_utc(start) for start in rows}
        return [slot for slot in slots if slot not in taken]

    async def offer(self, question_id: int, now: datetime) -> list[datetime]:
        """Offer the asker the week's free times (the caller checked who asks)."""
        slots = await self.free_slots(now)
        async with self.db.session() as session:
            question = await session.get(LegalQuestion, question_id)
            if question is None:
                raise QuestionNotFound(str(question_id))
            for item in self.notices.offered(question, slots):
                self.outbox.add(session, item)
            await session.commit()
        return slots

    async def book(
        self, question_id: int, asker_id: int, slot: datetime, now: datetime | None = None
    ) -> LegalBooking:
        now = now or utcnow()
        async with self.db.session() as session:
            question = await session.get(LegalQuestion, question_id)
            if question is None:
                raise QuestionNotFound(str(question_id))
            if question.asker_id != asker_id:
                raise NotYours()
            rows = await session.exec(
                select(LegalBooking).where(
                    LegalBooking.question_id == question_id, col(LegalBooking.slot_start) > now
                )
            )
            if (mine := rows.first()) is not None:
                raise AlreadyBooked(mine)
        point = self.current.point
        if point is None or slot not in point.week_slots(now, self.zone):
            raise NotASlot()
        try:
            async with self.db.session() as session:
                booking = LegalBooking(
                    question_id=question_id,
                    slot_start=slot.astimezone(UTC),
                    asker_id=asker_id,
                    lawyer_id=question.lawyer_id,
                )
                session.add(booking)
                await session.flush()
                for item in self.notices.booked(question, booking):
                    self.outbox.add(session, item)
                await session.commit()
                await session.refresh(booking)
        except IntegrityError:
            raise SlotTaken() from None
        return booking

    async def upcoming(self, question_id: int, now: datetime) -> LegalBooking | None:
        """The question's consultation ahead, if one is booked."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(LegalBooking).where(
                    LegalBooking.question_id == question_id, col(LegalBooking.slot_start) > now
                )
            )
            return rows.first()

    async def move(
        self, question_id: int, asker_id: int, slot: datetime, now: datetime | None = None
    ) -> LegalBooking:
        """The asker's booking moved to another free time; SlotTaken keeps the old one."""
        now = now or utcnow()
        point = self.current.point
        if point is None or slot not in point.week_slots(now, self.zone):
            raise NotASlot()
        try:
            async with self.db.session() as session:
                question, booking = await self._own_booking(session, question_id, asker_id, now)
                before = as_utc(booking.slot_start)
                if before == slot.astimezone(UTC):
                    return booking
                await session.delete(booking)
                await session.flush()
                moved = LegalBooking(
                    question_id=question_id,
                    slot_start=slot.astimezone(UTC),
                    asker_id=asker_id,
                    lawyer_id=question.lawyer_id,
                )
                session.add(moved)
                await session.flush()
                for item in self.notices.moved(question, before, moved):
                    self.outbox.add(session, item)
                await session.commit()
                await session.refresh(moved)
        except IntegrityError:
            raise SlotTaken() from None
        return moved

    async def cancel(self, question_id: int, asker_id: int, now: datetime | None = None) -> None:
        """The asker cancels: the row goes, so the time can be booked by someone else."""
        now = now or utcnow()
        async with self.db.session() as session:
            question, booking = await self._own_booking(session, question_id, asker_id, now)
            before = as_utc(booking.slot_start)
            await session.delete(booking)
            for item in self.notices.cancelled(question, before):
                self.outbox.add(session, item)
            await session.commit()

    async def _own_booking(
        self, session: AsyncSession, question_id: int, asker_id: int, now: datetime
    ) -> tuple[LegalQuestion, LegalBooking]:
        question = await session.get(LegalQuestion, question_id)
        if question is None:
            raise QuestionNotFound(str(question_id))
        if question.asker_id != asker_id:
            raise NotYours()
        rows = await session.exec(
            select(LegalBooking).where(
                LegalBooking.question_id == question_id, col(LegalBooking.slot_start) > now
            )
        )
        booking = rows.first()
        if booking is None:
            raise NoBooking()
        return question, booking

    async def remind(self, now: datetime) -> int:
        """Remind both sides of the consultations starting within a day; how many."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(LegalBooking, LegalQuestion)
                .join(LegalQuestion, col(LegalQuestion.id) == col(LegalBooking.question_id))
                .where(col(LegalBooking.reminded_at).is_(None))
                .where(col(LegalBooking.slot_start) > now)
                .where(col(LegalBooking.slot_start) <= now + REMIND_BEFORE)
            )
            due = list(rows)
            for booking, question in due:
                booking.reminded_at = now
                session.add(booking)
                for item in self.notices.reminder(question, booking):
                    self.outbox.add(session, item)
            await session.commit()
        return len(due)
