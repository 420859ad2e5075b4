"""How a case ends: settled (a signed agreement to both parties), referred to the court (the
case file as a PDF), or withdrawn; then judicial confirmation and the applicant's rating.

Personal data is purged `retention` after a case closed: the names, contact, account, claim and
terms are forgotten (the events and figures stay; the agreement's QR still verifies, as its
token names no one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.keyring import KeyRing
from services.mediation import (
    ACCEPTED,
    CLOSED_STATES,
    OPEN_STATES,
    REFERRED,
    SETTLED,
    WITHDRAWN,
    CaseNotFound,
    MediationService,
    Opened,
    WrongState,
)
from services.mediation_agreement import AgreementClaims, sign_agreement, terms_digest
from services.mediation_models import (
    MediationAppointment,
    MediationCase,
    MediationEvent,
    MediationEvidence,
)
from services.models import utcnow
from services.outbox import Outgoing

TERMS_LIMIT = 3500


@dataclass(frozen=True)
class Agreement:
    serial: str
    token: str
    url: str


class OutcomeNotices(Protocol):
    def settled(
        self, case: MediationCase, opened: Opened, agreement: Agreement
    ) -> list[Outgoing]: ...
    def referred(
        self, case: MediationCase, opened: Opened, events: Sequence[MediationEvent], note: str
    ) -> list[Outgoing]: ...
    def withdrawn(self, case: MediationCase, by_resident: bool) -> list[Outgoing]: ...
    def judicial(self, case: MediationCase, day: date) -> list[Outgoing]: ...
    def rated(self, case: MediationCase) -> list[Outgoing]: ...


class MediationOutcomes:
    def __init__(
        self,
        cases: MediationService,
        keys: KeyRing,
        base_url: str,
        notices: OutcomeNotices,
        today: Callable[[datetime], date],
    ) -> None:
        self.cases = cases
        self.keys = keys
        self.base_url = base_url.rstrip("/")
        self.notices = notices
        self.today = today  # the calendar day in China of a moment

    def verify_url(self, token: str) -> str:
        return f"{self.base_url}/v/agreement/{token}"

    async def settle(self, case_id: int, actor_id: int, terms: str) -> MediationCase:
        terms = terms.strip()[:TERMS_LIMIT]
        if not terms:
            raise ValueError("the terms are empty")
        async with self.cases.db.session() as session:
            case = await self.cases._get(session, case_id)
            if case.status != ACCEPTED:
                raise WrongState(case)
            now = utcnow()
            case.status, case.closed_at = SETTLED, now
            case.terms_encrypted = self.cases.cipher.encrypt(terms)
            case.agreement_serial = f"MA{now.year}-{case.id:06d}"
            claims = AgreementClaims(
                case.agreement_serial,
                case.number,
                case.org_code or "street-office",
                self.today(now),
                terms_digest(terms),
            )
            token = sign_agreement(self.keys, claims)
            agreement = Agreement(case.agreement_serial, token, self.verify_url(token))
            self.cases.record(session, case, "settled", actor_id, case.agreement_serial)
            self.cases.notify(session, self.notices.settled(case, self.cases.open(case), agreement))
            await self._drop_appointment(session, case)
            return await self.cases._commit(session, case)

    async def refer(self, case_id: int, actor_id: int, note: str) -> MediationCase:
        """Not settled: the case goes to the court, its file as a PDF to the applicant."""
        async with self.cases.db.session() as session:
            case = await self.cases._get(session, case_id)
            if case.status not in OPEN_STATES:
                raise WrongState(case)
            case.status, case.closed_at = REFERRED, utcnow()
            self.cases.record(session, case, "referred", actor_id, note[:500])
            await session.flush()
            events = list(
                await session.exec(
                    select(MediationEvent)
                    .where(MediationEvent.case_id == case.id)
                    .order_by(col(MediationEvent.id))
                )
            )
            opened = self.cases.open(case)
            self.cases.notify(session, self.notices.referred(case, opened, events, note[:500]))
            await self._drop_appointment(session, case)
            return await self.cases._commit(session, case)

    async def withdraw(self, case_id: int, actor_id: int, *, by_resident: bool) -> MediationCase:
        async with self.cases.db.session() as session:
            case = await self.cases._get(session, case_id)
            if by_resident and case.resident_id != actor_id:
                raise CaseNotFound(case_id)
            if case.status not in OPEN_STATES:
                raise WrongState(case)
            case.status, case.closed_at = WITHDRAWN, utcnow()
            self.cases.record(session, case, "withdrawn", actor_id, "")
            self.cases.notify(session, self.notices.withdrawn(case, by_resident))
            await self._drop_appointment(session, case)
            return await self.cases._commit(session, case)

    async def judicial_confirmation(self, case_id: int, actor_id: int, day: date) -> MediationCase:
        """The parties asked the court to confirm the agreement (recorded with its date)."""
        async with self.cases.db.session() as session:
            case = await self.cases._get(session, case_id)
            if case.status != SETTLED:
                raise WrongState(case)
            case.judicial_requested_on = day
            self.cases.record(session, case, "judicial_requested", actor_id, day.isoformat())
            self.cases.notify(session, self.notices.judicial(case, day))
            return await self.cases._commit(session, case)

    async def rate(self, case_id: int, resident_id: int, stars: int) -> MediationCase:
        if not 1 <= stars <= 5:
            raise ValueError("a rating is 1 to 5")
        async with self.cases.db.session() as session:
            case = await self.cases._get(session, case_id)
            if case.resident_id != resident_id:
                raise CaseNotFound(case_id)
            if case.status not in CLOSED_STATES or case.rating is not None:
                raise WrongState(case)
            case.rating = stars
            self.cases.record(session, case, "rated", resident_id, str(stars))
            self.cases.notify(session, self.notices.rated(case))
            return await self.cases._commit(session, case)

    async def purge_personal_data(self, closed_before: datetime) -> int:
        """Forget the personal data of cases closed before the moment. How many."""
        async with self.cases.db.session() as session:
            rows = await session.exec(
                select(MediationCase)
                .where(col(MediationCase.status).in_(CLOSED_STATES))
                .where(col(MediationCase.closed_at) < closed_before)
                .where(col(MediationCase.purged_at).is_(None))
            )
            purged = 0
            for case in rows.all():
                case.resident_name_encrypted = case.other_name_encrypted = None
                case.other_contact_encrypted = case.account_encrypted = None
                case.claim_encrypted = case.terms_encrypted = None
                case.purged_at = utcnow()
                session.add(case)
                await self._forget_words(session, case)
                await self.cases.outbox.wipe(session, f"mediation:{case.id}", sealed_only=True)
                purged += 1
            await session.commit()
            return purged

    @staticmethod
    async def _forget_words(session: AsyncSession, case: MediationCase) -> None:
        """What people wrote into a case's steps (a reason, the evidence asked for, a note) and
        its evidence files (a name can name someone; the file can show them) go with it."""
        await session.exec(
            update(MediationEvidence)
            .where(col(MediationEvidence.case_id) == case.id)
            .values(file_id="", file_name=None)
        )
        events = await session.exec(
            select(MediationEvent)
            .where(MediationEvent.case_id == case.id)
            .where(col(MediationEvent.kind).in_(("declined", "evidence_asked", "referred")))
        )
        for event in events.all():
            event.detail = event.detail.partition(": ")[0] if event.kind == "declined" else ""
            session.add(event)

    @staticmethod
    async def _drop_appointment(session: AsyncSession, case: MediationCase) -> None:
        """A closed case frees its booked time for another."""
        rows = await session.exec(
            select(MediationAppointment).where(MediationAppointment.case_id == case.id)
        )
        for appointment in rows.all():
            await session.delete(appointment)
