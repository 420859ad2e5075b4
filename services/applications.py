"""Accommodation-certificate applications: submitted by a tourist, decided by a verifier.

The decision is the only wait: on approval the certificate is signed, its card drawn and both
queued for the tourist in the same transaction that records the decision.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median, quantiles
from typing import Protocol

from sqlalchemy import update
from sqlmodel import col, select

from services.certificate_card import CertificateCard, render_card
from services.certificates import CertificateService, Issued
from services.intake import file_once
from services.models import Application, utcnow
from services.outbox import Outbox, Outgoing
from services.privacy import FieldCipher
from services.storage import Database

SUBMITTED, APPROVED, REJECTED = "submitted", "approved", "rejected"
REASONS = ("details_mismatch", "photo_unclear", "other")


class ApplicationError(Exception):
    pass


class AlreadyDecided(ApplicationError):
    def __init__(self, status: str, by: str) -> None:
        super().__init__(status)
        self.status = status
        self.by = by


@dataclass(frozen=True)
class ApplicationDraft:
    tourist_id: int
    locale: str
    full_name: str
    document_type: str
    document_number: str
    birth_date: date | None
    phone: str
    hotel_code: str
    check_in: date
    nights: int
    selfie_file_id: str
    intake_key: str | None = None  # the form's name: the same form is one application


@dataclass(frozen=True)
class Verifier:
    user_id: int
    name: str


@dataclass(frozen=True)
class ReviewStats:
    submitted: int
    approved: int
    rejected: int
    waiting: int
    median_review: timedelta | None
    p90_review: timedelta | None


class ApplicationNotices(Protocol):
    def submitted(
        self, application: Application, document_number: str, phone: str
    ) -> list[Outgoing]: ...

    def approved(
        self, application: Application, issued: Issued, card_png: bytes
    ) -> list[Outgoing]: ...

    def rejected(self, application: Application) -> list[Outgoing]: ...


class ApplicationService:
    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        cipher: FieldCipher,
        certificates: CertificateService,
        notices: ApplicationNotices,
        hotel_names: Callable[[str], dict[str, str]],
        *,
        retention_days: int = 30,
        card_font: Path | None = None,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.cipher = cipher
        self.certificates = certificates
        self.notices = notices
        self.hotel_names = hotel_names
        self.retention_days = retention_days
        self.card_font = card_font

    async def submit(self, draft: ApplicationDraft) -> Application:
        return await file_once(draft.intake_key, self._by_intake, lambda: self._submit(draft))

    async def _by_intake(self, intake_key: str) -> Application | None:
        async with self.db.session() as session:
            found = await session.exec(
                select(Application).where(Application.intake_key == intake_key)
            )
            return found.first()

    async def _submit(self, draft: ApplicationDraft) -> Application:
        async with self.db.session() as session:
            application = Application(
                intake_key=draft.intake_key,
                tourist_id=draft.tourist_id,
                tourist_locale=draft.locale,
                full_name=draft.full_name,
                document_type=draft.document_type,
                document_number_encrypted=self.cipher.encrypt(draft.document_number),
                birth_date=draft.birth_date,
                phone_encrypted=self.cipher.encrypt(draft.phone),
                hotel_code=draft.hotel_code,
                check_in=draft.check_in,
                nights=draft.nights,
                selfie_file_id=draft.selfie_file_id,
            )
            session.add(application)
            await session.flush()
            for item in self.notices.submitted(application, draft.document_number, draft.phone):
                self.outbox.add(session, item)
            await session.commit()
            return application

    async def approve(self, application_id: int, verifier: Verifier) -> Issued:
        """Claim the decision, sign, draw the card and queue it, in one transaction.

        The claim is a conditional update: of two verifiers pressing Approve at once, one issues
        the certificate and the other hears who decided. A failure leaves nothing behind.
        """
        async with self.db.session() as session:
            claimed = await session.exec(
                update(Application)
                .where(col(Application.id) == application_id)
                .where(col(Application.status) == SUBMITTED)
                .values(
                    status=APPROVED,
                    decided_by=verifier.user_id,
                    decided_by_name=verifier.name,
                    decided_at=utcnow(),
                )
            )
            if claimed.rowcount != 1:
                await session.rollback()
                await self._undecided(application_id)  # says why
                raise AlreadyDecided(APPROVED, "")
            row = await session.get(Application, application_id)
            assert row is not None
            issued = await self.certificates.issue(
                holder_name=row.full_name,
                document_type=row.document_type,
                document_number=self.cipher.decrypt(row.document_number_encrypted),
                hotel_code=row.hotel_code,
                check_in=row.check_in,
                nights=row.nights,
                application_id=application_id,
                session=session,
            )
            card = CertificateCard.of(
                issued.certificate, issued.url, self.hotel_names(row.hotel_code)
            )
            png = await asyncio.to_thread(render_card, card, font_path=self.card_font)
            row.certificate_serial = issued.certificate.serial
            row.purge_after = issued.certificate.valid_until + timedelta(days=self.retention_days)
            session.add(row)
            for item in self.notices.approved(row, issued, png):
                self.outbox.add(session, item)
            await session.commit()
        return issued

    async def reject(self, application_id: int, verifier: Verifier, reason: str) -> Application:
        await self._undecided(application_id)
        async with self.db.session() as session:
            row = await session.get(Application, application_id)
            assert row is not None
            row.status = REJECTED
            row.reject_reason = reason[:500]
            row.decided_by, row.decided_by_name = verifier.user_id, verifier.name
            row.decided_at = utcnow()
            row.purge_after = utcnow().date() + timedelta(days=self.retention_days)
            session.add(row)
            for item in self.notices.rejected(row):
                self.outbox.add(session, item)
            await session.commit()
            return row

    async def get(self, application_id: int) -> Application | None:
        async with self.db.session() as session:
            return await session.get(Application, application_id)

    async def latest_for(self, tourist_id: int) -> Application | None:
        async with self.db.session() as session:
            rows = await session.exec(
                select(Application)
                .where(Application.tourist_id == tourist_id)
                .order_by(col(Application.id).desc())
                .limit(1)
            )
            return rows.first()

    def document_number(self, application: Application) -> str:
        return self.cipher.decrypt(application.document_number_encrypted)

    def phone(self, application: Application) -> str:
        return self.cipher.decrypt(application.phone_encrypted)

    async def review_stats(self, since: datetime | None = None) -> ReviewStats:
        async with self.db.session() as session:
            query = select(Application)
            if since is not None:
                query = query.where(col(Application.submitted_at) >= since)
            rows = list(await session.exec(query))
        waits = sorted(
            (row.decided_at - row.submitted_at).total_seconds()
            for row in rows
            if row.decided_at is not None
        )
        p90 = None
        if len(waits) >= 2:
            p90 = timedelta(seconds=quantiles(waits, n=10)[-1])
        elif waits:
            p90 = timedelta(seconds=waits[0])
        return ReviewStats(
            submitted=len(rows),
            approved=sum(1 for row in rows if row.status == APPROVED),
            rejected=sum(1 for row in rows if row.status == REJECTED),
            waiting=sum(1 for row in rows if row.status == SUBMITTED),
            median_review=timedelta(seconds=median(waits)) if waits else None,
            p90_review=p90,
        )

    async def purge_personal_data(self, today: date) -> int:
        """Forget what identified the tourist once the stay and the retention time are over."""
        async with self.db.session() as session:
            rows = list(
                await session.exec(
                    select(Application)
                    .where(col(Application.purge_after) <= today)
                    .where(col(Application.purged_at).is_(None))
                )
            )
            for row in rows:
                row.full_name = ""
                row.document_number_encrypted = ""
                row.phone_encrypted = ""
                row.birth_date = None
                row.selfie_file_id = ""
                row.purged_at = utcnow()
                session.add(row)
            await session.commit()
            return len(rows)

    async def _undecided(self, application_id: int) -> Application:
        async with self.db.session() as session:
            row = await session.get(Application, application_id)
        if row is None:
            raise ApplicationError(f"no application {application_id}")
        if row.status != SUBMITTED:
            raise AlreadyDecided(row.status, row.decided_by_name or "")
        return row
