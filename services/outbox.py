"""The transactional outbox: every notification a person must get, and where it stands.

A notification is a Bot API call (method and JSON parameters) kept as data, so the domain never
touches Telegram. States: pending (written, not yet on the queue) → queued → delivered, or dead
(gave up; an admin may retry it), or unreachable (the person blocked the bot).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.models import Notification, Person, utcnow
from services.storage import Database

PENDING, QUEUED, DELIVERED, DEAD, UNREACHABLE = (
    "pending",
    "queued",
    "delivered",
    "dead",
    "unreachable",
)
UNDELIVERED = (PENDING, QUEUED)
INLINE_FILE = "base64:"  # a file the bot made (a certificate card), kept in the row itself


def inline_file(data: bytes) -> str:
    return INLINE_FILE + base64.b64encode(data).decode()


class Priority(IntEnum):
    URGENT = 0  # a person is waiting: a staff reply, a decision, a certificate
    NORMAL = 1  # new tickets and applications for staff
    BULK = 2  # digests, reminders


@dataclass(frozen=True)
class Outgoing:
    """What to send: a Bot API method with its parameters (chat_id is added)."""

    chat_id: int
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    priority: Priority = Priority.NORMAL
    reference: str | None = None

    @classmethod
    def text(cls, chat_id: int, text: str, **kwargs: Any) -> Outgoing:
        priority = kwargs.pop("priority", Priority.NORMAL)
        reference = kwargs.pop("reference", None)
        return cls(chat_id, "sendMessage", {"text": text, **kwargs}, priority, reference)


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._written = asyncio.Event()

    def add(self, session: AsyncSession, outgoing: Outgoing) -> Notification:
        """Stage a notification in the caller's transaction; it exists once they commit."""
        notification = Notification(
            chat_id=outgoing.chat_id,
            method=outgoing.method,
            params={**outgoing.params, "chat_id": outgoing.chat_id},
            priority=int(outgoing.priority),
            reference=outgoing.reference,
        )
        session.add(notification)
        self._written.set()
        return notification

    async def send(self, *outgoing: Outgoing) -> list[int]:
        """Write notifications in a transaction of their own; returns their ids."""
        async with self.db.session() as session:
            rows = [self.add(session, item) for item in outgoing]
            await session.commit()
            return [row.id for row in rows if row.id is not None]

    async def wait_for_writes(self, within: float) -> None:
        """Let the relay sleep until something is written here (other processes: poll)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._written.wait(), within)
        self._written.clear()

    async def pending(self, limit: int = 500) -> list[Notification]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(Notification)
                .where(Notification.state == PENDING)
                .order_by(col(Notification.id))
                .limit(limit)
            )
            return list(rows)

    async def mark_queued(self, ids: list[int]) -> None:
        await self._update(ids, {"state": QUEUED, "queued_at": utcnow()}, only=(PENDING,))

    async def requeue_stale(self, older_than: timedelta) -> int:
        """Queued long ago and still undelivered: the queue may have lost it (Redis flushed)."""
        async with self.db.session() as session:
            result = await session.exec(
                update(Notification)
                .where(col(Notification.state) == QUEUED)
                .where(col(Notification.queued_at) < utcnow() - older_than)
                .values(state=PENDING)
            )
            await session.commit()
            return int(result.rowcount or 0)

    async def undelivered_for_chat(self, chat_id: int, up_to: int) -> list[Notification]:
        """This chat's notifications not yet delivered, up to id `up_to`, oldest first."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(Notification)
                .where(Notification.chat_id == chat_id)
                .where(col(Notification.state).in_(UNDELIVERED))
                .where(col(Notification.id) <= up_to)
                .order_by(col(Notification.id))
            )
            return list(rows)

    async def mark_delivered(self, notification_id: int, message_id: int | None) -> bool:
        """False when it was no longer undelivered (someone else delivered it)."""
        values = {"state": DELIVERED, "delivered_at": utcnow(), "telegram_message_id": message_id}
        return await self._update([notification_id], values, only=UNDELIVERED) == 1

    async def record_failure(self, notification_id: int, error: str) -> int:
        """Count a failed attempt; returns the attempts so far."""
        async with self.db.session() as session:
            row = await session.get(Notification, notification_id)
            if row is None:
                return 0
            row.attempts += 1
            row.last_error = error[:500]
            session.add(row)
            await session.commit()
            return row.attempts

    async def give_up(self, notification_id: int, error: str) -> None:
        await self._update([notification_id], {"state": DEAD, "last_error": error[:500]})

    async def mark_unreachable(self, notification_id: int, chat_id: int, error: str) -> None:
        """The person blocked the bot: stop trying, and remember it on the person."""
        await self._update([notification_id], {"state": UNREACHABLE, "last_error": error[:500]})
        async with self.db.session() as session:
            person = await session.get(Person, chat_id)
            if person is not None and person.unreachable_since is None:
                person.unreachable_since = utcnow()
                session.add(person)
                await session.commit()
            elif person is None and chat_id > 0:
                session.add(Person(telegram_id=chat_id, unreachable_since=utcnow()))
                await session.commit()

    async def dead_letters(self, limit: int = 20) -> list[Notification]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(Notification)
                .where(col(Notification.state).in_((DEAD, UNREACHABLE)))
                .order_by(col(Notification.id).desc())
                .limit(limit)
            )
            return list(rows)

    async def retry(self, notification_id: int) -> bool:
        """An admin's second chance for a dead letter; False if it was not one."""
        values = {"state": PENDING, "attempts": 0, "last_error": None}
        changed = await self._update([notification_id], values, only=(DEAD, UNREACHABLE))
        if changed:
            self._written.set()
        return changed == 1

    async def counts(self) -> dict[str, int]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(Notification.state, func.count()).group_by(col(Notification.state))
            )
            return dict(rows.all())

    async def _update(
        self, ids: list[int], values: dict[str, Any], only: tuple[str, ...] | None = None
    ) -> int:
        if not ids:
            return 0
        statement = update(Notification).where(col(Notification.id).in_(ids)).values(**values)
        if only is not None:
            statement = statement.where(col(Notification.state).in_(only))
        async with self.db.session() as session:
            result = await session.exec(statement)
            await session.commit()
            return int(result.rowcount or 0)
