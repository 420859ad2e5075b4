"""The chats where each person was seen acting as staff: where the dashboard's sign-in asks.

A city routes to thousands of grid chats; asking Telegram about each (getChatMember) when
someone signs in to the dashboard would be thousands of calls. Instead, every time the
authorization model finds someone to be staff of a chat (they took a ticket, answered a
resident, asked for /stats there...), that chat is noted here for them, at most once an hour
per person and chat. Signing in asks Telegram only about those chats (the most recent first, a
bounded number), plus the few chats that are always asked (services.dashboard_access). A note
grants nothing: each chat is verified with getChatMember at sign-in, and again (cached briefly)
at every request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, delete, select

from services.models import StaffSighting, utcnow
from services.storage import Database

__all__ = ["SIGHTINGS_KEPT", "StaffSightings"]

log = logging.getLogger(__name__)

SIGHTINGS_KEPT = timedelta(days=180)  # a chat not acted in for this long is not asked
NOTE_EVERY = timedelta(hours=1)  # per person and chat: the database is written at most this often
PURGE_EVERY = timedelta(days=1)
REMEMBERED = 50_000  # (person, chat) pairs whose last note is held in memory


class StaffSightings:
    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock
        self._noted: dict[tuple[int, int], datetime] = {}
        self._writing: set[asyncio.Task[Any]] = set()
        self._purged_at: datetime | None = None

    def saw(self, chat_id: int, user_id: int) -> None:
        """The person acted as staff of the chat just now: noted in the background (the action
        does not wait for it), and not again for an hour."""
        now = self.clock()
        key = (user_id, chat_id)
        last = self._noted.get(key)
        if last is not None and now - last < NOTE_EVERY:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if len(self._noted) >= REMEMBERED:
            self._noted.clear()
        self._noted[key] = now
        self._background(loop, self.record(chat_id, user_id, now))
        if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
            self._purged_at = now  # old notes go once a day, with a note's write
            self._background(loop, self.purge(now))

    def _background(self, loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, Any]) -> None:
        task = loop.create_task(work)
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def settled(self) -> None:
        """Wait for the notes being written (sign-in, and tests, read them right after)."""
        while self._writing:
            await asyncio.gather(*list(self._writing), return_exceptions=True)

    async def record(self, chat_id: int, user_id: int, at: datetime | None = None) -> None:
        moment = at or self.clock()
        try:
            async with self.db.session() as session:
                found = await session.get(StaffSighting, (user_id, chat_id))
                if found is None:
                    session.add(StaffSighting(user_id=user_id, chat_id=chat_id, seen_at=moment))
                else:
                    found.seen_at = moment
                    session.add(found)
                await session.commit()
        except IntegrityError:  # noted by another process at the same moment: as good
            pass
        except Exception:  # a note is a hint: the action it came from goes on
            log.exception("staff sighting of user %s in chat %s not recorded", user_id, chat_id)

    async def chats_of(self, user_id: int, limit: int) -> list[int]:
        """The chats the person acted in as staff lately, the most recent first."""
        await self.settled()
        since = self.clock() - SIGHTINGS_KEPT
        query = (
            select(StaffSighting.chat_id)
            .where(StaffSighting.user_id == user_id, col(StaffSighting.seen_at) >= since)
            .order_by(col(StaffSighting.seen_at).desc())
            .limit(limit)
        )
        async with self.db.session() as session:
            return [int(chat) for chat in (await session.exec(query)).all()]

    async def purge(self, now: datetime | None = None) -> int:
        """Notes older than SIGHTINGS_KEPT, which no sign-in reads any more."""
        before = (now or self.clock()) - SIGHTINGS_KEPT
        try:
            async with self.db.session() as session:
                result = await session.exec(
                    delete(StaffSighting).where(col(StaffSighting.seen_at) < before)
                )
                await session.commit()
                return int(result.rowcount or 0)
        except Exception:  # tried again with tomorrow's first note
            log.exception("old staff sightings not deleted")
            return 0
