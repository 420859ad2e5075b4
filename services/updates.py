"""Each Telegram update is handled once, even when Telegram delivers it again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from services.models import ProcessedUpdate, utcnow
from services.storage import Database

KEEP_FOR = timedelta(days=2)
PRUNE_EVERY = 1000


class UpdateLog:
    """Claims update ids in the database, so the claim holds across restarts and processes."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._claims_since_prune = 0

    async def claim(self, update_id: int) -> bool:
        """True the first time an update id is seen, False for a redelivery."""
        async with self.db.session() as session:
            session.add(ProcessedUpdate(update_id=update_id))
            try:
                await session.commit()
            except IntegrityError:
                return False
        self._claims_since_prune += 1
        if self._claims_since_prune >= PRUNE_EVERY:
            self._claims_since_prune = 0
            await self.prune()
        return True

    async def prune(self) -> int:
        """Forget ids older than Telegram would ever redeliver."""
        cutoff = utcnow() - KEEP_FOR
        async with self.db.session() as session:
            result = await session.exec(
                delete(ProcessedUpdate).where(col(ProcessedUpdate.received_at) < cutoff)
            )
            await session.commit()
            return int(result.rowcount or 0)
