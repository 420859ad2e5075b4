"""The transactional outbox: every notification a person must get, and where it stands.

A notification is a Bot API call (method and JSON parameters) kept as data, so the domain never
touches Telegram. States: pending (written, not yet on the queue) → queued → delivered, or dead
(gave up; an admin may retry it), or unreachable (the person blocked the bot), or withdrawn (the
personal data it carried was purged before it went out).

A notification that carries personal data (a verifier's card with a document number) is sealed:
its parameters are kept encrypted with the data key (services.privacy), in the row and so in
everything that copies it, and only the sender opens them, just before the Bot API call. The
queue never holds parameters at all (services.queue). When the data is purged, the rows about it
are wiped (`wipe`).

Handed over in memory: while a sender runs in this process on an in-process queue (embedded
mode), a row is written already "queued" and, once its transaction commits, handed to that
queue as it is (`handoff`), so nothing polls for it and nothing reads it back. Should the
process die before it is delivered, the row waits as "queued" and the relay's sweep
(`requeue_stale`) puts it back; another process's rows, and every row in Redis mode, go the
relay's way: written pending, read, queued.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any, Protocol

from sqlalchemy import BigInteger, DateTime, case, event, func, literal, update
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.batching import GroupCommit
from services.models import Notification, Person, utcnow
from services.outbox_files import FileStore, file_refs
from services.privacy import FieldCipher
from services.storage import Database

PENDING, QUEUED, DELIVERED, DEAD, UNREACHABLE, WITHDRAWN = (
    "pending",
    "queued",
    "delivered",
    "dead",
    "unreachable",
    "withdrawn",
)
UNDELIVERED = (PENDING, QUEUED)
INLINE_FILE = "base64:"  # a file the bot made (a certificate card), as handed to `add`
SEALED = "sealed"  # the parameters, encrypted: {"chat_id": …, "sealed": token}
TO_HAND = "outbox: to hand over"  # session.info: rows to hand over once it commits


class Handoff(Protocol):
    """An in-process queue that takes committed rows as they are (services.queue)."""

    def hold(self, rows: list[Notification]) -> None:
        """Flushed, not yet committed: a sender reading back its chat must leave them."""

    def hand_over(self, rows: list[Notification]) -> None:
        """Committed: to be sent as they are."""

    def drop(self, rows: list[Notification]) -> None:
        """Rolled back: they never existed."""


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
    sealed: bool = False  # carries personal data: encrypted until the sender opens it

    @classmethod
    def text(cls, chat_id: int, text: str, **kwargs: Any) -> Outgoing:
        priority = kwargs.pop("priority", Priority.NORMAL)
        reference = kwargs.pop("reference", None)
        return cls(chat_id, "sendMessage", {"text": text, **kwargs}, priority, reference)


@dataclass(frozen=True)
class SentMessage:
    """A delivered notification as the message it became in Telegram."""

    chat_id: int
    message_id: int
    method: str
    sealed: bool  # it carried personal data


class Outbox:
    """Reads and records for the senders go through group commits (services.batching): the
    chat tasks of a busy sender share one query for what to send and one transaction for what
    was sent, instead of one each per message. Each still waits for its own answer, so a
    notification is recorded as delivered as soon as before, or sooner under load."""

    def __init__(
        self, db: Database, cipher: FieldCipher | None = None, files: FileStore | None = None
    ) -> None:
        self.db = db
        self.cipher = cipher  # seals and opens notifications that carry personal data
        self.files = files  # where made files (cards) wait for the sender; else in the row
        self._written = asyncio.Event()
        self._undelivered = GroupCommit(self._undelivered_for_chats)
        self._deliveries = GroupCommit(self._mark_all_delivered)
        # set by a sender running here on an in-process queue: committed rows go straight to it
        self.handoff: Handoff | None = None

    def add(self, session: AsyncSession, outgoing: Outgoing) -> Notification:
        """Stage a notification in the caller's transaction; it exists once they commit."""
        params = self._store_files({**outgoing.params, "chat_id": outgoing.chat_id})
        if outgoing.sealed:
            sealed = self._cipher().encrypt(json.dumps(params, ensure_ascii=False))
            params = {"chat_id": outgoing.chat_id, SEALED: sealed}
        notification = Notification(
            chat_id=outgoing.chat_id,
            method=outgoing.method,
            params=params,
            priority=int(outgoing.priority),
            reference=outgoing.reference,
        )
        session.add(notification)
        if self.handoff is None:
            self._written.set()
        else:
            notification.state, notification.queued_at = QUEUED, utcnow()
            self._hand_over_on_commit(session, notification, self.handoff)
        return notification

    @staticmethod
    def _hand_over_on_commit(
        session: AsyncSession, notification: Notification, handoff: Handoff
    ) -> None:
        """The row goes to `handoff` once the transaction commits; a rollback drops it.

        It is held from its flush on, before anyone else can see it committed.
        """
        info = session.sync_session.info
        if TO_HAND not in info:
            info[TO_HAND] = []

            def flushed(_session: Session, _context: Any) -> None:
                handoff.hold([row for row in info[TO_HAND] if row.id is not None])

            def committed(_session: Session) -> None:
                rows, info[TO_HAND] = info[TO_HAND], []
                if rows:
                    handoff.hand_over(rows)

            def rolled_back(_session: Session, _previous: Any) -> None:
                rows, info[TO_HAND] = info[TO_HAND], []
                handoff.drop([row for row in rows if row.id is not None])

            event.listen(session.sync_session, "after_flush_postexec", flushed)
            event.listen(session.sync_session, "after_commit", committed)
            event.listen(session.sync_session, "after_soft_rollback", rolled_back)
        info[TO_HAND].append(notification)

    def opened(self, notification: Notification) -> dict[str, Any]:
        """The Bot API parameters as written: a sealed notification's decrypted."""
        if SEALED not in notification.params:
            return dict(notification.params)
        opened: dict[str, Any] = json.loads(self._cipher().decrypt(notification.params[SEALED]))
        return opened

    def _store_files(self, params: dict[str, Any]) -> dict[str, Any]:
        """Made files (base64 in `params`, also inside an InputMedia) go to the file store."""
        if self.files is None:
            return params
        stored: dict[str, Any] = {}
        for key, value in params.items():
            if isinstance(value, str) and value.startswith(INLINE_FILE):
                value = self.files.put(base64.b64decode(value[len(INLINE_FILE) :]))
            elif isinstance(value, dict):
                value = self._store_files(value)
            stored[key] = value
        return stored

    def load_file(self, reference: str) -> bytes:
        """A stored file's bytes, for the sender."""
        if self.files is None:
            raise RuntimeError("this outbox keeps no files")
        return self.files.get(reference)

    async def files_still_needed(self) -> set[str]:
        """The stored files that notifications not yet delivered (or dead, for a retry) name."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(Notification).where(
                    col(Notification.state).in_((*UNDELIVERED, DEAD, UNREACHABLE))
                )
            )
            needed: set[str] = set()
            for row in rows:
                try:
                    needed.update(file_refs(self.opened(row)))
                except Exception:  # a row sealed with a key no longer held: send can't either
                    continue
            return needed

    def _cipher(self) -> FieldCipher:
        if self.cipher is None:
            raise RuntimeError("this outbox has no data key: it can neither seal nor open")
        return self.cipher

    async def wipe(
        self, session: AsyncSession, reference: str, *, sealed_only: bool = False
    ) -> list[SentMessage]:
        """Forget what the notifications about `reference` said, in the caller's transaction.

        Their parameters are emptied (the chat stays); those not yet delivered are withdrawn,
        never to be sent. `sealed_only` touches only the ones that carried personal data.
        Returns the messages the delivered ones became, to edit them.
        """
        rows = await session.exec(select(Notification).where(Notification.reference == reference))
        wiped = [row for row in rows if SEALED in row.params or not sealed_only]
        delivered = [
            SentMessage(row.chat_id, row.telegram_message_id, row.method, SEALED in row.params)
            for row in wiped
            if row.state == DELIVERED and row.telegram_message_id is not None
        ]
        for row in wiped:
            if row.params != {"chat_id": row.chat_id}:
                row.params = {"chat_id": row.chat_id}
                session.add(row)
            if row.state in UNDELIVERED:
                row.state, row.last_error = WITHDRAWN, "its personal data was purged"
                session.add(row)
        await session.flush()
        return delivered

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
        return await self._undelivered((chat_id, up_to))

    async def _undelivered_for_chats(
        self, wanted: list[tuple[int, int]]
    ) -> list[list[Notification]]:
        """One query for several chats' `undelivered_for_chat`."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(Notification)
                .where(col(Notification.chat_id).in_({chat for chat, _up_to in wanted}))
                .where(col(Notification.state).in_(UNDELIVERED))
                .where(col(Notification.id) <= max(up_to for _chat, up_to in wanted))
                .order_by(col(Notification.id))
            )
            found = list(rows)
        return [
            [row for row in found if row.chat_id == chat and row.id <= up_to]  # type: ignore[operator]
            for chat, up_to in wanted
        ]

    async def mark_delivered(self, notification_id: int, message_id: int | None) -> bool:
        """False when it was no longer undelivered (someone else delivered it).

        Returns once the record is committed. Records that arrive together (several chat tasks
        got Telegram's answer during one commit) share the next transaction, so the window in
        which a sent message is not yet recorded (a crash there sends it again) is never longer
        than one commit plus the one before it, the same bound as one commit per message had
        under load, where each waited for the others' commits anyway.
        """
        return await self._deliveries((notification_id, message_id, utcnow()))

    async def _mark_all_delivered(
        self, deliveries: list[tuple[int, int | None, datetime]]
    ) -> list[bool]:
        """One UPDATE … RETURNING for several `mark_delivered`."""
        ids = [notification_id for notification_id, _message, _at in deliveries]
        notification_id = col(Notification.id)
        statement = (
            update(Notification)
            .where(notification_id.in_(ids))
            .where(col(Notification.state).in_(UNDELIVERED))
            .values(
                state=DELIVERED,
                delivered_at=case(
                    {n: literal(at, DateTime(timezone=True)) for n, _m, at in deliveries},
                    value=notification_id,
                ),
                telegram_message_id=case(
                    {n: literal(m, BigInteger()) for n, m, _at in deliveries},
                    value=notification_id,
                ),
            )
            .returning(notification_id)
            .execution_options(synchronize_session=False)
        )
        async with self.db.session() as session:
            result = await session.exec(statement)
            changed = set(result.scalars().all())
            await session.commit()
        return [n in changed for n in ids]

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
