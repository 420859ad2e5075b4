"""A consultation's records as the rest of deliberation reads them: its errors and values, the
tally and the opinions (decrypted, by pseudonym: "Resident 3", never a name), and what its
changes say (the DeliberationNotices the handlers render). services/deliberation.py votes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.models import (
    Consultation,
    ConsultationInvitee,
    ConsultationVote,
    as_utc,
    utcnow,
)
from services.outbox import Outbox, Outgoing
from services.privacy import FieldCipher
from services.storage import Database

MIN_OPTIONS, MAX_OPTIONS = 2, 6
QUESTION_LIMIT, OPTION_LIMIT, TEXT_LIMIT = 300, 60, 2000
OPEN, CLOSED, DECIDED, DONE = "open", "closed", "decided", "done"


class DeliberationError(Exception):
    """Something a person asked that the consultation's rules refuse; the type says what."""


class NotFound(DeliberationError):
    pass


class BadOptions(DeliberationError):
    """Not 2 to 6 options, or one empty or too long."""


class PastDeadline(DeliberationError):
    pass


class NoOneInvited(DeliberationError):
    """No resident of those grids or tickets has used Linkage."""


class NotInvited(DeliberationError):
    pass


class VotingClosed(DeliberationError):
    pass


class StaleRound(DeliberationError):
    """A ballot of an earlier round: a correction replaced it."""

    def __init__(self, current: int) -> None:
        super().__init__(f"round {current} replaced it")
        self.current = current


class Frozen(DeliberationError):
    """Votes are in: the question, options, electorate and deadline can change only by a new
    round."""


class WrongStatus(DeliberationError):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Draft:
    """A consultation as staff filled in the form."""

    chat_id: int
    opened_by: int
    question: str
    background: str
    options: list[str]
    grids: list[str]
    ticket_ids: list[int]
    deadline: datetime
    show_tally: bool


@dataclass(frozen=True)
class Tally:
    counts: list[int]  # per option, in the options' order
    voted: int
    invited: int


@dataclass(frozen=True)
class Receipt:
    """What a voter is told: their choice now (and before), when, and the tally if shown."""

    consultation: Consultation
    choice: int | None
    previous: int | None
    recorded_at: datetime
    tally: Tally | None


@dataclass(frozen=True)
class Opinion:
    number: int  # "Resident 3"
    choice: int | None
    text: str | None
    voice_file_id: str | None
    recorded_at: datetime


class DeliberationNotices(Protocol):
    """What a consultation's changes say, in each reader's language (handlers render it)."""

    def invitation(self, c: Consultation, invitee: ConsultationInvitee) -> Outgoing: ...

    def revised(self, c: Consultation, invitee: ConsultationInvitee, voided: bool) -> Outgoing: ...

    def voice_opinion(self, c: Consultation, number: int, file_id: str) -> Outgoing: ...

    def reminder(self, c: Consultation, invitee: ConsultationInvitee) -> Outgoing: ...

    def closed(self, c: Consultation, tally: Tally) -> Outgoing: ...

    def decided(
        self, c: Consultation, invitee: ConsultationInvitee, tally: Tally, numbers: list[str]
    ) -> Outgoing: ...

    def carried_out(self, c: Consultation, invitee: ConsultationInvitee) -> Outgoing: ...


def moment(now: datetime | None) -> datetime:
    """A time as stored and compared: UTC (SQLite keeps no offset), now when not given."""
    return as_utc(now or utcnow()).astimezone(UTC)


def check_options(lines: Sequence[str]) -> list[str]:
    """The options as given, one a line: 2 to 6, none empty or longer than 60 characters."""
    options = [line.strip() for line in lines if line.strip()]
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise BadOptions(f"{len(options)} options")
    if any(len(option) > OPTION_LIMIT for option in options):
        raise BadOptions("an option is too long")
    return options


def check_deadline(deadline: datetime, now: datetime) -> datetime:
    if as_utc(deadline) <= as_utc(now):
        raise PastDeadline(deadline.isoformat())
    return deadline


class ConsultationRecords:
    """Reading a consultation; DeliberationService and DeliberationOutcome build on it."""

    def __init__(
        self, db: Database, outbox: Outbox, cipher: FieldCipher, notices: DeliberationNotices
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.cipher = cipher
        self.notices = notices

    async def get(self, consultation_id: int) -> Consultation:
        async with self.db.session() as session:
            return await self._get(session, consultation_id)

    async def tally(self, consultation_id: int) -> Tally:
        async with self.db.session() as session:
            return await self._tally(session, await self._get(session, consultation_id))

    async def is_frozen(self, consultation_id: int) -> bool:
        """The round's first choice is in."""
        async with self.db.session() as session:
            return await self._has_choices(session, await self._get(session, consultation_id))

    async def opinions(self, consultation_id: int) -> list[Opinion]:
        """This round's votes with opinions decrypted, by pseudonym; never who the person is."""
        async with self.db.session() as session:
            consultation = await self._get(session, consultation_id)
            rows = await session.exec(
                select(ConsultationVote, ConsultationInvitee.number)
                .join(
                    ConsultationInvitee,
                    (col(ConsultationInvitee.consultation_id) == ConsultationVote.consultation_id)
                    & (col(ConsultationInvitee.person_id) == ConsultationVote.voter_id),
                )
                .where(
                    ConsultationVote.consultation_id == consultation_id,
                    ConsultationVote.round == consultation.round,
                )
                .order_by(col(ConsultationInvitee.number))
            )
            return [
                Opinion(
                    number,
                    vote.choice,
                    self.cipher.decrypt(vote.opinion_encrypted) if vote.opinion_encrypted else None,
                    self.cipher.decrypt(vote.voice_encrypted) if vote.voice_encrypted else None,
                    as_utc(vote.recorded_at),
                )
                for vote, number in rows
            ]

    async def average_rating(self, consultation_id: int) -> tuple[float | None, int]:
        async with self.db.session() as session:
            average, count = (
                await session.exec(
                    select(
                        func.avg(ConsultationInvitee.rating),
                        func.count(col(ConsultationInvitee.rating)),
                    ).where(ConsultationInvitee.consultation_id == consultation_id)
                )
            ).one()
            return (float(average) if average is not None else None), int(count)

    async def _get(
        self, session: AsyncSession, consultation_id: int, lock: bool = False
    ) -> Consultation:
        query = select(Consultation).where(Consultation.id == consultation_id)
        found = (await session.exec(query.with_for_update() if lock else query)).first()
        if found is None:
            raise NotFound(str(consultation_id))
        return found

    async def _invitees(
        self, session: AsyncSession, consultation: Consultation
    ) -> list[ConsultationInvitee]:
        rows = await session.exec(
            select(ConsultationInvitee)
            .where(ConsultationInvitee.consultation_id == consultation.id)
            .order_by(col(ConsultationInvitee.number))
        )
        return list(rows)

    async def _has_choices(self, session: AsyncSession, consultation: Consultation) -> bool:
        found = await session.exec(
            select(ConsultationVote.id).where(
                ConsultationVote.consultation_id == consultation.id,
                ConsultationVote.round == consultation.round,
                col(ConsultationVote.choice).is_not(None),
            )
        )
        return found.first() is not None

    async def _tally(self, session: AsyncSession, consultation: Consultation) -> Tally:
        counts = [0] * len(consultation.options)
        rows = await session.exec(
            select(ConsultationVote.choice, func.count())
            .where(
                ConsultationVote.consultation_id == consultation.id,
                ConsultationVote.round == consultation.round,
                col(ConsultationVote.choice).is_not(None),
            )
            .group_by(col(ConsultationVote.choice))
        )
        for choice, count in rows:
            if choice is not None and 0 <= choice < len(counts):
                counts[choice] = int(count)
        invited = (
            await session.exec(
                select(func.count()).where(ConsultationInvitee.consultation_id == consultation.id)
            )
        ).one()
        return Tally(counts, sum(counts), int(invited))
