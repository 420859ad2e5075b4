"""Deliberation (Qianjin village, Nanhu): "consultation when a complaint comes, handling once
agreed, feedback when done".

Staff open a consultation: a question, options, the residents of some grids who have used
Linkage (and the people of the tickets that raised it), and a deadline. Each invited person has
one voice per round (a unique index): a choice and an opinion, both changeable until the
deadline. The first choice of a round freezes it; a correction opens the next round and the
earlier round's votes no longer count. What happens at and after the deadline (closing, the
decision, feedback) is in services/deliberation_outcome.py.

The caller has asked services/authorization who may act; this module keeps the rules of the
vote itself. Opinions are people's own words: encrypted at rest (services.privacy).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.deliberation_live import changed
from services.deliberation_records import (
    CLOSED,
    DECIDED,
    DONE,
    OPEN,
    QUESTION_LIMIT,
    TEXT_LIMIT,
    BadOptions,
    ConsultationRecords,
    DeliberationError,
    DeliberationNotices,
    Draft,
    Frozen,
    NoOneInvited,
    NotFound,
    NotInvited,
    Opinion,
    PastDeadline,
    Receipt,
    StaleRound,
    Tally,
    VotingClosed,
    WrongStatus,
    check_deadline,
    check_options,
    moment,
)
from services.models import (
    Consultation,
    ConsultationInvitee,
    ConsultationVote,
    Person,
    Ticket,
    TicketSubscriber,
    as_utc,
    utcnow,
)

__all__ = [
    "CLOSED",
    "DECIDED",
    "DONE",
    "OPEN",
    "QUESTION_LIMIT",
    "TEXT_LIMIT",
    "BadOptions",
    "ConsultationRecords",
    "DeliberationError",
    "DeliberationNotices",
    "DeliberationService",
    "Draft",
    "Frozen",
    "NoOneInvited",
    "NotFound",
    "NotInvited",
    "Opinion",
    "PastDeadline",
    "Receipt",
    "StaleRound",
    "Tally",
    "VotingClosed",
    "WrongStatus",
    "check_deadline",
    "check_options",
    "moment",
]


class DeliberationService(ConsultationRecords):
    """Opening, correcting and voting; the reading is ConsultationRecords'."""

    # --- opening and correcting --------------------------------------------------------------

    async def open(self, draft: Draft, now: datetime | None = None) -> Consultation:
        """Store the consultation and invite everyone, in one transaction."""
        _checked(draft, now or utcnow())
        async with self.db.session() as session:
            electorate = await self._electorate(session, draft.grids, draft.ticket_ids)
            if not electorate:
                raise NoOneInvited(",".join(draft.grids))
            consultation = Consultation(
                chat_id=draft.chat_id,
                opened_by=draft.opened_by,
                question=draft.question.strip(),
                background=draft.background.strip(),
                options=draft.options,
                grids=draft.grids,
                ticket_ids=draft.ticket_ids,
                deadline=as_utc(draft.deadline).astimezone(UTC),  # SQLite keeps no offset
                show_tally=draft.show_tally,
            )
            session.add(consultation)
            await session.flush()
            assert consultation.id is not None
            for number, (person, locale) in enumerate(electorate.items(), start=1):
                invitee = ConsultationInvitee(
                    consultation_id=consultation.id, person_id=person, number=number, locale=locale
                )
                session.add(invitee)
                self.outbox.add(session, self.notices.invitation(consultation, invitee))
            await session.commit()
            await session.refresh(consultation)
            return consultation

    async def revise(
        self, consultation_id: int, draft: Draft, new_round: bool, now: datetime | None = None
    ) -> Consultation:
        """Change the question, options, electorate or deadline.

        Before the round's first choice it is changed in place (everyone is told); after it,
        only as a new round (`new_round`), which voids the earlier round's votes and says so.
        """
        _checked(draft, now or utcnow())
        async with self.db.session() as session:
            consultation = await self._get(session, consultation_id, lock=True)
            if consultation.status != OPEN:
                raise WrongStatus(consultation.status)
            voided = await self._has_choices(session, consultation)
            if voided and not new_round:
                raise Frozen(str(consultation_id))
            if voided:
                consultation.round += 1
            consultation.question, consultation.background = draft.question, draft.background
            consultation.options, consultation.grids = draft.options, draft.grids
            consultation.ticket_ids, consultation.deadline = (
                draft.ticket_ids,
                as_utc(draft.deadline).astimezone(UTC),
            )
            consultation.show_tally = draft.show_tally
            session.add(consultation)
            invitees = {i.person_id: i for i in await self._invitees(session, consultation)}
            electorate = await self._electorate(session, draft.grids, draft.ticket_ids)
            number = max((i.number for i in invitees.values()), default=0)
            for person, locale in electorate.items():
                if person not in invitees:  # everyone invited before stays invited
                    number += 1
                    invitees[person] = ConsultationInvitee(
                        consultation_id=consultation_id,
                        person_id=person,
                        number=number,
                        locale=locale,
                    )
                    session.add(invitees[person])
            for invitee in invitees.values():
                self.outbox.add(session, self.notices.revised(consultation, invitee, voided))
            await session.commit()
            await session.refresh(consultation)
            return consultation

    async def _electorate(
        self, session: AsyncSession, grids: Sequence[str], ticket_ids: Sequence[int]
    ) -> dict[int, str]:
        """Person → language: the residents whose tickets were in those grids, and the people
        of the tickets named (their reporters and those who said "mine too")."""
        found: dict[int, str] = {}
        tickets = (
            select(Ticket.resident_id, Ticket.resident_locale)
            .where(col(Ticket.grid).in_(list(grids)) | col(Ticket.id).in_(list(ticket_ids)))
            .order_by(col(Ticket.id))
        )
        for resident, locale in await session.exec(tickets):
            found.setdefault(resident, locale)
        if ticket_ids:
            joined = select(TicketSubscriber.resident_id, TicketSubscriber.resident_locale).where(
                col(TicketSubscriber.ticket_id).in_(list(ticket_ids))
            )
            for resident, locale in await session.exec(joined):
                found.setdefault(resident, locale)
        if found:  # the language they use with the bot now, where known
            people = await session.exec(
                select(Person).where(col(Person.telegram_id).in_(list(found)))
            )
            for person in people:
                if person.locale:
                    found[person.telegram_id] = person.locale
        return found

    # --- voting --------------------------------------------------------------------------------

    async def choose(
        self,
        consultation_id: int,
        round_: int,
        person_id: int,
        option: int,
        now: datetime | None = None,
    ) -> Receipt:
        """Record (or change) a person's choice; one row per person per round."""
        now = moment(now)
        for attempt in (1, 2):  # two presses at once: the unique index lets one insert
            try:
                async with self.db.session() as session:
                    consultation, vote = await self._ballot(
                        session, consultation_id, round_, person_id, now
                    )
                    if not 0 <= option < len(consultation.options):
                        raise NotFound(f"option {option}")
                    previous = vote.choice
                    vote.choice, vote.recorded_at = option, now
                    session.add(vote)
                    changed(consultation)  # its live message in the staff chat
                    session.add(consultation)
                    await session.commit()
                    tally = (
                        await self._tally(session, consultation)
                        if consultation.show_tally
                        else None
                    )
                    return Receipt(consultation, option, previous, now, tally)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def opine(
        self,
        consultation_id: int,
        person_id: int,
        text: str | None,
        voice_file_id: str | None,
        now: datetime | None = None,
    ) -> Receipt:
        """Record (or replace) a person's opinion, text or voice; staff hear a voice at once."""
        now = moment(now)
        for attempt in (1, 2):
            try:
                async with self.db.session() as session:
                    current = await self._get(session, consultation_id)
                    consultation, vote = await self._ballot(
                        session, consultation_id, current.round, person_id, now
                    )
                    words = (text or "").strip()[:TEXT_LIMIT]
                    vote.opinion_encrypted = self.cipher.encrypt(words) if words else None
                    vote.voice_encrypted = (
                        self.cipher.encrypt(voice_file_id) if voice_file_id else None
                    )
                    session.add(vote)
                    changed(consultation)
                    session.add(consultation)
                    if voice_file_id:
                        invitee = await session.get(
                            ConsultationInvitee, (consultation_id, person_id)
                        )
                        assert invitee is not None
                        self.outbox.add(
                            session,
                            self.notices.voice_opinion(consultation, invitee.number, voice_file_id),
                        )
                    await session.commit()
                    return Receipt(consultation, vote.choice, vote.choice, now, None)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def check_voter(
        self, consultation: Consultation, person_id: int, now: datetime | None = None
    ) -> None:
        """Raise unless this person may vote or speak in it now."""
        async with self.db.session() as session:
            assert consultation.id is not None
            if await session.get(ConsultationInvitee, (consultation.id, person_id)) is None:
                raise NotInvited(str(person_id))
        if consultation.status != OPEN or as_utc(consultation.deadline) <= as_utc(now or utcnow()):
            raise VotingClosed(str(consultation.id))

    async def _ballot(
        self,
        session: AsyncSession,
        consultation_id: int,
        round_: int,
        person_id: int,
        now: datetime,
    ) -> tuple[Consultation, ConsultationVote]:
        """The consultation and this person's vote row of the round, if they may vote now."""
        consultation = await self._get(session, consultation_id)
        if await session.get(ConsultationInvitee, (consultation_id, person_id)) is None:
            raise NotInvited(str(person_id))
        if consultation.status != OPEN or as_utc(consultation.deadline) <= as_utc(now):
            raise VotingClosed(str(consultation_id))
        if round_ != consultation.round:
            raise StaleRound(consultation.round)
        vote = (
            await session.exec(
                select(ConsultationVote).where(
                    ConsultationVote.consultation_id == consultation_id,
                    ConsultationVote.round == round_,
                    ConsultationVote.voter_id == person_id,
                )
            )
        ).first()
        if vote is None:
            vote = ConsultationVote(
                consultation_id=consultation_id, round=round_, voter_id=person_id
            )
        return consultation, vote


def _checked(draft: Draft, now: datetime) -> None:
    if not draft.question.strip() or len(draft.question) > QUESTION_LIMIT:
        raise DeliberationError("a question is 1 to 300 characters")
    check_options(draft.options)
    check_deadline(draft.deadline, now)
