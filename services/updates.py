"""Each Telegram update is handled once, even when Telegram delivers it again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from services.batching import GroupCommit
from services.models import ProcessedUpdate, utcnow
from services.storage import Database

KEEP_FOR = timedelta(days=2)
PRUNE_EVERY = 1000


class UpdateLog:
    """Claims update ids in the database, so the claim holds across restarts and processes.

    Updates that arrive together are claimed in one INSERT … ON CONFLICT DO NOTHING RETURNING
    (services.batching), rather than a transaction each.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._claims_since_prune = 0
        self._claims = GroupCommit(self._claim_all)

    async def claim(self, update_id: int) -> bool:
        """True the first time an update id is seen, False for a redelivery."""
        if not await self._claims(update_id):
            return False
        self._claims_since_prune += 1
        if self._claims_since_prune >= PRUNE_EVERY:
            self._claims_since_prune = 0
            await self.prune()
        return True

    async def _claim_all(self, update_ids: list[int]) -> list[bool]:
        """Claim several ids at once; an id twice in the batch is claimed by its first."""
        insert = sqlite.insert if self.db.is_sqlite else postgresql.insert
        now = utcnow()
        statement = (
            insert(ProcessedUpdate)
            .values([{"update_id": n, "received_at": now} for n in dict.fromkeys(update_ids)])
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

    async def prune(self) -> int:
        """Forget ids older than Telegram would ever redeliver."""
        cutoff = utcnow() - KEEP_FOR
        async with self.db.session() as session:
            result = await session.exec(
                delete(ProcessedUpdate).where(col(ProcessedUpdate.received_at) < cutoff)
            )
            await session.commit()
            return int(result.rowcount or 0)
