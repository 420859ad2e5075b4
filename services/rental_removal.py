"""A landlord removes a rental house: no longer listed, inspected, reminded or counted; its
tenants are told and their registrations end that day; then, on the retention schedule
(PERSONAL_DATA_RETENTION_DAYS after the removal, as for a tenant who moved out), the house's
address, location and photos and the landlord's phone are forgotten, and the tenants' data with
them (services/rental.py `purge_tenants`). Its code, grid, size and colour stay as figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import col, select

from services.models import RentalHouse, RentalTenant, utcnow
from services.rental import NotYours, RentalError, RentalService


class AlreadyRemoved(RentalError):
    """The house was removed before (a press delivered again, or an old button)."""


@dataclass(frozen=True)
class Removed:
    house: RentalHouse
    tenants: int  # told, and marked moved out
    purge_on: date  # the day its personal data is forgotten


class HouseRemoval:
    """Built over the rental service: its database, outbox, notices and retention."""

    def __init__(self, rental: RentalService) -> None:
        self.rental = rental

    def purge_on(self, removed_on: date) -> date:
        return removed_on + timedelta(days=self.rental.retention_days + 1)

    async def remove(self, house_id: int, landlord_id: int, today: date) -> Removed:
        """Only the house's landlord; once (AlreadyRemoved after)."""
        async with self.rental.db.session() as session:
            house = await session.get(RentalHouse, house_id)
            if house is None or house.landlord_id != landlord_id:
                raise NotYours(f"house {house_id} is not user {landlord_id}'s")
            if house.removed_on is not None:
                raise AlreadyRemoved(house.code)
            rows = await session.exec(
                select(RentalTenant)
                .where(RentalTenant.house_id == house_id)
                .where(col(RentalTenant.moved_out_on).is_(None))
            )
            tenants = list(rows.all())
            for tenant in tenants:
                tenant.moved_out_on = today
                session.add(tenant)
            house.removed_on, house.updated_at = today, utcnow()
            session.add(house)
            for outgoing in self.rental.notices.removed(house, tenants):
                self.rental.outbox.add(session, outgoing)
            await session.commit()
            await session.refresh(house)
        return Removed(house, len(tenants), self.purge_on(today))

    async def purge(self, today: date, now: datetime | None = None) -> int:
        """Forget removed houses' address, location, photos and landlord's phone once the
        retention has passed (the runner's round); how many."""
        cutoff = today - timedelta(days=self.rental.retention_days)
        async with self.rental.db.session() as session:
            rows = await session.exec(
                select(RentalHouse)
                .where(col(RentalHouse.purged_at).is_(None))
                .where(col(RentalHouse.removed_on).is_not(None))
                .where(col(RentalHouse.removed_on) < cutoff)
            )
            houses = list(rows.all())
            for house in houses:
                house.address_encrypted = ""
                house.landlord_contact_encrypted = None
                house.latitude = house.longitude = None
                house.photos = []
                house.purged_at = now or utcnow()
                session.add(house)
            await session.commit()
        return len(houses)
