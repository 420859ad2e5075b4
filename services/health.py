"""What /healthz reports: can we reach the database and Redis."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from services.storage import Database


@dataclass(frozen=True)
class Health:
    database: str  # "ok" or "error: …"
    redis: str  # "ok", "absent" (not configured) or "error: …"
    version: str

    @property
    def ok(self) -> bool:
        return self.database == "ok" and self.redis in ("ok", "absent")


async def check_health(db: Database, redis: Redis | None, version: str) -> Health:
    try:
        await db.ping()
        database = "ok"
    except Exception as error:  # any failure is a finding, not a crash
        database = f"error: {type(error).__name__}"
    if redis is None:
        redis_state = "absent"
    else:
        try:
            await cast(Awaitable[bool], redis.ping())  # redis 7 types it sync-or-async
            redis_state = "ok"
        except Exception as error:
            redis_state = f"error: {type(error).__name__}"
    return Health(database=database, redis=redis_state, version=version)
