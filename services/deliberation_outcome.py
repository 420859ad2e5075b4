"""A consultation after its vote: the deadline closes it (the runner's minute round, with the
clock passed in), a reminder goes a day before, staff publish the decision with its reasons
(to everyone invited, to the tickets that raised it, onto the public board), mark it carried
out, and the participants rate it 1-5. Also the export for staff, and the monthly agenda.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from services.deliberation import (
    CLOSED,
    DECIDED,
    DONE,
    OPEN,
    TEXT_LIMIT,
    DeliberationError,
    DeliberationService,
    NotInvited,
    Tally,
    WrongStatus,
    moment,
)
from services.deliberation_live import changed
from services.models import (
    Consultation,
    ConsultationInvitee,
    ConsultationVote,
    Ticket,
    TicketEvent,
    as_utc,
)
from services.storage import Database

REMIND_BEFORE = timedelta(days=1)
OPEN_TICKETS = ("new", "taken", "reopened")
PUBLIC_SHOWN = 20


@dataclass(frozen=True)
class ExportRow:
    number: int  # "Resident 3"
    choice: int | None  # None when not chosen, or hidden before the deadline
    opinion: str
    voice: bool
    recorded_at: datetime


@dataclass(frozen=True)
class Export:
    consultation: Consultation
    rows: list[ExportRow]
    tally: Tally | None  # None while it is hidden
    hidden: bool


@dataclass(frozen=True)
class PublicDecision:
    question: str
    decision: str
    grids: list[str]
    decided_at: datetime
    carried_out: bool
    rating: float | None
    ratings: int
    minutes: bool


@dataclass(frozen=True)
class AgendaGrid:
    grid: str | None
    open_count: int
    new_this_month: int
    oldest: list[Ticket]


class DeliberationOutcome:
    """The second half of a consultation's life, on the same storage as DeliberationService."""

    def __init__(self, service: DeliberationService) -> None:
        self.service = service
        self.db, self.outbox, self.notices = service.db, service.outbox, service.notices

    async def close_due(self, now: datetime | None = None) -> int:
        """Close every consultation whose deadline has passed; staff get the final tally."""
        now = moment(now)
        closed = 0
        async with self.db.session() as session:
            due = await session.exec(
                select(Consultation)
                .where(Consultation.status == OPEN, col(Consultation.deadline) <= now)
                .with_for_update(skip_locked=True)
            )
            for consultation in due:
                consultation.status, consultation.closed_at = CLOSED, now
                session.add(consultation)
                tally = await self.service._tally(session, consultation)
                self.outbox.add(session, self.notices.closed(consultation, tally))
                closed += 1
            await session.commit()
        return closed

    async def remind_due(self, now: datetime | None = None) -> int:
        """A day before the deadline, once a round: those who have not chosen are reminded."""
        now = moment(now)
        reminded = 0
        async with self.db.session() as session:
            due = await session.exec(
                select(Consultation)
                .where(
                    Consultation.status == OPEN,
                    col(Consultation.deadline) > now,
                    col(Consultation.deadline) <= now + REMIND_BEFORE,
                    col(Consultation.reminded_round) < col(Consultation.round),
                )
                .with_for_update(skip_locked=True)
            )
            for consultation in due:
                consultation.reminded_round = consultation.round
                session.add(consultation)
                chose = select(ConsultationVote.voter_id).where(
                    ConsultationVote.consultation_id == consultation.id,
                    ConsultationVote.round == consultation.round,
                    col(ConsultationVote.choice).is_not(None),
                )
                waiting = await session.exec(
                    select(ConsultationInvitee).where(
                        ConsultationInvitee.consultation_id == consultation.id,
                        col(ConsultationInvitee.person_id).not_in(chose),
                    )
                )
                for invitee in waiting:
                    self.outbox.add(session, self.notices.reminder(consultation, invitee))
                    reminded += 1
            await session.commit()
        return reminded

    async def decide(
        self,
        consultation_id: int,
        decision: str,
        by: int,
        by_name: str,
        now: datetime | None = None,
    ) -> Consultation:
        """Publish the decision with its reasons: to everyone invited, on the tickets that
        raised it (a message to their reporters, a line in their history), on the board."""
        now = moment(now)
        words = decision.strip()
        if not words or len(words) > TEXT_LIMIT:
            raise DeliberationError("a decision is 1 to 2000 characters")
        async with self.db.session() as session:
            consultation = await self.service._get(session, consultation_id, lock=True)
            if consultation.status == OPEN and as_utc(consultation.deadline) <= now:
                consultation.status, consultation.closed_at = CLOSED, now  # runner not yet by
            if consultation.status != CLOSED:
                raise WrongStatus(consultation.status)
            consultation.status, consultation.decision = DECIDED, words
            consultation.decided_by, consultation.decided_at = by, now
            session.add(consultation)
            tally = await self.service._tally(session, consultation)
            tickets = list(
                await session.exec(
                    select(Ticket)
                    .where(col(Ticket.id).in_(consultation.ticket_ids))
                    .order_by(col(Ticket.id))
                )
            )
            invitees = await self.service._invitees(session, consultation)
            for invitee in invitees:  # a request's reporter was invited with it: told here
                numbers = [t.number for t in tickets if t.resident_id == invitee.person_id]
                self.outbox.add(
                    session, self.notices.decided(consultation, invitee, tally, numbers)
                )
            for ticket in tickets:
                assert ticket.id is not None
                session.add(
                    TicketEvent(
                        ticket_id=ticket.id,
                        actor_id=by,
                        actor_name=by_name,
                        kind="decided",
                        detail=words,
                        at=now,
                    )
                )
            await session.commit()
            await session.refresh(consultation)
            return consultation

    async def carried_out(self, consultation_id: int, now: datetime | None = None) -> Consultation:
        """Feedback when done: everyone invited is asked how satisfied they are (1-5)."""
        async with self.db.session() as session:
            consultation = await self.service._get(session, consultation_id, lock=True)
            if consultation.status != DECIDED:
                raise WrongStatus(consultation.status)
            consultation.status, consultation.carried_out_at = DONE, moment(now)
            session.add(consultation)
            for invitee in await self.service._invitees(session, consultation):
                self.outbox.add(session, self.notices.carried_out(consultation, invitee))
            await session.commit()
            await session.refresh(consultation)
            return consultation

    async def rate(self, consultation_id: int, person_id: int, stars: int) -> None:
        if not 1 <= stars <= 5:
            raise DeliberationError("1 to 5 stars")
        async with self.db.session() as session:
            consultation = await self.service._get(session, consultation_id)
            invitee = await session.get(ConsultationInvitee, (consultation_id, person_id))
            if invitee is None:
                raise NotInvited(str(person_id))
            if consultation.status != DONE:
                raise WrongStatus(consultation.status)
            invitee.rating = stars
            session.add(invitee)
            changed(consultation)  # the average, on its live message
            session.add(consultation)
            await session.commit()

    async def purge_opinions(self, decided_before: datetime) -> int:
        """People's own words are kept while they matter: once a consultation was decided
        longer ago than the retention period, its opinions (text and voice) are deleted, and
        the voices sent to staff are wiped from the outbox. The choices stay: they are the
        tally. Returns how many opinions were deleted."""
        purged = 0
        async with self.db.session() as session:
            decided = select(Consultation.id).where(
                col(Consultation.decided_at).is_not(None),
                col(Consultation.decided_at) < moment(decided_before),
            )
            votes = await session.exec(
                select(ConsultationVote).where(
                    col(ConsultationVote.consultation_id).in_(decided),
                    col(ConsultationVote.opinion_encrypted).is_not(None)
                    | col(ConsultationVote.voice_encrypted).is_not(None),
                )
            )
            touched: set[int] = set()
            for vote in votes:
                vote.opinion_encrypted = vote.voice_encrypted = None
                session.add(vote)
                touched.add(vote.consultation_id)
                purged += 1
            for consultation_id in touched:
                await self.outbox.wipe(session, f"consultation:{consultation_id}", sealed_only=True)
            await session.commit()
        return purged

    async def export(self, consultation_id: int, now: datetime | None = None) -> Export:
        """Every vote of the round by pseudonym. While the tally is hidden and the deadline
        has not passed, no choice and no count is in it: an export travels further than a
        chat."""
        now = moment(now)
        consultation = await self.service.get(consultation_id)
        hidden = (
            not consultation.show_tally
            and consultation.status == OPEN
            and as_utc(consultation.deadline) > now
        )
        rows = [
            ExportRow(
                o.number,
                None if hidden else o.choice,
                o.text or "",
                o.voice_file_id is not None,
                o.recorded_at,
            )
            for o in await self.service.opinions(consultation_id)
        ]
        tally = None if hidden else await self.service.tally(consultation_id)
        return Export(consultation, rows, tally, hidden)

    async def public_decisions(self, limit: int = PUBLIC_SHOWN) -> list[PublicDecision]:
        return await public_decisions(self.db, limit)

    async def agenda(self, grids: list[str], month_start: datetime) -> list[AgendaGrid]:
        """The month's joint meeting: per grid, the open tickets (count, the oldest three)
        and how many came in this month."""
        found: list[AgendaGrid] = []
        async with self.db.session() as session:
            for grid in grids:
                waiting = list(
                    await session.exec(
                        select(Ticket)
                        .where(Ticket.grid == grid, col(Ticket.status).in_(OPEN_TICKETS))
                        .order_by(col(Ticket.created_at))
                    )
                )
                new = (
                    await session.exec(
                        select(func.count()).where(
                            Ticket.grid == grid, col(Ticket.created_at) >= month_start
                        )
                    )
                ).one()
                found.append(AgendaGrid(grid, len(waiting), int(new), waiting[:3]))
        return found

    async def record_minutes(
        self,
        chat_id: int,
        by: int,
        title: str,
        minutes: str,
        grids: list[str],
        now: datetime | None = None,
    ) -> Consultation:
        """A monthly joint meeting's minutes, kept as a consultation's outcome (no vote)."""
        now = moment(now)
        words = minutes.strip()
        if not words or len(words) > TEXT_LIMIT:
            raise DeliberationError("minutes are 1 to 2000 characters")
        async with self.db.session() as session:
            consultation = Consultation(
                chat_id=chat_id,
                opened_by=by,
                question=title,
                options=[],
                grids=grids,
                deadline=now,
                status=DECIDED,
                minutes=True,
                closed_at=now,
                decision=words,
                decided_by=by,
                decided_at=now,
            )
            session.add(consultation)
            await session.commit()
            await session.refresh(consultation)
            return consultation


async def public_decisions(db: Database, limit: int = PUBLIC_SHOWN) -> list[PublicDecision]:
    """Decisions for the public board: the question, the decision, the satisfaction; no
    one's name or words but staff's."""
    async with db.session() as session:
        ratings = (
            select(
                ConsultationInvitee.consultation_id,
                func.avg(ConsultationInvitee.rating).label("average"),
                func.count(col(ConsultationInvitee.rating)).label("count"),
            )
            .group_by(col(ConsultationInvitee.consultation_id))
            .subquery()
        )
        rows = await session.exec(
            select(Consultation, ratings.c.average, ratings.c.count)
            .outerjoin(ratings, ratings.c.consultation_id == Consultation.id)
            .where(col(Consultation.status).in_((DECIDED, DONE)))
            .order_by(col(Consultation.decided_at).desc())
            .limit(limit)
        )
        return [
            PublicDecision(
                c.question,
                c.decision or "",
                list(c.grids),
                as_utc(c.decided_at or c.created_at),
                c.status == DONE,
                float(average) if average is not None else None,
                int(count or 0),
                c.minutes,
            )
            for c, average, count in rows
        ]
