"""Mediation cases: filed with evidence, routed to an organisation, accepted or passed on.

The case's lifecycle lives here; booking a session is services/mediation_appointments.py, the
outcome (settled, referred, withdrawn) services/mediation_outcomes.py. Every step is a
MediationEvent in the same transaction as the change, and every message it causes is an
outbox notification written there too (services.outbox). Personal data (the applicant's name,
the other party's name and contact, the account and the claim, the agreed terms) is encrypted
at rest with the data key and the notifications that carry it are sealed.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.mediation_models import (
    MediationAppointment,
    MediationCase,
    MediationEvent,
    MediationEvidence,
)
from services.mediation_routing import KINDS, MediationDirectory, Organisation
from services.models import utcnow
from services.outbox import Outbox, Outgoing
from services.privacy import FieldCipher
from services.storage import Database

FILED, ACCEPTED, SETTLED, REFERRED, WITHDRAWN, STREET_OFFICE = (
    "filed",
    "accepted",
    "settled",
    "referred",
    "withdrawn",
    "street_office",
)
OPEN_STATES = (FILED, ACCEPTED, STREET_OFFICE)
CLOSED_STATES = (SETTLED, REFERRED, WITHDRAWN)
TEXT_LIMIT = 2000
INVITE_PREFIX = "mc-"  # /start mc-…: the other party's invitation (not a role invitation)


class UnknownKind(ValueError):
    def __init__(self, kind: str) -> None:
        super().__init__(f"unknown kind of dispute {kind!r}")
        self.kind = kind


class CaseNotFound(LookupError):
    pass


class WrongState(Exception):
    """The case is not where this step can happen (already accepted, closed…)."""

    def __init__(self, case: MediationCase) -> None:
        super().__init__(f"case {case.number} is {case.status}")
        self.case = case


@dataclass(frozen=True)
class EvidenceFile:
    kind: str  # photo, document, voice
    file_id: str
    size: int
    added_at: datetime
    file_name: str | None = None


@dataclass(frozen=True)
class CaseDraft:
    """What the applicant told the form."""

    resident_id: int
    resident_name: str
    resident_locale: str
    kind: str
    other_name: str
    other_contact: str | None
    account: str
    claim: str
    evidence: tuple[EvidenceFile, ...] = ()
    grid: str | None = None
    community: str | None = None
    ticket_id: int | None = None
    intake_key: str | None = None


@dataclass(frozen=True)
class Opened:
    """A case's personal data, decrypted for a message that needs it."""

    resident_name: str
    other_name: str
    other_contact: str | None
    account: str
    claim: str
    terms: str | None


class MediationNotices(Protocol):
    """What each step says, and to whom, as outbox notifications (handlers render them)."""

    def card(
        self, case: MediationCase, opened: Opened, evidence: Sequence[MediationEvidence]
    ) -> list[Outgoing]: ...
    def accepted(self, case: MediationCase, invite_link: str) -> list[Outgoing]: ...
    def declined(self, case: MediationCase, previous: str, reason: str) -> list[Outgoing]: ...
    def more_evidence(self, case: MediationCase, what: str) -> list[Outgoing]: ...
    def evidence_added(
        self, case: MediationCase, evidence: Sequence[MediationEvidence]
    ) -> list[Outgoing]: ...
    def other_confirmed(self, case: MediationCase) -> list[Outgoing]: ...


class MediationService:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        cipher: FieldCipher,
        directory: MediationDirectory,
        notices: MediationNotices,
        street_office_chat_id: int | None,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.cipher = cipher
        self.directory = directory
        self.notices = notices
        self.street_office_chat_id = street_office_chat_id

    # filing

    async def file(self, draft: CaseDraft) -> MediationCase:
        """A new case, routed to the first organisation that fits; the same form files once."""
        if draft.kind not in KINDS:
            raise UnknownKind(draft.kind)
        if draft.intake_key and (found := await self._by_intake(draft.intake_key)):
            return found
        organisation = self.directory.next_for(draft.kind, draft.grid, draft.community, ())
        seal = self.cipher.encrypt
        case = MediationCase(
            resident_id=draft.resident_id,
            resident_locale=draft.resident_locale,
            resident_name_encrypted=seal(draft.resident_name),
            kind=draft.kind,
            other_name_encrypted=seal(draft.other_name),
            other_contact_encrypted=seal(draft.other_contact) if draft.other_contact else None,
            account_encrypted=seal(draft.account[:TEXT_LIMIT]),
            claim_encrypted=seal(draft.claim[:TEXT_LIMIT]),
            ticket_id=draft.ticket_id,
            grid=draft.grid,
            community=draft.community,
            intake_key=draft.intake_key,
            invite_code=INVITE_PREFIX + secrets.token_urlsafe(15),
        )
        self._route(case, organisation)
        try:
            async with self.db.session() as session:
                session.add(case)
                await session.flush()
                assert case.id is not None
                case.number = f"M{case.created_at.year}-{case.id:06d}"
                evidence = [
                    MediationEvidence(
                        case_id=case.id,
                        kind=item.kind,
                        file_id=item.file_id,
                        file_name=item.file_name,
                        size=item.size,
                        added_at=item.added_at,
                    )
                    for item in draft.evidence
                ]
                session.add_all(evidence)
                self.record(session, case, "filed", draft.resident_id, draft.kind)
                if case.org_code:
                    self.record(session, case, "routed", None, case.org_code)
                self.notify(session, self.notices.card(case, self.open(case), evidence))
                await session.commit()
                return case
        except IntegrityError:  # the same form submitted twice at once: the first one's case
            if draft.intake_key and (found := await self._by_intake(draft.intake_key)):
                return found
            raise

    def _route(self, case: MediationCase, organisation: Organisation | None) -> None:
        if organisation is None:
            case.org_code, case.org_chat_id, case.status = (
                None,
                self.street_office_chat_id,
                (STREET_OFFICE),
            )
        else:
            case.org_code, case.org_chat_id = organisation.code, organisation.chat_id

    # the organisation's answer

    async def accept(self, case_id: int, actor_id: int, invite_link: str) -> MediationCase:
        async with self.db.session() as session:
            case = await self._get(session, case_id)
            if case.status not in (FILED, STREET_OFFICE):
                raise WrongState(case)
            case.status, case.accepted_at = ACCEPTED, utcnow()
            self.record(session, case, "accepted", actor_id, case.org_code or "")
            self.notify(session, self.notices.accepted(case, invite_link))
            return await self._commit(session, case)

    async def decline(self, case_id: int, actor_id: int, reason: str) -> MediationCase:
        """Passed to the next organisation that takes the kind in the applicant's area (stored
        on the case), else to the street office."""
        async with self.db.session() as session:
            case = await self._get(session, case_id)
            if case.status != FILED or case.org_code is None:
                raise WrongState(case)
            previous = case.org_code
            case.declined_by = [*case.declined_by, previous]
            self.record(session, case, "declined", actor_id, f"{previous}: {reason[:500]}")
            following = self.directory.next_for(
                case.kind, case.grid, case.community, case.declined_by
            )
            self._route(case, following)
            self.record(session, case, "routed", None, case.org_code or STREET_OFFICE)
            evidence = await self._evidence(session, case)
            self.notify(session, self.notices.declined(case, previous, reason[:500]))
            self.notify(session, self.notices.card(case, self.open(case), evidence))
            return await self._commit(session, case)

    async def ask_for_evidence(self, case_id: int, actor_id: int, what: str) -> MediationCase:
        async with self.db.session() as session:
            case = await self._get(session, case_id)
            if case.status not in OPEN_STATES:
                raise WrongState(case)
            self.record(session, case, "evidence_asked", actor_id, what[:500])
            self.notify(session, self.notices.more_evidence(case, what[:500]))
            return await self._commit(session, case)

    async def add_evidence(
        self, case_id: int, resident_id: int, files: Sequence[EvidenceFile]
    ) -> MediationCase:
        async with self.db.session() as session:
            case = await self._get(session, case_id)
            if case.resident_id != resident_id:
                raise CaseNotFound(case_id)
            if case.status not in OPEN_STATES:
                raise WrongState(case)
            assert case.id is not None
            added = [
                MediationEvidence(
                    case_id=case.id,
                    kind=f.kind,
                    file_id=f.file_id,
                    file_name=f.file_name,
                    size=f.size,
                    added_at=f.added_at,
                )
                for f in files
            ]
            session.add_all(added)
            self.record(session, case, "evidence_added", resident_id, str(len(added)))
            self.notify(session, self.notices.evidence_added(case, added))
            return await self._commit(session, case)

    # the other party

    async def by_invitation(self, code: str) -> MediationCase | None:
        async with self.db.session() as session:
            rows = await session.exec(
                select(MediationCase).where(MediationCase.invite_code == code)
            )
            return rows.first()

    async def confirm_attendance(self, code: str, user_id: int) -> MediationCase:
        """The other party, by the link, says they will come; the link is theirs from then."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(MediationCase).where(MediationCase.invite_code == code)
            )
            case = rows.first()
            if case is None or (case.other_party_id not in (None, user_id)):
                raise CaseNotFound(code)
            if case.status in CLOSED_STATES:
                raise WrongState(case)
            if case.other_confirmed_at is None:
                case.other_party_id, case.other_confirmed_at = user_id, utcnow()
                self.record(session, case, "other_confirmed", user_id, "")
                self.notify(session, self.notices.other_confirmed(case))
            return await self._commit(session, case)

    # reading

    async def get(self, case_id: int) -> MediationCase:
        async with self.db.session() as session:
            return await self._get(session, case_id)

    async def by_number(self, number: str) -> MediationCase | None:
        async with self.db.session() as session:
            rows = await session.exec(
                select(MediationCase).where(MediationCase.number == number.upper())
            )
            return rows.first()

    async def for_resident(self, resident_id: int) -> list[MediationCase]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(MediationCase)
                .where(MediationCase.resident_id == resident_id)
                .order_by(col(MediationCase.id).desc())
                .limit(20)
            )
            return list(rows)

    async def history(self, case_id: int) -> list[MediationEvent]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(MediationEvent)
                .where(MediationEvent.case_id == case_id)
                .order_by(col(MediationEvent.id))
            )
            return list(rows)

    async def evidence(self, case_id: int) -> list[MediationEvidence]:
        async with self.db.session() as session:
            case = await self._get(session, case_id)
            return await self._evidence(session, case)

    async def appointment(self, case_id: int) -> MediationAppointment | None:
        async with self.db.session() as session:
            rows = await session.exec(
                select(MediationAppointment).where(MediationAppointment.case_id == case_id)
            )
            return rows.first()

    def open(self, case: MediationCase) -> Opened:
        def plain(token: str | None) -> str:
            return self.cipher.decrypt(token) if token else ""

        return Opened(
            resident_name=plain(case.resident_name_encrypted),
            other_name=plain(case.other_name_encrypted),
            other_contact=plain(case.other_contact_encrypted) or None,
            account=plain(case.account_encrypted),
            claim=plain(case.claim_encrypted),
            terms=plain(case.terms_encrypted) or None,
        )

    # the parts the other mediation services share

    async def _get(self, session: AsyncSession, case_id: int) -> MediationCase:
        case = await session.get(MediationCase, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        return case

    async def _by_intake(self, intake_key: str) -> MediationCase | None:
        async with self.db.session() as session:
            rows = await session.exec(
                select(MediationCase).where(MediationCase.intake_key == intake_key)
            )
            return rows.first()

    @staticmethod
    async def _evidence(session: AsyncSession, case: MediationCase) -> list[MediationEvidence]:
        rows = await session.exec(
            select(MediationEvidence)
            .where(MediationEvidence.case_id == case.id)
            .order_by(col(MediationEvidence.id))
        )
        return list(rows)

    @staticmethod
    async def _commit(session: AsyncSession, case: MediationCase) -> MediationCase:
        case.updated_at = utcnow()
        session.add(case)
        await session.commit()
        await session.refresh(case)
        return case

    @staticmethod
    def record(
        session: AsyncSession, case: MediationCase, kind: str, actor_id: int | None, detail: str
    ) -> None:
        assert case.id is not None
        session.add(MediationEvent(case_id=case.id, actor_id=actor_id, kind=kind, detail=detail))

    def notify(self, session: AsyncSession, outgoing: Sequence[Outgoing]) -> None:
        for item in outgoing:
            self.outbox.add(session, item)
