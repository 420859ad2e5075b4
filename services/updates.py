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
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from services.batching import GroupCommit
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
    """Claims update ids in the database, so the claim holds across restarts and processes.

    Updates that arrive together are claimed in one INSERT … ON CONFLICT DO NOTHING RETURNING
    and marked done in one UPDATE (services.batching), rather than a transaction each.
    """

    def __init__(self, db: Database, lease: timedelta = timedelta(seconds=60)) -> None:
        self.db = db
        self.lease = lease
        self._claims_since_prune = 0
        self._claims = GroupCommit(self._claim_all)
        self._finishes = GroupCommit(self._finish_all)

    async def claim(self, update_id: int) -> Claim:
        if not await self._claims(update_id):
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
        await self._finishes(update_id)

    async def _finish_all(self, update_ids: list[int]) -> list[None]:
        """Mark several ids done in one UPDATE (services.batching)."""
        statement = (
            update(ProcessedUpdate)
            .where(col(ProcessedUpdate.update_id).in_(set(update_ids)))
            .values(done=True)
        )
        async with self.db.engine.begin() as connection:
            await connection.execute(statement)
        return [None] * len(update_ids)

    async def _claim_all(self, update_ids: list[int]) -> list[bool]:
        """Claim several ids at once; an id twice in the batch is claimed by its first."""
        insert = sqlite.insert if self.db.is_sqlite else postgresql.insert
        now = utcnow()
        statement = (
            insert(ProcessedUpdate)
            .values(
                [
                    {"update_id": n, "received_at": now, "done": False}
                    for n in dict.fromkeys(update_ids)
                ]
            )
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(col(ProcessedUpdate.update_id))
        )
        async with self.db.engine.begin() as connection:
            claimed = set((await connection.execute(statement)).scalars())
        answers = []
        for update_id in update_ids:
            answers.append(update_id in claimed)
            claimed.discard(update_id)
        return answers

    async def prune(self, keep_for: timedelta = KEEP_FOR) -> int:
        """Forget ids older than Telegram would ever redeliver (it keeps an update 24 hours)."""
        cutoff = utcnow() - keep_for
        async with self.db.session() as session:
            result = await session.exec(
                delete(ProcessedUpdate).where(col(ProcessedUpdate.received_at) < cutoff)
            )
            await session.commit()
            return int(result.rowcount or 0)
