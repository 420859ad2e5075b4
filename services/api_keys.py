"""API keys for city systems that file requests through Open311.

A key is 32 random bytes (url-safe base64), shown once when made; only its SHA-256 is stored,
as with role invitations (services/roles.py), so a copy of the database files nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import col, select

from services.models import ApiKey, utcnow
from services.storage import Database

KEY_BYTES = 32
NAME_LIMIT = 64


class ApiKeyError(Exception):
    """A key that cannot be made or revoked; the message says why."""


@dataclass(frozen=True)
class Client:
    """Who a valid key belongs to."""

    key_id: int
    name: str


def key_hash(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


class ApiKeys:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, name: str) -> str:
        """A new key for `name` (unique among keys ever made); returns the key itself."""
        name = name.strip()
        if not name or len(name) > NAME_LIMIT:
            raise ApiKeyError(f"a client's name is 1 to {NAME_LIMIT} characters")
        key = secrets.token_urlsafe(KEY_BYTES)
        async with self.db.session() as session:
            taken = await session.exec(select(ApiKey.id).where(ApiKey.name == name))
            if taken.first() is not None:
                raise ApiKeyError(f"there is already a key named {name!r}")
            session.add(ApiKey(name=name, key_hash=key_hash(key)))
            await session.commit()
        return key

    async def list(self) -> list[ApiKey]:
        async with self.db.session() as session:
            return list(await session.exec(select(ApiKey).order_by(col(ApiKey.id))))

    async def revoke(self, name: str) -> None:
        async with self.db.session() as session:
            found = (await session.exec(select(ApiKey).where(ApiKey.name == name))).first()
            if found is None:
                raise ApiKeyError(f"there is no key named {name!r}")
            if found.revoked_at is None:
                found.revoked_at = utcnow()
                session.add(found)
                await session.commit()

    async def client(self, key: str) -> Client | None:
        """The client a key belongs to; None for an unknown or revoked key."""
        if not key.strip():
            return None
        async with self.db.session() as session:
            rows = await session.exec(
                select(ApiKey)
                .where(ApiKey.key_hash == key_hash(key))
                .where(col(ApiKey.revoked_at).is_(None))
            )
            found = rows.first()
        if found is None or found.id is None:
            return None
        return Client(found.id, found.name)
