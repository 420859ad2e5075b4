"""Roles: who verifies applications, who checks guests in at which hotel, who administers.

- **admin**: the Telegram ids in ADMIN_IDS, always; no database row.
- **verifier**: decides certificate applications and revokes certificates. A database grant,
  or (checked by the bot, not here) membership of VERIFIER_CHAT_ID.
- **frontdesk**: checks guests in at one hotel (a hotel code from ROUTING_FILE).
- **gridcontact**: files reports for neighbours without Telegram, on one grid (ROUTING_FILE).
- **supervisor**: sees the whole street on the dashboard (/dashboard): figures, map, exports.

An admin hands a role out with an invitation: a random, single-use code that expires (72 hours
by default), opened as `https://t.me/<bot>?start=<code>`. Only a hash of the code is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.models import Invitation, RoleGrant, as_utc, utcnow
from services.storage import Database

__all__ = [
    "INVITABLE",
    "INVITATION_CODE",
    "INVITATION_TTL",
    "Grant",
    "InvitationExpired",
    "InvitationProblem",
    "InvitationUnknown",
    "InvitationUsed",
    "NewInvitation",
    "Role",
    "RoleService",
]

INVITATION_TTL = timedelta(hours=72)
INVITATION_CODE = re.compile(r"^[A-Za-z0-9_-]{24}$")  # what `new_code` makes; fits a deep link
_CODE_BYTES = 18  # 24 url-safe characters: "/start " + code stays far below Telegram's 64


class Role(StrEnum):
    ADMIN = "admin"
    VERIFIER = "verifier"
    FRONTDESK = "frontdesk"
    GRID_CONTACT = "gridcontact"  # files reports for neighbours without Telegram, on one grid
    SUPERVISOR = "supervisor"  # sees every grid on the dashboard


INVITABLE = (Role.VERIFIER, Role.FRONTDESK, Role.GRID_CONTACT, Role.SUPERVISOR)


@dataclass(frozen=True)
class Grant:
    role: Role
    hotel_code: str | None = None  # front desk only
    grid_code: str | None = None  # grid contact only


@dataclass(frozen=True)
class NewInvitation:
    code: str  # shown once; only its hash is stored
    role: Role
    hotel_code: str | None
    expires_at: datetime
    grid_code: str | None = None


class InvitationProblem(Exception):
    """An invitation that cannot be used; the subclass says why."""


class InvitationUnknown(InvitationProblem):
    pass


class InvitationUsed(InvitationProblem):
    pass


class InvitationExpired(InvitationProblem):
    pass


def new_code() -> str:
    return secrets.token_urlsafe(_CODE_BYTES)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()


class RoleService:
    """Framework-free: grants, invitations, and the question "what may this person do?"."""

    def __init__(
        self,
        db: Database,
        admin_ids: Iterable[int] = (),
        *,
        invitation_ttl: timedelta = INVITATION_TTL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.admin_ids = frozenset(admin_ids)
        self.invitation_ttl = invitation_ttl
        self.clock = clock

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)

    # asking

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.admin_ids

    async def roles_of(self, user_id: int) -> list[Grant]:
        """Every role the person holds: admin first, then their grants (verifier, front desk)."""
        grants = [Grant(Role.ADMIN)] if self.is_admin(user_id) else []
        async with self.db.session() as session:
            query = (
                select(RoleGrant).where(RoleGrant.user_id == user_id).order_by(col(RoleGrant.role))
            )
            rows = (await session.exec(query)).all()
        order = {Role.VERIFIER: 0, Role.FRONTDESK: 1, Role.GRID_CONTACT: 2, Role.SUPERVISOR: 3}
        found = [
            Grant(Role(row.role), row.hotel_code, row.grid_code)
            for row in rows
            if row.role in order
        ]
        return grants + sorted(found, key=lambda grant: order[grant.role])

    async def is_verifier(self, user_id: int) -> bool:
        """A verifier by grant (membership of VERIFIER_CHAT_ID is the bot's to check)."""
        return any(grant.role is Role.VERIFIER for grant in await self.roles_of(user_id))

    async def is_supervisor(self, user_id: int) -> bool:
        """Granted the supervisor role (the dashboard's whole street)."""
        return any(grant.role is Role.SUPERVISOR for grant in await self.roles_of(user_id))

    async def contact_grid(self, user_id: int) -> str | None:
        """The grid this person is the grid contact of, if any."""
        for grant in await self.roles_of(user_id):
            if grant.role is Role.GRID_CONTACT:
                return grant.grid_code
        return None

    async def frontdesk_hotel(self, user_id: int) -> str | None:
        """The hotel this person keeps the front desk of, if any."""
        for grant in await self.roles_of(user_id):
            if grant.role is Role.FRONTDESK:
                return grant.hotel_code
        return None

    # granting

    async def grant(
        self,
        user_id: int,
        role: Role | str,
        *,
        hotel_code: str | None = None,
        grid_code: str | None = None,
        granted_by: int | None = None,
    ) -> Grant:
        """Give a role (front desk needs a hotel, a grid contact a grid; granted again, moved)."""
        role = self._grantable(role, hotel_code, grid_code)
        async with self.db.session() as session:
            await self._put(session, user_id, role, hotel_code, grid_code, granted_by)
            await session.commit()
        return _grant(role, hotel_code, grid_code)

    async def revoke(self, user_id: int, role: Role | str) -> bool:
        """Take a role back; False if they did not have it. Admins are revoked in ADMIN_IDS."""
        role = Role(role)
        async with self.db.session() as session:
            query = select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role == role)
            row = (await session.exec(query)).first()
            if row is None:
                return False
            await session.delete(row)
            await session.commit()
        return True

    @staticmethod
    def _grantable(role: Role | str, hotel_code: str | None, grid_code: str | None = None) -> Role:
        role = Role(role)
        if role not in INVITABLE:
            raise ValueError(f"{role} is not granted in the database (see ADMIN_IDS)")
        if role is Role.FRONTDESK and not hotel_code:
            raise ValueError("a front desk belongs to a hotel")
        if role is Role.GRID_CONTACT and not grid_code:
            raise ValueError("a grid contact belongs to a grid")
        return role

    async def _put(
        self,
        session: AsyncSession,
        user_id: int,
        role: Role,
        hotel_code: str | None,
        grid_code: str | None,
        granted_by: int | None,
    ) -> None:
        query = select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.role == role)
        row = (await session.exec(query)).first()
        if row is None:
            row = RoleGrant(user_id=user_id, role=role.value)
        row.hotel_code = hotel_code if role is Role.FRONTDESK else None
        row.grid_code = grid_code if role is Role.GRID_CONTACT else None
        row.granted_by = granted_by
        row.granted_at = self._now()
        session.add(row)

    # inviting

    async def invite(
        self,
        role: Role | str,
        *,
        created_by: int,
        hotel_code: str | None = None,
        grid_code: str | None = None,
        ttl: timedelta | None = None,
    ) -> NewInvitation:
        """A new single-use code for the role, valid for `ttl` (default 72 hours)."""
        role = self._grantable(role, hotel_code, grid_code)
        now = self._now()
        expires_at = now + (ttl if ttl is not None else self.invitation_ttl)
        code = new_code()
        async with self.db.session() as session:
            session.add(
                Invitation(
                    code_hash=_hash(code),
                    role=role.value,
                    hotel_code=hotel_code if role is Role.FRONTDESK else None,
                    grid_code=grid_code if role is Role.GRID_CONTACT else None,
                    created_by=created_by,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            await session.commit()
        made = _grant(role, hotel_code, grid_code)
        return NewInvitation(code, role, made.hotel_code, expires_at, made.grid_code)

    async def accept(self, code: str, user_id: int) -> Grant:
        """Use an invitation: the person gets its role. Raises an InvitationProblem subclass."""
        now = self._now()
        async with self.db.session() as session:
            query = select(Invitation).where(Invitation.code_hash == _hash(code))
            invitation = (await session.exec(query)).first()
            if invitation is None:
                raise InvitationUnknown(code)
            if invitation.used_at is not None:
                raise InvitationUsed(code)
            if as_utc(invitation.expires_at) <= now:
                raise InvitationExpired(code)
            claimed = await session.exec(
                update(Invitation)
                .where(col(Invitation.id) == invitation.id, col(Invitation.used_at).is_(None))
                .values(used_by=user_id, used_at=now)
            )
            if int(claimed.rowcount or 0) != 1:  # someone else opened it a moment ago
                await session.rollback()
                raise InvitationUsed(code)
            role = Role(invitation.role)
            await self._put(
                session,
                user_id,
                role,
                invitation.hotel_code,
                invitation.grid_code,
                invitation.created_by,
            )
            try:
                await session.commit()
            except IntegrityError:  # the same person opened two links at once
                await session.rollback()
                raise InvitationUsed(code) from None
        return _grant(role, invitation.hotel_code, invitation.grid_code)


def _grant(role: Role, hotel_code: str | None, grid_code: str | None) -> Grant:
    """A grant with only the place its role has: a hotel for a front desk, a grid for a contact."""
    return Grant(
        role,
        hotel_code if role is Role.FRONTDESK else None,
        grid_code if role is Role.GRID_CONTACT else None,
    )
