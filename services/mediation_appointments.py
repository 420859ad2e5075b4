"""Sessions: the mediator offers times, the applicant books one, reminders before it.

Which of two presses at the same moment gets a time is the database's to say: an organisation's
time is unique (`uq_mediation_appointment_slot`) and a case has one appointment, so the second
insert fails and its person is told the time was just taken. Moving is deleting and inserting
in one transaction: if the new time is taken, the old booking stays.

Reminders go the day before and an hour before, from the bot's once-a-minute round (`remind`
takes the moment, so a test can move the clock). Each is marked sent by a conditional update in
the transaction that writes it, so two processes never both send one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from services.mediation import ACCEPTED, CaseNotFound, MediationService, WrongState
from services.mediation_models import MediationAppointment, MediationCase
from services.models import as_utc, utcnow
from services.outbox import Outgoing

DAY_BEFORE = timedelta(days=1)
HOUR_BEFORE = timedelta(hours=1)
MAX_OFFERED = 6


class SlotTaken(Exception):
    """Someone booked this time a moment earlier."""


class AppointmentNotices(Protocol):
    def offered(self, case: MediationCase, times: Sequence[datetime]) -> list[Outgoing]: ...
    def booked(self, case: MediationCase, starts_at: datetime, moved: bool) -> list[Outgoing]: ...
    def cancelled(self, case: MediationCase, starts_at: datetime) -> list[Outgoing]: ...
    def reminder(
        self, case: MediationCase, starts_at: datetime, meeting_url: str | None, hour: bool
    ) -> list[Outgoing]: ...


class MediationAppointments:
    def __init__(
        self, cases: MediationService, notices: AppointmentNotices, meeting_url: str | None
    ) -> None:
        self.cases = cases
        self.notices = notices
        self.meeting_url = meeting_url  # e.g. https://meet.example.org/linkage-{case}

    def meeting_link(self, case: MediationCase) -> str | None:
        return self.meeting_url.format(case=case.number) if self.meeting_url else None

    async def offer(
        self, case_id: int, actor_id: int, times: Sequence[datetime], now: datetime | None = None
    ) -> MediationCase:
        """Times in the future, earliest first, replace those offered before."""
        now = now or utcnow()
        chosen = sorted({t.astimezone(UTC) for t in times if t > now})[:MAX_OFFERED]
        if not chosen:
            raise ValueError("no time in the future")
        async with self.cases.db.session() as session:
            case = await self.cases._get(session, case_id)
            if case.status != ACCEPTED:
                raise WrongState(case)
            case.offered = [t.isoformat() for t in chosen]
            detail = ", ".join(t.isoformat() for t in chosen)
            self.cases.record(session, case, "times_offered", actor_id, detail)
            self.cases.notify(session, self.notices.offered(case, chosen))
            return await self.cases._commit(session, case)

    async def book(self, case_id: int, resident_id: int, index: int) -> MediationAppointment:
        """The applicant takes one of the offered times (moving an earlier booking)."""
        async with self.cases.db.session() as session:
            case = await self.cases._get(session, case_id)
            if case.resident_id != resident_id:
                raise CaseNotFound(case_id)
            if case.status != ACCEPTED or not 0 <= index < len(case.offered):
                raise WrongState(case)
            assert case.id is not None and case.org_code is not None
            starts_at = datetime.fromisoformat(case.offered[index]).astimezone(UTC)
            moved = (
                await session.exec(
                    delete(MediationAppointment).where(col(MediationAppointment.case_id) == case.id)
                )
            ).rowcount > 0
            appointment = MediationAppointment(
                case_id=case.id, org_code=case.org_code, starts_at=starts_at
            )
            session.add(appointment)
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                raise SlotTaken() from None
            self.cases.record(session, case, "booked", resident_id, starts_at.isoformat())
            self.cases.notify(session, self.notices.booked(case, starts_at, moved))
            await self.cases._commit(session, case)
            return appointment

    async def cancel(self, case_id: int, resident_id: int) -> MediationCase:
        async with self.cases.db.session() as session:
            case = await self.cases._get(session, case_id)
            if case.resident_id != resident_id:
                raise CaseNotFound(case_id)
            rows = await session.exec(
                select(MediationAppointment).where(MediationAppointment.case_id == case.id)
            )
            appointment = rows.first()
            if appointment is None:
                raise WrongState(case)
            starts_at = as_utc(appointment.starts_at)
            await session.delete(appointment)
            self.cases.record(session, case, "cancelled", resident_id, starts_at.isoformat())
            self.cases.notify(session, self.notices.cancelled(case, starts_at))
            return await self.cases._commit(session, case)

    async def remind(self, now: datetime) -> int:
        """The reminders due at `now`: the day before, and an hour before. How many sent."""
        now = now.astimezone(UTC)
        sent = 0
        async with self.cases.db.session() as session:
            rows = await session.exec(
                select(MediationAppointment, MediationCase)
                .join(MediationCase, col(MediationCase.id) == col(MediationAppointment.case_id))
                .where(col(MediationAppointment.starts_at) > now)
                .where(col(MediationAppointment.starts_at) <= now + DAY_BEFORE)
                .where(col(MediationCase.status) == ACCEPTED)
                .where(
                    (col(MediationAppointment.reminded_hour).is_(False))
                    | (col(MediationAppointment.reminded_day).is_(False))
                )
            )
            for appointment, case in rows.all():
                starts_at = as_utc(appointment.starts_at)
                hour = starts_at - now <= HOUR_BEFORE
                if not hour and appointment.reminded_day:
                    continue
                if hour and appointment.reminded_hour:
                    continue
                flag = (
                    col(MediationAppointment.reminded_hour)
                    if hour
                    else col(MediationAppointment.reminded_day)
                )
                values = (
                    {"reminded_hour": True, "reminded_day": True}
                    if hour
                    else {"reminded_day": True}
                )
                marked = await session.exec(
                    update(MediationAppointment)
                    .where(col(MediationAppointment.id) == appointment.id)
                    .where(flag.is_(False))
                    .values(**values)
                )
                if marked.rowcount != 1:
                    continue
                link = self.meeting_link(case)
                self.cases.notify(session, self.notices.reminder(case, starts_at, link, hour))
                self.cases.record(session, case, "reminded", None, "hour" if hour else "day")
                sent += 1
            await session.commit()
        return sent
