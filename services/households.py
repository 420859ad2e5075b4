"""Household contacts: the families each grid contact looks after, and a grid's coverage.

The seed's Jiaxing has each party member keep in touch with 5 to 15 families. A grid contact
records the households they look after (`/households add`); a grid's staff see who the grid's
contacts are, how many households each looks after and how many requests each filed, and which
grids have no contact at all. Who lives in a household and their phone are personal data:
encrypted (services.privacy.FieldCipher); a contact's households are deleted when the contact no
longer holds the role for that grid (`purge_orphans`, in the bot's minute round).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, not_, or_
from sqlmodel import col, select

from services.models import Household, RoleGrant, Ticket, as_utc
from services.privacy import FieldCipher
from services.roles import Role
from services.routing import Grid, Routing
from services.storage import Database

__all__ = [
    "HOUSEHOLDS_ADVISED",
    "HOUSEHOLD_LABEL_LIMIT",
    "Contact",
    "HouseholdEntry",
    "Households",
    "grids_of_chat",
]

HOUSEHOLDS_ADVISED = 15  # the seed's "5 to 15 families": past this, the contact is warned
HOUSEHOLD_LABEL_LIMIT = 100
FEW_GRIDS = 500  # up to this many grids are asked for by code


def grids_of_chat(routing: Routing, chat_id: int) -> list[Grid]:
    """The grids a staff chat looks after: its own grid(s), else its community's, else all
    (the street office's chat)."""
    own = [grid for grid in routing.grids if grid.chat_id == chat_id]
    if own:
        return own
    for community in routing.communities:
        if community.chat_id == chat_id:
            return list(community.grids)
    return list(routing.grids) if chat_id == routing.street_office_chat_id else []


@dataclass(frozen=True)
class HouseholdEntry:
    id: int
    label: str
    phone: str | None
    since: datetime


@dataclass(frozen=True)
class Contact:
    """A grid contact as the grid's staff see them."""

    user_id: int
    grid_code: str
    since: datetime
    households: int
    filed: int  # requests filed for neighbours


class Households:
    """Framework-free: a contact's households, and who covers which grid."""

    def __init__(self, db: Database, cipher: FieldCipher) -> None:
        self.db = db
        self.cipher = cipher

    async def add(self, contact_id: int, grid_code: str, label: str, phone: str | None) -> int:
        """Record a household the contact looks after; how many they look after now."""
        label = label.strip()
        if not label or len(label) > HOUSEHOLD_LABEL_LIMIT:
            raise ValueError("a household's label is 1 to 100 characters")
        async with self.db.session() as session:
            session.add(
                Household(
                    contact_id=contact_id,
                    grid_code=grid_code,
                    label_encrypted=self.cipher.encrypt(label),
                    phone_encrypted=self.cipher.encrypt(phone) if phone else None,
                )
            )
            await session.commit()
        return len(await self.of(contact_id))

    async def of(self, contact_id: int) -> list[HouseholdEntry]:
        """The contact's households, oldest first, opened for the contact."""
        async with self.db.session() as session:
            query = (
                select(Household)
                .where(Household.contact_id == contact_id)
                .order_by(col(Household.id))
            )
            rows = (await session.exec(query)).all()
        return [
            HouseholdEntry(
                row.id or 0,
                self.cipher.decrypt(row.label_encrypted),
                self.cipher.decrypt(row.phone_encrypted) if row.phone_encrypted else None,
                as_utc(row.created_at),
            )
            for row in rows
        ]

    async def remove(self, contact_id: int, number: int) -> bool:
        """Forget the contact's household shown as `number` (1-based) by `of`."""
        entries = await self.of(contact_id)
        if not 1 <= number <= len(entries):
            return False
        async with self.db.session() as session:
            await session.exec(
                delete(Household).where(
                    col(Household.id) == entries[number - 1].id,
                    col(Household.contact_id) == contact_id,
                )
            )
            await session.commit()
        return True

    async def contacts(self, grid_codes: Iterable[str]) -> list[Contact]:
        """The grid contacts of these grids, with their households and filed requests."""
        grids = set(grid_codes)
        if not grids:
            return []
        # a street office's chat covers a whole city: then every contact is read, not a list of
        # thousands of codes (SQLite takes at most 32,766 parameters)
        few = len(grids) <= FEW_GRIDS
        async with self.db.session() as session:
            query = select(RoleGrant).where(RoleGrant.role == Role.GRID_CONTACT.value)
            if few:
                query = query.where(col(RoleGrant.grid_code).in_(grids))
            grants = [
                grant
                for grant in (await session.exec(query.order_by(col(RoleGrant.granted_at)))).all()
                if grant.grid_code in grids
            ]
            people = [grant.user_id for grant in grants]
            counting = select(Household.contact_id, func.count())
            filing = select(Ticket.resident_id, func.count()).where(
                or_(
                    col(Ticket.neighbour_name_encrypted).is_not(None),
                    col(Ticket.neighbour_purged_at).is_not(None),
                )
            )
            if few:
                counting = counting.where(col(Household.contact_id).in_(people))
                filing = filing.where(col(Ticket.resident_id).in_(people))
            counted = (await session.exec(counting.group_by(col(Household.contact_id)))).all()
            filed = (await session.exec(filing.group_by(col(Ticket.resident_id)))).all()
        households = dict(counted)
        requests = dict(filed)
        return [
            Contact(
                grant.user_id,
                grant.grid_code or "",
                as_utc(grant.granted_at),
                households.get(grant.user_id, 0),
                requests.get(grant.user_id, 0),
            )
            for grant in grants
        ]

    async def purge_orphans(self) -> int:
        """Delete the households of people who are no longer the grid contact of that grid."""
        still = select(RoleGrant.id).where(
            RoleGrant.role == Role.GRID_CONTACT.value,
            col(RoleGrant.user_id) == col(Household.contact_id),
            col(RoleGrant.grid_code) == col(Household.grid_code),
        )
        async with self.db.session() as session:
            result = await session.exec(delete(Household).where(not_(still.exists())))
            await session.commit()
        return int(result.rowcount or 0)
