"""Accommodation-certificate applications: submitted by a tourist, decided by a verifier.

The decision is the only wait: on approval the certificate is signed, its card drawn and both
queued for the tourist in the same transaction that records the decision. A decision is a
conditional update of a still-undecided application, so of two verifiers deciding at once
exactly one does. An application nobody decided within `undecided_days` lapses.

Personal data is stored encrypted, reaches the verifiers in a sealed notification, and leaves
their chat with the decision: the card they decided on is edited down to a masked summary.

What the service takes and answers with (statuses, the draft, errors, the notices it queues) is
services/application_contract.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import median, quantiles

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.application_contract import (
    APPROVED,
    LAPSED,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    AlreadyDecided,
    ApplicationDraft,
    ApplicationError,
    ApplicationNotices,
    PersonalData,
    ReviewStats,
    StayOver,
    Verifier,
    reference,
)
from services.certificates import CertificateService, Issued
from services.identity import mask_name
from services.intake import file_once
from services.models import Application, Certificate, utcnow
from services.outbox import Outbox, Outgoing
from services.privacy import FieldCipher
from services.storage import Database


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
        undecided_days: int = 7,
        card_font: Path | None = None,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.cipher = cipher
        self.certificates = certificates
        self.notices = notices
        self.hotel_names = hotel_names
        self.retention_days = retention_days
        self.undecided_days = undecided_days
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
            seal = self.cipher.encrypt
            born = draft.birth_date.isoformat() if draft.birth_date else None
            application = Application(
                intake_key=draft.intake_key,
                tourist_id=draft.tourist_id,
                tourist_locale=draft.locale,
                full_name_encrypted=seal(draft.full_name),
                document_type=draft.document_type,
                document_number_encrypted=seal(draft.document_number),
                birth_date_encrypted=seal(born) if born else None,
                phone_encrypted=seal(draft.phone),
                hotel_code=draft.hotel_code,
                check_in=draft.check_in,
                nights=draft.nights,
                selfie_file_id_encrypted=seal(draft.selfie_file_id),
            )
            session.add(application)
            await session.flush()
            personal = PersonalData(
                draft.full_name,
                draft.document_number,
                draft.birth_date,
                draft.phone,
                draft.selfie_file_id,
            )
            for item in self.notices.submitted(application, personal):
                self.outbox.add(session, item)
            await session.commit()
            return application

    async def approve(self, application_id: int, verifier: Verifier) -> Issued:
        """Claim the decision, sign, draw the card and queue it, in one transaction.

        Of two verifiers deciding at once, one issues the certificate and the other hears who
        decided. A failure leaves nothing behind. StayOver, deciding nothing, when the stay has
        ended (the caller asks the tourist to correct the dates).
        """
        waiting = await self._undecided(application_id)
        if waiting.check_in + timedelta(days=waiting.nights) < self.certificates.today():
            raise StayOver(f"application {application_id}: the stay ended")
        async with self.db.session() as session:
            row = await self._claim(session, application_id, APPROVED, verifier)
            personal = self.personal_data(row)
            issued = await self.certificates.issue(
                holder_name=personal.full_name,
                document_type=row.document_type,
                document_number=personal.document_number,
                hotel_code=row.hotel_code,
                check_in=row.check_in,
                nights=row.nights,
                application_id=application_id,
                session=session,
            )
            from services.certificate_card import CertificateCard, render_card

            card = CertificateCard.of(
                issued.certificate, issued.url, self.hotel_names(row.hotel_code)
            )
            png = await asyncio.to_thread(render_card, card, font_path=self.card_font)
            row.certificate_serial = issued.certificate.serial
            row.purge_after = issued.certificate.valid_until + timedelta(days=self.retention_days)
            session.add(row)
            await self._tell(session, row, personal, self.notices.approved(row, issued, png))
            await session.commit()
        return issued

    async def reject(self, application_id: int, verifier: Verifier, reason: str) -> Application:
        """Record the decision as `approve` does; the tourist hears the reason."""
        async with self.db.session() as session:
            purge_after = utcnow().date() + timedelta(days=self.retention_days)
            row = await self._claim(
                session,
                application_id,
                REJECTED,
                verifier,
                reject_reason=reason[:500],
                purge_after=purge_after,
            )
            personal = self.personal_data(row)
            await self._tell(session, row, personal, self.notices.rejected(row))
            await session.commit()
            return row

    async def _claim(
        self,
        session: AsyncSession,
        application_id: int,
        status: str,
        verifier: Verifier,
        **values: object,
    ) -> Application:
        """Decide a still-undecided application, or raise AlreadyDecided saying by whom."""
        claimed = await session.exec(
            update(Application)
            .where(col(Application.id) == application_id)
            .where(col(Application.status) == SUBMITTED)
            .values(
                status=status,
                decided_by=verifier.user_id,
                decided_by_name=verifier.name,
                decided_at=utcnow(),
                **values,
            )
        )
        if claimed.rowcount != 1:
            await session.rollback()
            await self._undecided(application_id)  # says why
            raise AlreadyDecided(status, "")
        row = await session.get(Application, application_id)
        assert row is not None
        return row

    async def _tell(
        self,
        session: AsyncSession,
        row: Application,
        personal: PersonalData,
        outgoing: list[Outgoing],
    ) -> None:
        """Queue what the decision says, and take the personal data out of the verifier chat.

        The sealed card is wiped from the outbox and its message edited down to the summary.
        """
        cards = await self.outbox.wipe(session, reference(row.id), sealed_only=True)
        closing = self.notices.closed(row, mask_name(personal.full_name), cards)
        for item in [*outgoing, *closing]:
            self.outbox.add(session, item)

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

    async def current_certificate(self, tourist_id: int) -> Certificate | None:
        """The tourist's newest certificate that is neither revoked nor over."""
        today = self.certificates.today()
        async with self.db.session() as session:
            rows = await session.exec(
                select(Certificate)
                .join(Application, col(Application.id) == col(Certificate.application_id))
                .where(Application.tourist_id == tourist_id)
                .where(col(Certificate.revoked_at).is_(None))
                .where(col(Certificate.valid_until) >= today)
                .order_by(col(Certificate.id).desc())
                .limit(1)
            )
            return rows.first()

    async def withdraw(self, tourist_id: int) -> Application | None:
        """The tourist takes back their undecided application: its personal data is purged at
        once and the verifiers' card edited down to the summary. None if none was waiting."""
        latest = await self.latest_for(tourist_id)
        if latest is None or latest.status != SUBMITTED:
            return None
        async with self.db.session() as session:
            claimed = await session.exec(
                update(Application)
                .where(col(Application.id) == latest.id)
                .where(col(Application.status) == SUBMITTED)
                .values(status=WITHDRAWN, decided_at=utcnow())
            )
            if claimed.rowcount != 1:
                await session.rollback()
                return None  # decided a moment ago
            row = await session.get(Application, latest.id)
            assert row is not None
            masked = mask_name(self.personal_data(row).full_name)
            _forget(row)
            session.add(row)
            cards = await self.outbox.wipe(session, reference(row.id))
            for item in self.notices.closed(row, masked, [c for c in cards if c.sealed]):
                self.outbox.add(session, item)
            await session.commit()
            return row

    async def send_card_again(self, tourist_id: int) -> Certificate | None:
        """The tourist's current certificate card, drawn again and sent to them."""
        certificate = await self.current_certificate(tourist_id)
        if certificate is None or certificate.application_id is None:
            return None
        issued = self.certificates.issued_of(certificate)
        from services.certificate_card import CertificateCard, render_card  # Pillow: on first use

        card = CertificateCard.of(certificate, issued.url, self.hotel_names(certificate.hotel_code))
        png = await asyncio.to_thread(render_card, card, font_path=self.card_font)
        async with self.db.session() as session:
            row = await session.get(Application, certificate.application_id)
            assert row is not None
            for item in self.notices.approved(row, issued, png):
                self.outbox.add(session, item)
            await session.commit()
        return certificate

    def personal_data(self, application: Application) -> PersonalData:
        """The application's personal data, decrypted (empty strings once purged)."""
        born = self._open(application.birth_date_encrypted)
        return PersonalData(
            full_name=self._open(application.full_name_encrypted),
            document_number=self._open(application.document_number_encrypted),
            birth_date=date.fromisoformat(born) if born else None,
            phone=self._open(application.phone_encrypted),
            selfie_file_id=self._open(application.selfie_file_id_encrypted),
        )

    def _open(self, token: str | None) -> str:
        return self.cipher.decrypt(token) if token else ""

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
        """Forget what identified the tourist once the stay and the retention time are over.

        What the notifications about the application said is wiped with it.
        """
        async with self.db.session() as session:
            rows = list(
                await session.exec(
                    select(Application)
                    .where(col(Application.purge_after) <= today)
                    .where(col(Application.purged_at).is_(None))
                )
            )
            for row in rows:
                _forget(row)
                session.add(row)
                await self.outbox.wipe(session, reference(row.id))
            await session.commit()
            return len(rows)

    async def lapse_undecided(self, now: datetime) -> int:
        """Applications nobody decided within `undecided_days` lapse: their personal data is
        purged, the tourist told, the verifiers' card edited down to the summary."""
        async with self.db.session() as session:
            waiting = await session.exec(
                select(Application.id)
                .where(Application.status == SUBMITTED)
                .where(col(Application.submitted_at) <= now - timedelta(days=self.undecided_days))
            )
            ids = [application_id for application_id in waiting if application_id is not None]
        lapsed = 0
        for application_id in ids:  # one at a time: each races a verifier's press on its own
            async with self.db.session() as session:
                claimed = await session.exec(
                    update(Application)
                    .where(col(Application.id) == application_id)
                    .where(col(Application.status) == SUBMITTED)
                    .values(status=LAPSED, purged_at=now)
                )
                if claimed.rowcount != 1:
                    await session.rollback()
                    continue  # decided meanwhile
                row = await session.get(Application, application_id)
                assert row is not None
                masked = mask_name(self.personal_data(row).full_name)
                _forget(row)
                session.add(row)
                cards = await self.outbox.wipe(session, reference(row.id))
                outgoing = self.notices.lapsed(row)
                outgoing += self.notices.closed(row, masked, [c for c in cards if c.sealed])
                for item in outgoing:
                    self.outbox.add(session, item)
                await session.commit()
                lapsed += 1
        return lapsed

    async def _undecided(self, application_id: int) -> Application:
        async with self.db.session() as session:
            row = await session.get(Application, application_id)
        if row is None:
            raise ApplicationError(f"no application {application_id}")
        if row.status != SUBMITTED:
            raise AlreadyDecided(row.status, row.decided_by_name or "")
        return row


def _forget(row: Application) -> None:
    row.full_name_encrypted = ""
    row.document_number_encrypted = ""
    row.phone_encrypted = ""
    row.birth_date_encrypted = None
    row.selfie_file_id_encrypted = ""
    if row.purged_at is None:
        row.purged_at = utcnow()
