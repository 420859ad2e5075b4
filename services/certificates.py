"""Temporary accommodation certificates: issue, verify, revoke, and the keys that sign them.

A certificate is issued for an application a verifier approved: the service masks the holder's
name and document number, signs the claims (services/certificate_token.py) and keeps the
certificate with its token. The QR code and the link carry `{PUBLIC_BASE_URL}/v/{token}`.

Validity is by calendar day in China time (UTC+8, no daylight saving): from the check-in day to
the check-out day, both included. Verification checks the signature and the dates, then the
database: a token is genuine only if it is the token of a certificate issued here (a signature
on a serial never issued, or on changed claims, means the signing key was stolen: `invalid`),
and signed by a key not retired since (read from the file at that moment, whichever process
retired it); then the revocation. It logs the result (time, channel, result, serial) but never
who asked, and the log is kept for a set number of days.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlparse

from sqlalchemy import delete, func, insert
from sqlalchemy.engine import Dialect
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.batching import GroupCommit
from services.certificate_token import (
    INVALID,
    MAX_TOKEN_CHARS,
    Claims,
    CodeKind,
    Status,
    Verification,
    decode_token,
)
from services.identity import DocumentType, mask_document_number, mask_name, validate_document
from services.keyring import KeyRing
from services.live_codes import LiveCode, LiveCodes, ShownCode, is_live
from services.models import Certificate, VerificationLog, as_utc, utcnow
from services.storage import Database

__all__ = [
    "CHINA_TIME",
    "CertificateNotFound",
    "CertificateService",
    "Channel",
    "Issued",
    "KeyRetirement",
    "Revocation",
    "china_today",
    "token_from_text",
]

CHINA_TIME = timezone(timedelta(hours=8), "CST")
# A key is pruned only this long after it was retired: a certificate signed as it was rotated is
# in the database by then, so it is counted.
KEY_PRUNE_GRACE = timedelta(hours=1)
_TOKEN_IN_TEXT = re.compile(r"(?:^|/v/)([A-Za-z2-7]{40,})/?$")
_SPLIT_PIECE_CHARS = 16  # a code wrapped over lines comes in long pieces; words are shorter


def china_today(now: datetime | None = None) -> date:
    """The calendar day in China (UTC+8) at `now` (default: this moment)."""
    return (now or datetime.now(UTC)).astimezone(CHINA_TIME).date()


def token_from_text(text: str) -> str | None:
    """The token in what a QR code or a person gave: a /v/ link or the bare code; else None."""
    text = text.strip()
    if not text or len(text) > MAX_TOKEN_CHARS + 200:
        return None
    if "://" in text:
        text = unquote(urlparse(text).path)
    pieces = text.split()
    if any(len(piece) < _SPLIT_PIECE_CHARS for piece in pieces[:-1]):
        return None  # words of a sentence ("loud music every night…"), not a code broken in lines
    match = _TOKEN_IN_TEXT.search("".join(pieces))
    return match.group(1).upper() if match else None


class Channel(StrEnum):
    WEB = "web"  # the /v/ page, opened from the QR code
    API = "api"  # /api/v1/certificates/verify
    BOT = "bot"  # a QR photo or a code sent to the bot
    DESK = "desk"  # a front desk's console (the desk Mini App)


class CertificateNotFound(LookupError):
    def __init__(self, serial: str) -> None:
        super().__init__(f"no certificate {serial}")
        self.serial = serial


@dataclass(frozen=True)
class _Check:
    """One verification waiting for the database: a token, or a live code, and its channel."""

    token: str
    result: Verification  # the signature and dates; for a live code, settled later
    channel: Channel
    today: date
    live: LiveCode | None = None

    @property
    def serial(self) -> str | None:
        if self.live is not None:
            return self.live.serial
        return self.result.claims.serial if self.result.claims is not None else None


@dataclass(frozen=True)
class Issued:
    certificate: Certificate
    claims: Claims
    token: str
    url: str  # {PUBLIC_BASE_URL}/v/{token}: what the QR code holds


@dataclass(frozen=True)
class KeyRetirement:
    kid: str
    replaced_by: str | None  # the new signing key, when the retired one was signing
    still_in_use: list[str]  # serials it signed, unrevoked, whose stay has not ended: now invalid


@dataclass(frozen=True)
class Revocation:
    certificate: Certificate
    newly: bool  # False: it was revoked before (the first time and reason stay)


def _with_utc(certificate: Certificate) -> Certificate:
    """Times as aware UTC datetimes, whatever the database handed back."""
    certificate.issued_at = as_utc(certificate.issued_at)
    if certificate.revoked_at is not None:
        certificate.revoked_at = as_utc(certificate.revoked_at)
    return certificate


class CertificateService:
    """Framework-free: the bot, the web routes and the admin commands all use this."""

    def __init__(
        self,
        db: Database,
        keys: KeyRing,
        public_base_url: str,
        *,
        max_nights: int = 30,
        live_code_seconds: int = 30,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.keys = keys
        self.live_codes = LiveCodes(keys, window_seconds=live_code_seconds, clock=clock)
        self.public_base_url = public_base_url.rstrip("/")
        self.max_nights = max_nights
        self.clock = clock
        # Verifications arriving together share one transaction for revocations and the log
        # (services.batching): one writer at a time from here, rather than two sessions each
        # queueing for SQLite's write lock in its busy handler.
        self._settle = GroupCommit(self._settle_all)

    def url_for(self, token: str) -> str:
        return f"{self.public_base_url}/v/{token}"

    def today(self) -> date:
        return china_today(self.clock())

    # issuing

    async def issue(
        self,
        *,
        holder_name: str,
        document_type: DocumentType | str,
        document_number: str,
        hotel_code: str,
        check_in: date,
        nights: int,
        application_id: int | None = None,
        session: AsyncSession | None = None,
    ) -> Issued:
        """Sign and store a certificate from approved details; only masked data is kept.

        The number is checked once more (InvalidDocument if wrong); `nights` must be 1 to
        `max_nights` (ValueError). The check-in day is the caller's to check against today.
        Given a `session`, the certificate joins the caller's transaction: stored when the caller
        commits, gone if it rolls back.
        """
        kind = DocumentType(document_type)
        document = validate_document(kind, document_number)
        if not 1 <= nights <= self.max_nights:
            raise ValueError(f"nights must be 1 to {self.max_nights}")
        if not holder_name.strip():
            raise ValueError("the holder's name is empty")
        issued_at = self.clock().astimezone(UTC).replace(microsecond=0)
        certificate = Certificate(
            serial=f"pending-{uuid.uuid4().hex}",
            application_id=application_id,
            hotel_code=hotel_code,
            holder_masked=mask_name(holder_name),
            document_type=kind.value,
            document_masked=mask_document_number(document.number),
            valid_from=check_in,
            valid_until=check_in + timedelta(days=nights),
            issued_at=issued_at,
            kid=self.keys.active_kid,
        )
        if session is not None:
            return await self._sign(session, certificate, issued_at)
        async with self.db.session() as own:
            issued = await self._sign(own, certificate, issued_at)
            await own.commit()
            return issued

    async def _sign(
        self, session: AsyncSession, certificate: Certificate, issued_at: datetime
    ) -> Issued:
        session.add(certificate)
        await session.flush()  # the id makes the serial
        assert certificate.id is not None
        certificate.serial = f"C{issued_at.astimezone(CHINA_TIME).year}-{certificate.id:06d}"
        claims = self._claims(certificate, issued_at)
        certificate.token = self.keys.sign(claims)
        certificate.kid = decode_token(certificate.token).kid  # even if rotated meanwhile
        session.add(certificate)
        await session.flush()
        return Issued(certificate, claims, certificate.token, self.url_for(certificate.token))

    @staticmethod
    def _claims(certificate: Certificate, issued_at: datetime) -> Claims:
        return Claims(
            serial=certificate.serial,
            holder=certificate.holder_masked,
            document_type=DocumentType(certificate.document_type),
            document=certificate.document_masked,
            hotel=certificate.hotel_code,
            valid_from=certificate.valid_from,
            valid_until=certificate.valid_until,
            issued_at=issued_at,
        )

    # verifying

    async def verify(
        self, token: str, channel: Channel | str = Channel.WEB, *, today: date | None = None
    ) -> Verification:
        """The status of a token: signature, dates, then revocation; logged without who asked.

        A live code (services.live_codes) answers for the certificate it names, as stored here,
        and is `stale` outside its window. Never raises for bad input: anything that is not a
        genuine token is `invalid`.
        """
        today = today or self.today()
        if is_live(token):
            live = self.live_codes.read(token)
            return await self._settle(_Check(token, INVALID, Channel(channel), today, live))
        result = self.keys.verify(token, today=today)
        return await self._settle(_Check(token.strip().upper(), result, Channel(channel), today))

    def live_code(self, serial: str) -> ShownCode:
        """The live code of a certificate for this moment's window (the Mini App shows it)."""
        return self.live_codes.show(serial, self.clock())

    async def _settle_all(self, checks: list[_Check]) -> list[Verification]:
        """Revocations and the log for several verifications together: a SELECT of the serials
        whose signature held, then one INSERT of a log row each."""
        serials = sorted({check.serial for check in checks if check.serial is not None})
        if self.db.is_sqlite:
            return await self._settle_on_sqlite(checks, serials)
        async with self.db.engine.begin() as connection:  # Core: no ORM session needed
            stored: dict[str, tuple[str, datetime | None]] = {}
            if serials:
                query = select(Certificate.serial, Certificate.token, Certificate.revoked_at)
                rows = await connection.execute(query.where(col(Certificate.serial).in_(serials)))
                stored = {serial: (token, revoked) for serial, token, revoked in rows}
            settled, log = self._settled_and_log(checks, stored, bool(serials))
            await connection.execute(insert(VerificationLog), log)
        return settled

    async def _settle_on_sqlite(
        self, checks: list[_Check], serials: list[str]
    ) -> list[Verification]:
        """The same on SQLite in three calls to the driver rather than about ten.

        aiosqlite runs every call (a cursor, an execute, a fetch, a close, a commit) in its
        connection's thread and wakes the event loop for the answer; through SQLAlchemy a batch
        took about ten such calls, a third of a verification's CPU time. Here: one SELECT that
        fetches too, one executemany, one commit, with SQLAlchemy's own type conversions."""
        dialect = self.db.engine.dialect
        async with self.db.engine.connect() as connection:
            driver: Any = (await connection.get_raw_connection()).driver_connection
            stored: dict[str, tuple[str, datetime | None]] = {}
            if serials:
                marks = ",".join("?" * len(serials))
                rows = await driver.execute_fetchall(
                    f"SELECT serial, token, revoked_at FROM certificate WHERE serial IN ({marks})",
                    serials,
                )
                moment = _processor(Certificate, "revoked_at", dialect, result=True)
                stored = {serial: (token, moment(revoked)) for serial, token, revoked in rows}
            settled, log = self._settled_and_log(checks, stored, bool(serials))
            at = _processor(VerificationLog, "at", dialect, result=False)
            await driver.executemany(
                "INSERT INTO verification_log (at, channel, result, serial) VALUES (?, ?, ?, ?)",
                [(at(row["at"]), row["channel"], row["result"], row["serial"]) for row in log],
            )
            await driver.commit()
        return settled

    def _settled_and_log(
        self, checks: list[_Check], stored: dict[str, tuple[str, datetime | None]], any_: bool
    ) -> tuple[list[Verification], list[dict[str, Any]]]:
        kids = self.keys.current_kids() if any_ else frozenset()
        now = self.clock()
        settled = [self._against_records(check, stored, kids, now) for check in checks]
        log = [
            {
                "at": now,
                "channel": check.channel.value,
                "result": result.status.value,
                "serial": result.claims.serial if result.claims is not None else None,
            }
            for check, result in zip(checks, settled, strict=True)
        ]
        return settled, log

    def _against_records(
        self,
        check: _Check,
        stored: dict[str, tuple[str, datetime | None]],
        kids: frozenset[str],
        now: datetime,
    ) -> Verification:
        """A live code answers as its certificate's own token would, then by its window."""
        live = check.live
        if live is None:
            return _against_records(check.result, check.token, stored, kids)
        found = stored.get(live.serial)
        if found is None or live.kid not in kids:
            return Verification(Status.INVALID)
        result = self.keys.verify(found[0], today=check.today)
        result = _against_records(result, found[0], stored, kids)
        if result.claims is None:
            return result
        status = result.status
        if status is Status.VALID and not live.is_fresh(now):
            status = Status.STALE
        return replace(result, status=status, code=CodeKind.LIVE, age=live.age(now))

    async def purge_verification_log(self, before: datetime) -> int:
        """Delete the log rows of verifications before a moment; returns how many."""
        async with self.db.engine.begin() as connection:
            result = await connection.execute(
                delete(VerificationLog).where(col(VerificationLog.at) < before)
            )
        return int(result.rowcount or 0)

    async def verification_counts(self, since: datetime | None = None) -> dict[str, int]:
        """How many verifications ended in each result (since a moment, or ever)."""
        query = select(VerificationLog.result, func.count()).group_by(col(VerificationLog.result))
        if since is not None:
            query = query.where(col(VerificationLog.at) >= since)
        async with self.db.session() as session:
            rows = (await session.exec(query)).all()
        return {str(result): int(count) for result, count in rows}

    # looking up, revoking

    def issued_of(self, certificate: Certificate) -> Issued:
        """A stored certificate as issued: its claims, token and link (to draw its card again)."""
        claims = decode_token(certificate.token).claims
        return Issued(certificate, claims, certificate.token, self.url_for(certificate.token))

    async def get(self, serial: str) -> Certificate | None:
        async with self.db.session() as session:
            found = await self._by_serial(session, serial)
        return _with_utc(found) if found is not None else None

    async def for_application(self, application_id: int) -> list[Certificate]:
        async with self.db.session() as session:
            query = (
                select(Certificate)
                .where(Certificate.application_id == application_id)
                .order_by(col(Certificate.id))
            )
            return [_with_utc(found) for found in (await session.exec(query)).all()]

    async def revoke(self, serial: str, reason: str) -> Revocation:
        """Revoke at once (verification says so from now on); CertificateNotFound if unknown."""
        async with self.db.session() as session:
            certificate = await self._by_serial(session, serial)
            if certificate is None:
                raise CertificateNotFound(serial.strip().upper())
            if certificate.revoked_at is not None:
                return Revocation(_with_utc(certificate), newly=False)
            certificate.revoked_at = self.clock()
            certificate.revoke_reason = reason.strip()[:500] or None
            session.add(certificate)
            await session.commit()
            return Revocation(_with_utc(certificate), newly=True)

    @staticmethod
    async def _by_serial(session: Any, serial: str) -> Certificate | None:
        query = select(Certificate).where(Certificate.serial == serial.strip().upper())
        found: Certificate | None = (await session.exec(query)).first()
        return found

    # keys

    def jwks(self) -> dict[str, Any]:
        return self.keys.jwks()

    def rotate_keys(self) -> str:
        """A new signing key from now on; the old one keeps verifying. Returns the new kid."""
        return self.keys.rotate(self.clock())

    async def prune_keys(self, today: date | None = None) -> list[str]:
        """Forget retired keys whose certificates have all expired (none is valid today or
        later), retired at least KEY_PRUNE_GRACE ago; returns their kids."""
        today = today or self.today()
        retired_before = self.clock() - KEY_PRUNE_GRACE
        removed: list[str] = []
        for info in self.keys.list_keys():
            if info.retired_at is None or info.retired_at > retired_before:
                continue
            async with self.db.session() as session:
                query = select(func.max(Certificate.valid_until)).where(Certificate.kid == info.kid)
                last: date | None = (await session.exec(query)).first()
            if last is None or last < today:
                self.keys.remove(info.kid)
                removed.append(info.kid)
        return removed

    async def retire_key(self, kid: str) -> KeyRetirement:
        """Forget a key at once (a leak): what it signed is invalid from the next check on,
        in every process. The key signing now is first replaced by a new one. UnknownKey if
        there is no such key."""
        kid = kid.strip().upper()
        replaced_by = self.keys.retire(kid, self.clock())
        async with self.db.session() as session:
            query = (
                select(Certificate.serial)
                .where(Certificate.kid == kid)
                .where(col(Certificate.valid_until) >= self.today())
                .where(col(Certificate.revoked_at).is_(None))
                .order_by(col(Certificate.id))
            )
            serials = list((await session.exec(query)).all())
        return KeyRetirement(kid, replaced_by, serials)


def _against_records(
    result: Verification,
    token: str,
    stored: dict[str, tuple[str, datetime | None]],
    kids: frozenset[str],
) -> Verification:
    """A well-signed token is genuine only as the stored token of its serial, under a key not
    retired since; then a revocation of the certificate shows."""
    claims = result.claims
    if claims is None:
        return result
    token_and_revoked = stored.get(claims.serial)
    if token_and_revoked is None or token_and_revoked[0] != token or result.kid not in kids:
        return Verification(Status.INVALID)
    revoked = token_and_revoked[1]
    if revoked is not None:
        return Verification(Status.REVOKED, claims, result.kid, as_utc(revoked))
    return result


@functools.cache
def _processor(
    model: type[Any], column: str, dialect: Dialect, *, result: bool
) -> Callable[[Any], Any]:
    """SQLAlchemy's conversion of a column's values to (or from) what the driver holds."""
    kind = model.__table__.c[column].type.dialect_impl(dialect)
    made = kind.result_processor(dialect, None) if result else kind.bind_processor(dialect)
    return made or (lambda value: value)
