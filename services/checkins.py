"""Front desk check-ins: a hotel records that a certificate's holder checked in, once.

The front desk has seen the certificate verified; pressing Check in re-checks it (a revocation
in between stops it), checks that it is for this hotel, and records who and when. A second
check-in of the same certificate answers with the first one.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import zxingcpp
from PIL import Image, UnidentifiedImageError
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from services.certificates import CertificateNotFound, CertificateService
from services.models import Application, Certificate, CheckIn, as_utc, utcnow
from services.signing import Status
from services.storage import Database

__all__ = [
    "CheckInRefused",
    "CheckInService",
    "CheckedIn",
    "WrongHotel",
    "qr_texts",
]

MAX_PIXELS = 40_000_000  # a phone photo is far below; anything larger is not worth decoding
QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


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


@dataclass(frozen=True)
class CheckedIn:
    check_in: CheckIn
    newly: bool  # False: it was checked in before (the first record stands)


def qr_texts(image: bytes) -> list[str]:
    """The texts of the QR codes in a photo (zxing-cpp), best first; [] if none or not an image.

    CPU-bound: run it in a thread.
    """
    try:
        with Image.open(io.BytesIO(image)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                return []
            grey = opened.convert("L")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError):
        return []
    found = zxingcpp.read_barcodes(grey, formats=QR_ONLY)
    return [str(barcode.text) for barcode in found if barcode.text]


def _with_utc(check_in: CheckIn) -> CheckIn:
    check_in.at = as_utc(check_in.at)
    return check_in


class CheckInService:
    """Framework-free; uses the certificates to re-check status at the moment of check-in."""

    def __init__(
        self,
        db: Database,
        certificates: CertificateService,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.certificates = certificates
        self.clock = clock

    async def get(self, serial: str) -> CheckIn | None:
        async with self.db.session() as session:
            query = select(CheckIn).where(CheckIn.serial == serial.strip().upper())
            found = (await session.exec(query)).first()
        return _with_utc(found) if found is not None else None

    def status(self, certificate: Certificate) -> Status:
        """Today's status of a stored certificate: signature and dates, then revocation."""
        if certificate.revoked_at is not None:
            return Status.REVOKED
        result = self.certificates.keys.verify(certificate.token, today=self.certificates.today())
        return result.status

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

    async def tourist_of(self, certificate: Certificate) -> tuple[int, str] | None:
        """The chat and language of the person a certificate was issued to, when known."""
        if certificate.application_id is None:
            return None
        async with self.db.session() as session:
            application = await session.get(Application, certificate.application_id)
        if application is None:
            return None
        return application.tourist_id, application.tourist_locale
