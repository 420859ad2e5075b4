"""Rental houses: landlords register them, tenants register in them, each has a risk colour.

The colour follows the routing file's rules (services/rental_routing.py): the findings of the
last inspection (a critical item failed, another item failed), overcrowding (more tenants than
beds) and an overdue inspection, each mapped to a colour; the house takes the worst. It is
worked out again on every change — an inspection, a tenant moving in or out, and time passing
(the minute round) — and the findings are kept with it, so the reason can be shown in words.

Personal data — the house's address, the landlord's contact, a tenant's name, document number
and phone — is encrypted with the data key (services.privacy) before it is stored, travels only
in sealed notifications, and a tenant's is purged PERSONAL_DATA_RETENTION_DAYS after they move
out. What notifications say is rendered outside the domain by a `RentalNotices`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.models import RentalHouse, RentalInspection, RentalTenant, as_utc, utcnow
from services.outbox import Outbox, Outgoing
from services.privacy import FieldCipher
from services.rental_routing import RentalRules, worst
from services.storage import Database

__all__ = [
    "HouseDraft",
    "NotYours",
    "RentalError",
    "RentalNotices",
    "RentalService",
    "TenantDraft",
    "assess",
    "normalize_code",
]

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud, typed by hand


def normalize_code(raw: str) -> str:
    """A house code as typed ("r7k 2m9", "R-7K2M9") in its stored form."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


class RentalError(Exception):
    """Something about a rental house cannot be done; the message is for the log."""


class NotYours(RentalError):
    """The person is neither the house's landlord nor the tenant concerned."""


@dataclass(frozen=True)
class HouseDraft:
    landlord_id: int
    landlord_locale: str
    grid: str
    address: str
    rooms: int
    beds: int
    contact: str  # the landlord's phone
    latitude: float | None = None
    longitude: float | None = None
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class TenantDraft:
    telegram_id: int
    locale: str
    name: str
    document_type: str
    document_number: str
    phone: str
    move_in: date


class RentalNotices(Protocol):
    """What changes to a house say, and to whom (handlers/rental_notices.py renders them)."""

    def registered(self, house: RentalHouse) -> list[Outgoing]: ...

    def tenant_joined(self, house: RentalHouse, tenant: RentalTenant) -> list[Outgoing]: ...

    def recoloured(self, house: RentalHouse, before: str) -> list[Outgoing]: ...

    def due(self, house: RentalHouse) -> list[Outgoing]: ...

    def removed(self, house: RentalHouse, tenants: list[RentalTenant]) -> list[Outgoing]: ...


def assess(
    rules: RentalRules,
    *,
    failed: Sequence[str],
    tenants: int,
    beds: int,
    next_due: datetime,
    now: datetime,
) -> tuple[str, list[dict[str, Any]]]:
    """The colour and its findings (worst first) from the last inspection's failed items, the
    number of tenants now, and whether the next inspection is overdue."""
    findings: list[dict[str, Any]] = []
    critical = [code for code in failed if (item := rules.item(code)) and item.critical]
    other = [code for code in failed if code not in critical]
    if critical:
        findings.append({"code": "critical_failed", "items": critical})
    if other:
        findings.append({"code": "item_failed", "items": other})
    if tenants > beds:
        findings.append({"code": "overcrowded", "tenants": tenants, "beds": beds})
    if as_utc(next_due) < now:
        findings.append({"code": "overdue", "due": as_utc(next_due).isoformat()})
    kept = [f for f in findings if rules.colours.get(f["code"], "green") != "green"]
    colour = worst([rules.colours[f["code"]] for f in kept])
    kept.sort(key=lambda f: ("red", "yellow").index(rules.colours[f["code"]]))
    return colour, kept


def failed_items(inspection: RentalInspection | None) -> list[str]:
    if inspection is None:
        return []
    return [code for code, result in inspection.results.items() if result.get("ok") is False]


class RentalService:
    """Houses and tenants; every change one transaction with the notifications it causes."""

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        cipher: FieldCipher,
        notices: RentalNotices,
        rules: RentalRules,
        *,
        retention_days: int = 30,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.cipher = cipher
        self.notices = notices
        self.rules = rules  # replaced when the routing changes
        self.retention_days = retention_days

    # landlords

    async def register(self, draft: HouseDraft, now: datetime | None = None) -> RentalHouse:
        """A new house with its own code and join code; the grid's chat is told."""
        if draft.rooms < 1 or draft.beds < 1:
            raise RentalError("a house has at least one room and one bed")
        now = now or utcnow()
        for _attempt in range(8):  # codes are random: a clash is rare, and tried again
            house = RentalHouse(
                code="R" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(5)),
                join_code=secrets.token_urlsafe(9),
                landlord_id=draft.landlord_id,
                landlord_locale=draft.landlord_locale,
                grid=draft.grid,
                address_encrypted=self.cipher.encrypt(draft.address),
                latitude=draft.latitude,
                longitude=draft.longitude,
                rooms=draft.rooms,
                beds=draft.beds,
                landlord_contact_encrypted=self.cipher.encrypt(draft.contact),
                photos=list(draft.photos),
                next_due=now + timedelta(days=self.rules.first_inspection_days),
                created_at=now,
                updated_at=now,
            )
            try:
                async with self.db.session() as session:
                    session.add(house)
                    await session.flush()
                    for outgoing in self.notices.registered(house):
                        self.outbox.add(session, outgoing)
                    await session.commit()
                return house
            except IntegrityError:
                continue
        raise RentalError("no free house code found")

    async def houses_of(self, landlord_id: int) -> list[RentalHouse]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(RentalHouse)
                .where(RentalHouse.landlord_id == landlord_id)
                .where(col(RentalHouse.removed_on).is_(None))
                .order_by(col(RentalHouse.id))
            )
            return list(rows.all())

    async def by_code(self, code: str) -> RentalHouse | None:
        async with self.db.session() as session:
            rows = await session.exec(
                select(RentalHouse)
                .where(RentalHouse.code == normalize_code(code))
                .where(col(RentalHouse.removed_on).is_(None))
            )
            return rows.first()

    async def by_join_code(self, join_code: str) -> RentalHouse | None:
        async with self.db.session() as session:
            rows = await session.exec(
                select(RentalHouse)
                .where(RentalHouse.join_code == join_code)
                .where(col(RentalHouse.removed_on).is_(None))
            )
            return rows.first()

    async def get(self, house_id: int) -> RentalHouse | None:
        async with self.db.session() as session:
            return await session.get(RentalHouse, house_id)

    async def landlords_house(self, house_id: int, user_id: int) -> RentalHouse:
        """The house, if this person is its landlord; NotYours otherwise."""
        house = await self.get(house_id)
        if house is None or house.landlord_id != user_id:
            raise NotYours(f"house {house_id} is not user {user_id}'s")
        return house

    def address(self, house: RentalHouse) -> str:
        """ "" once purged (services/rental_removal.py)."""
        return self.cipher.decrypt(house.address_encrypted) if house.address_encrypted else ""

    def contact(self, house: RentalHouse) -> str | None:
        token = house.landlord_contact_encrypted
        return self.cipher.decrypt(token) if token else None

    # tenants

    async def tenants(self, house_id: int) -> list[RentalTenant]:
        """Who lives there now (not moved out)."""
        async with self.db.session() as session:
            return await self._current_tenants(session, house_id)

    async def homes_of(self, telegram_id: int) -> list[tuple[RentalTenant, RentalHouse]]:
        """Where this person is registered as a tenant now."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(RentalTenant, RentalHouse)
                .join(RentalHouse, col(RentalHouse.id) == col(RentalTenant.house_id))
                .where(RentalTenant.telegram_id == telegram_id)
                .where(col(RentalTenant.moved_out_on).is_(None))
                .order_by(col(RentalTenant.id))
            )
            return [(tenant, house) for tenant, house in rows.all()]

    def tenant_name(self, tenant: RentalTenant) -> str | None:
        token = tenant.name_encrypted
        return self.cipher.decrypt(token) if token else None

    async def add_tenant(
        self, house_id: int, draft: TenantDraft, now: datetime | None = None
    ) -> RentalTenant:
        """Register a tenant; the landlord is told, and the colour worked out again."""
        now = now or utcnow()
        async with self.db.session() as session:
            house = await session.get(RentalHouse, house_id)
            if house is None:
                raise RentalError(f"no house {house_id}")
            tenant = RentalTenant(
                house_id=house_id,
                telegram_id=draft.telegram_id,
                locale=draft.locale,
                name_encrypted=self.cipher.encrypt(draft.name),
                document_type=draft.document_type,
                document_encrypted=self.cipher.encrypt(draft.document_number),
                phone_encrypted=self.cipher.encrypt(draft.phone),
                move_in=draft.move_in,
                created_at=now,
            )
            session.add(tenant)
            await session.flush()
            for outgoing in self.notices.tenant_joined(house, tenant):
                self.outbox.add(session, outgoing)
            await self.reassess(session, house, now)
            await session.commit()
            return tenant

    async def move_out(
        self, tenant_id: int, user_id: int, on: date, now: datetime | None = None
    ) -> RentalTenant:
        """The tenant themself or the house's landlord marks a move-out; NotYours otherwise."""
        async with self.db.session() as session:
            tenant = await session.get(RentalTenant, tenant_id)
            house = await session.get(RentalHouse, tenant.house_id) if tenant else None
            if (
                tenant is None
                or house is None
                or user_id
                not in (
                    tenant.telegram_id,
                    house.landlord_id,
                )
            ):
                raise NotYours(f"tenant {tenant_id} is not user {user_id}'s to move out")
            if tenant.moved_out_on is None:
                tenant.moved_out_on = on
                session.add(tenant)
                await self.reassess(session, house, now or utcnow())
                await session.commit()
            return tenant

    async def purge_tenants(self, today: date) -> int:
        """Forget the personal data of tenants who moved out PERSONAL_DATA_RETENTION_DAYS ago."""
        cutoff = today - timedelta(days=self.retention_days)
        async with self.db.session() as session:
            rows = await session.exec(
                select(RentalTenant)
                .where(col(RentalTenant.purged_at).is_(None))
                .where(col(RentalTenant.moved_out_on).is_not(None))
                .where(col(RentalTenant.moved_out_on) < cutoff)
            )
            purged = 0
            for tenant in rows.all():
                tenant.name_encrypted = tenant.document_encrypted = tenant.phone_encrypted = None
                tenant.purged_at = utcnow()
                session.add(tenant)
                purged += 1
            await session.commit()
            return purged

    # the colour

    async def reassess(self, session: AsyncSession, house: RentalHouse, now: datetime) -> bool:
        """Work the colour out again in the caller's transaction; True if it changed (then the
        notifications of the change are staged too)."""
        assert house.id is not None
        last = (
            await session.exec(
                select(RentalInspection)
                .where(RentalInspection.house_id == house.id)
                .where(col(RentalInspection.finished_at).is_not(None))
                .order_by(col(RentalInspection.finished_at).desc())
                .limit(1)
            )
        ).first()
        tenants = len(await self._current_tenants(session, house.id))
        colour, reasons = assess(
            self.rules,
            failed=failed_items(last),
            tenants=tenants,
            beds=house.beds,
            next_due=house.next_due,
            now=now,
        )
        before = house.colour
        if colour == before and reasons == house.reasons:
            return False
        house.colour, house.reasons, house.updated_at = colour, reasons, now
        session.add(house)
        if colour != before:
            for outgoing in self.notices.recoloured(house, before):
                self.outbox.add(session, outgoing)
        return colour != before

    async def minute_round(self, now: datetime) -> tuple[int, int]:
        """Time passing: houses whose inspection fell due are coloured again and reminded to
        their grid's chat, once per due date (an inspection sets the next). (reminded,
        recoloured)."""
        reminded = recoloured = 0
        async with self.db.session() as session:
            rows = await session.exec(
                select(RentalHouse)
                .where(col(RentalHouse.next_due) <= now)
                .where(col(RentalHouse.removed_on).is_(None))
                .where(
                    or_(
                        col(RentalHouse.reminded_due).is_(None),
                        col(RentalHouse.reminded_due) != col(RentalHouse.next_due),
                    )
                )
                .order_by(col(RentalHouse.next_due))
                .limit(500)  # a city's backlog goes out over a few minutes, not in one round
            )
            for house in rows.all():
                recoloured += await self.reassess(session, house, now)
                house.reminded_due = house.next_due
                session.add(house)
                for outgoing in self.notices.due(house):
                    self.outbox.add(session, outgoing)
                reminded += 1
            await session.commit()
        return reminded, recoloured

    @staticmethod
    async def _current_tenants(session: AsyncSession, house_id: int) -> list[RentalTenant]:
        rows = await session.exec(
            select(RentalTenant)
            .where(RentalTenant.house_id == house_id)
            .where(col(RentalTenant.moved_out_on).is_(None))
            .order_by(col(RentalTenant.id))
        )
        return list(rows.all())
