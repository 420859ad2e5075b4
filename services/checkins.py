"""Front desk check-ins: what a desk sees of a code, check in, check out, undo, today's guests.

A front desk scans a code (services.certificates verifies it). For a certificate of the desk's
own hotel that is valid today, and only then, the desk also sees the holder as reviewed: the full
name, the document's last four characters and the selfie, to compare with the face in front of
it. Check-in re-checks the certificate (a revocation in between stops it) and is recorded once;
check-out closes it; a wrong check-in is undone with a reason and stays on record. A code of
another hotel's certificate, or a stale live code, is suspicious: the caller flags it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from services.applications import ApplicationService
from services.certificate_token import Status, Verification
from services.certificates import CertificateNotFound, CertificateService, Channel
from services.models import Application, Certificate, CheckIn, as_utc, utcnow
from services.storage import Database

__all__ = [
    "Arrival",
    "CheckInRefused",
    "CheckInService",
    "CheckedIn",
    "DeskAnswer",
    "Holder",
    "NotCheckedIn",
    "Suspicion",
    "WrongHotel",
    "qr_texts",
]

MAX_PIXELS = 40_000_000  # a phone photo is far below; anything larger is not worth decoding


class CheckInRefused(Exception):
    """The certificate is not valid today (expired, not yet valid, revoked)."""

    def __init__(self, serial: str, status: Status) -> None:
        super().__init__(f"{serial} is {status.value}")
        self.serial = serial
        self.status = status


class WrongHotel(Exception):
    """The certificate is for another hotel."""

    def __init__(self, serial: str, hotel_code: str) -> None:
        super().__init__(f"{serial} is for {hotel_code}")
        self.serial = serial
        self.hotel_code = hotel_code


class NotCheckedIn(Exception):
    """Check-out or undo of a certificate with no open check-in at this hotel."""

    def __init__(self, serial: str, standing: CheckIn | None) -> None:
        super().__init__(f"{serial} has no open check-in here")
        self.serial = serial
        self.standing = standing  # checked out already, or at another hotel; None if none


class Suspicion(StrEnum):
    OTHER_HOTEL = "other_hotel"  # shown at a hotel the certificate is not for
    STALE = "stale"  # a live code outside its window: a screenshot


@dataclass(frozen=True)
class CheckedIn:
    check_in: CheckIn
    newly: bool  # False: it was checked in before (the first record stands)


@dataclass(frozen=True)
class Holder:
    """The holder as the reviewers saw them; the selfie is a Telegram file id ("" once purged)."""

    full_name: str
    document_last4: str
    selfie_file_id: str


@dataclass(frozen=True)
class DeskAnswer:
    result: Verification
    holder: Holder | None  # only for the desk's own hotel, valid today
    check_in: CheckIn | None  # the standing check-in of the certificate, anywhere
    suspicion: Suspicion | None


@dataclass(frozen=True)
class Arrival:
    serial: str
    holder_masked: str
    valid_until: date
    check_in: CheckIn | None


def qr_texts(image: bytes) -> list[str]:
    """The texts of the QR codes in a photo (zxing-cpp), best first; [] if none or not an image.

    CPU-bound: run it in a thread.
    """
    import zxingcpp  # Pillow and zxing-cpp load with the first photo, not at start
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                return []
            grey = opened.convert("L")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError):
        return []
    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = zxingcpp.read_barcodes(grey, formats=qr_only)
    return [str(barcode.text) for barcode in found if barcode.text]


def _with_utc(check_in: CheckIn) -> CheckIn:
    check_in.at = as_utc(check_in.at)
    for name in ("checked_out_at", "undone_at"):
        moment = getattr(check_in, name)
        if moment is not None:
            setattr(check_in, name, as_utc(moment))
    return check_in


def _standing(serial: str) -> ColumnElement[bool]:
    return (col(CheckIn.serial) == serial.strip().upper()) & col(CheckIn.undone_at).is_(None)


class CheckInService:
    """Framework-free; uses the certificates to re-check status at the moment of each action."""

    def __init__(
        self,
        db: Database,
        certificates: CertificateService,
        applications: ApplicationService,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.certificates = certificates
        self.applications = applications
        self.clock = clock

    async def get(self, serial: str) -> CheckIn | None:
        """The standing (not undone) check-in of a certificate, if any."""
        async with self.db.session() as session:
            found = (await session.exec(select(CheckIn).where(_standing(serial)))).first()
        return _with_utc(found) if found is not None else None

    def status(self, certificate: Certificate) -> Status:
        """Today's status of a stored certificate: signature and dates, then revocation."""
        if certificate.revoked_at is not None:
            return Status.REVOKED
        result = self.certificates.keys.verify(certificate.token, today=self.certificates.today())
        return result.status

    # what a desk sees

    async def at_desk(self, code: str, hotel_code: str) -> DeskAnswer:
        """A code as a front desk of `hotel_code` sees it (verified, and logged, as a desk's)."""
        result = await self.certificates.verify(code, Channel.DESK)
        claims = result.claims
        if claims is None:
            return DeskAnswer(result, None, None, None)
        suspicion = None
        if claims.hotel != hotel_code:
            suspicion = Suspicion.OTHER_HOTEL
        elif result.status is Status.STALE:
            suspicion = Suspicion.STALE
        holder = None
        if claims.hotel == hotel_code and result.status is Status.VALID:
            holder = await self.holder(claims.serial, hotel_code)
        return DeskAnswer(result, holder, await self.get(claims.serial), suspicion)

    async def holder(self, serial: str, hotel_code: str) -> Holder | None:
        """The holder of a certificate of this hotel valid today, as reviewed; else None.

        Asked again at each request (a selfie fetched later is checked anew).
        """
        certificate = await self.certificates.get(serial)
        if certificate is None or certificate.hotel_code != hotel_code:
            return None
        if certificate.application_id is None or self.status(certificate) is not Status.VALID:
            return None
        application = await self.applications.get(certificate.application_id)
        if application is None:
            return None
        personal = self.applications.personal_data(application)
        number = personal.document_number.strip()
        return Holder(personal.full_name, number[-4:], personal.selfie_file_id)

    # the desk's actions

    async def check_in(self, serial: str, *, hotel_code: str, user_id: int) -> CheckedIn:
        """Record the check-in once. Raises CertificateNotFound, WrongHotel or CheckInRefused."""
        existing = await self.get(serial)
        if existing is not None:
            return CheckedIn(existing, newly=False)
        certificate = await self.certificates.get(serial)
        if certificate is None:
            raise CertificateNotFound(serial.strip().upper())
        if certificate.hotel_code != hotel_code:
            raise WrongHotel(certificate.serial, certificate.hotel_code)
        status = self.status(certificate)
        if status is not Status.VALID:
            raise CheckInRefused(certificate.serial, status)
        record = CheckIn(
            serial=certificate.serial,
            hotel_code=hotel_code,
            user_id=user_id,
            at=self.clock().astimezone(UTC),
        )
        try:
            async with self.db.session() as session:
                session.add(record)
                await session.commit()
                await session.refresh(record)
        except IntegrityError:  # another press a moment ago won
            first = await self.get(serial)
            assert first is not None
            return CheckedIn(first, newly=False)
        return CheckedIn(_with_utc(record), newly=True)

    async def check_out(self, serial: str, *, hotel_code: str, user_id: int) -> CheckIn:
        """Close the open check-in at this hotel; NotCheckedIn if there is none."""
        return await self._close(
            serial, hotel_code, checked_out_at=self.clock().astimezone(UTC), checked_out_by=user_id
        )

    async def undo(self, serial: str, *, hotel_code: str, user_id: int, reason: str) -> CheckIn:
        """Undo a wrong check-in at this hotel (kept on record with the reason); the
        certificate can be checked in again. NotCheckedIn if there is none to undo."""
        if not reason.strip():
            raise ValueError("an undo needs a reason")
        return await self._close(
            serial,
            hotel_code,
            open_only=False,
            undone_at=self.clock().astimezone(UTC),
            undone_by=user_id,
            undo_reason=reason.strip()[:500],
        )

    async def _close(
        self, serial: str, hotel_code: str, *, open_only: bool = True, **values: object
    ) -> CheckIn:
        """A conditional update of the standing check-in here: of two presses at once, one."""
        standing = await self.get(serial)
        if standing is None or standing.hotel_code != hotel_code:
            raise NotCheckedIn(serial.strip().upper(), standing)
        query = update(CheckIn).where(col(CheckIn.id) == standing.id)
        query = query.where(col(CheckIn.undone_at).is_(None))
        if open_only:
            query = query.where(col(CheckIn.checked_out_at).is_(None))
        async with self.db.session() as session:
            done = await session.exec(query.values(**values))
            await session.commit()
            if done.rowcount != 1:
                raise NotCheckedIn(standing.serial, await self.get(serial))
            record = await session.get(CheckIn, standing.id, populate_existing=True)
        assert record is not None
        return _with_utc(record)

    async def arrivals(self, hotel_code: str) -> list[Arrival]:
        """Today's arrivals at a hotel: its unrevoked certificates starting today (China time),
        each with its standing check-in, if any."""
        today = self.certificates.today()
        async with self.db.session() as session:
            query = (
                select(Certificate, CheckIn)
                .join(CheckIn, _standing_join(), isouter=True)
                .where(Certificate.hotel_code == hotel_code)
                .where(Certificate.valid_from == today)
                .where(col(Certificate.revoked_at).is_(None))
                .order_by(col(Certificate.id))
            )
            rows = (await session.exec(query)).all()
        return [
            Arrival(
                certificate.serial,
                certificate.holder_masked,
                certificate.valid_until,
                _with_utc(check_in) if check_in is not None else None,
            )
            for certificate, check_in in rows
        ]

    async def tourist_of(self, certificate: Certificate) -> tuple[int, str] | None:
        """The chat and language of the person a certificate was issued to, when known."""
        if certificate.application_id is None:
            return None
        async with self.db.session() as session:
            application = await session.get(Application, certificate.application_id)
        if application is None:
            return None
        return application.tourist_id, application.tourist_locale


def _standing_join() -> ColumnElement[bool]:
    return (col(CheckIn.serial) == col(Certificate.serial)) & col(CheckIn.undone_at).is_(None)
