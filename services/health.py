"""What /healthz reports (can we reach the database and Redis) and the figures /metrics reads."""

from __future__ import annotations

import sys
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from redis.asyncio import Redis
from sqlalchemy import exc, func
from sqlmodel import col, select

from services.models import Notification, Ticket
from services.outbox import UNDELIVERED, Priority
from services.storage import Database
from services.tickets import OPEN


def database_unreachable(error: BaseException) -> bool:
    """The database cannot be reached (stopped, restarting, the network): the step can be sent
    again in a moment, and nothing of it was kept (its transaction never committed)."""
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig if error.orig is not None else error
    plain = (OSError, exc.OperationalError, exc.InterfaceError)  # OSError: refused, reset, ...
    return isinstance(error, plain + _asyncpg_connection_errors())


def _asyncpg_connection_errors() -> tuple[type[BaseException], ...]:
    """asyncpg's connection errors, if SQLAlchemy loaded it (only for PostgreSQL): importing it
    for a SQLite deployment would cost 3 MB for errors that cannot happen."""
    asyncpg: Any = sys.modules.get("asyncpg")
    if asyncpg is None:
        return ()
    return (
        asyncpg.PostgresConnectionError,
        asyncpg.InterfaceError,
        asyncpg.CannotConnectNowError,
    )


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


@dataclass(frozen=True)
class OperationalFigures:
    """Counts an operator watches (bot/metrics.py): no names, no texts."""

    undelivered_by_priority: dict[int, int]
    oldest_undelivered_seconds: float
    notifications_by_state: dict[str, int]
    tickets_by_state: dict[str, int]
    tickets_overdue: int


async def operational_figures(db: Database, now: datetime) -> OperationalFigures:
    async with db.session() as session:
        undelivered = col(Notification.state).in_(UNDELIVERED)
        by_priority = await session.exec(
            select(Notification.priority, func.count())
            .where(undelivered)
            .group_by(col(Notification.priority))
        )
        depth = dict.fromkeys((int(p) for p in Priority), 0) | dict(by_priority.all())
        oldest = (
            await session.exec(select(func.min(Notification.created_at)).where(undelivered))
        ).one()
        by_state = await session.exec(
            select(Notification.state, func.count()).group_by(col(Notification.state))
        )
        tickets = await session.exec(
            select(Ticket.status, func.count()).group_by(col(Ticket.status))
        )
        overdue = await session.exec(
            select(func.count())
            .select_from(Ticket)
            .where(col(Ticket.status).in_(OPEN))
            .where(col(Ticket.escalation_level) > 0)
        )
        waited = 0.0
        if oldest is not None:
            since = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            waited = max(0.0, (now - since).total_seconds())
        return OperationalFigures(
            undelivered_by_priority=depth,
            oldest_undelivered_seconds=waited,
            notifications_by_state=dict(by_state.all()),
            tickets_by_state=dict(tickets.all()),
            tickets_overdue=int(overdue.one()),
        )
