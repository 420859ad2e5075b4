"""Each Telegram update is handled once, even when Telegram delivers it again.

A claim is held while a process handles the update and marked done at the end. Telegram
delivers an update again when it got no answer, e.g. because the process handling it was
killed: then the claim is not done, and once it is older than the lease another process
takes it over, so a crash neither loses the update nor lets two processes handle it at once.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from services.models import ProcessedUpdate, utcnow
from services.storage import Database

KEEP_FOR = timedelta(days=2)
PRUNE_EVERY = 1000


class Claim(enum.Enum):
    TAKEN = "taken"  # handle it now
    TAKEN_OVER = "taken over"  # its process died while handling it: handle it, if not done
    DONE = "done"  # handled already: a redelivery
    BUSY = "busy"  # another process is handling it right now


class UpdateLog:
    """Claims update ids in the database, so the claim holds across restarts and processes."""

    def __init__(self, db: Database, lease: timedelta = timedelta(seconds=60)) -> None:
        self.db = db
        self.lease = lease
        self._claims_since_prune = 0

    async def claim(self, update_id: int) -> Claim:
        async with self.db.session() as session:
            session.add(ProcessedUpdate(update_id=update_id))
            try:
                await session.commit()
            except IntegrityError:
                await session.rollback()
                return await self._take_over(update_id)
        self._claims_since_prune += 1
        if self._claims_since_prune >= PRUNE_EVERY:
            self._claims_since_prune = 0
            await self.prune()
        return Claim.TAKEN

    async def _take_over(self, update_id: int) -> Claim:
        """A claim exists: done, fresh (someone is at it), or stale (its process died)."""
        now = utcnow()
        async with self.db.session() as session:
            result = await session.exec(
                update(ProcessedUpdate)
                .where(col(ProcessedUpdate.update_id) == update_id)
                .where(col(ProcessedUpdate.done).is_(False))
                .where(col(ProcessedUpdate.received_at) < now - self.lease)
                .values(received_at=now)
            )
            await session.commit()
            if result.rowcount:
                return Claim.TAKEN_OVER
            done = await session.exec(
                select(ProcessedUpdate.done).where(ProcessedUpdate.update_id == update_id)
            )
            return Claim.DONE if done.first() is not False else Claim.BUSY

    async def finish(self, update_id: int) -> None:
        async with self.db.session() as session:
            await session.exec(
                update(ProcessedUpdate)
                .where(col(ProcessedUpdate.update_id) == update_id)
                .values(done=True)
            )
            await session.commit()

    async def prune(self) -> int:
        """Forget ids older than Telegram would ever redeliver."""
        cutoff = utcnow() - KEEP_FOR
        async with self.db.session() as session:
            result = await session.exec(
                delete(ProcessedUpdate).where(col(ProcessedUpdate.received_at) < cutoff)
            )
            await session.commit()
            return int(result.rowcount or 0)
