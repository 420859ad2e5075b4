"""What staff keep per chat besides tickets: who works there, canned replies, banned residents.

The caller has asked services/authorization who may change them; this module only keeps them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from sqlmodel import col, select

from services.models import ChatWorker, ReplyTemplate, ResidentBan, utcnow
from services.storage import Database

TITLE_LIMIT = 64
BODY_LIMIT = 2000


@dataclass(frozen=True)
class Worker:
    user_id: int
    name: str


class WorkerRoster:
    """Anyone who has pressed a staff button in a chat is someone a ticket can be assigned to."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def seen(self, chat_id: int, user_id: int, name: str) -> None:
        async with self.db.session() as session:
            worker = await session.get(ChatWorker, (chat_id, user_id))
            if worker is None:
                worker = ChatWorker(chat_id=chat_id, user_id=user_id, name=name)
            worker.name, worker.seen_at = name, utcnow()
            session.add(worker)
            await session.commit()

    async def of_chat(self, chat_id: int, limit: int = 30) -> list[Worker]:
        """Most recently active first."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(ChatWorker)
                .where(ChatWorker.chat_id == chat_id)
                .order_by(col(ChatWorker.seen_at).desc())
                .limit(limit)
            )
            return [Worker(row.user_id, row.name) for row in rows]


class ReplyTemplates:
    """A staff chat's canned replies."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, chat_id: int, title: str, body: str, by: int) -> ReplyTemplate:
        title, body = title.strip(), body.strip()
        if not title or len(title) > TITLE_LIMIT or not body or len(body) > BODY_LIMIT:
            raise ValueError("a template needs a title (up to 64) and words (up to 2000)")
        async with self.db.session() as session:
            template = ReplyTemplate(chat_id=chat_id, title=title, body=body, created_by=by)
            session.add(template)
            await session.commit()
            await session.refresh(template)
            return template

    async def of_chat(self, chat_id: int) -> list[ReplyTemplate]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(ReplyTemplate)
                .where(ReplyTemplate.chat_id == chat_id)
                .order_by(col(ReplyTemplate.id))
            )
            return list(rows)

    async def get(self, chat_id: int, template_id: int) -> ReplyTemplate | None:
        """The template, only if it belongs to that chat."""
        async with self.db.session() as session:
            template = await session.get(ReplyTemplate, template_id)
            return template if template is not None and template.chat_id == chat_id else None

    async def remove(self, chat_id: int, template_id: int) -> bool:
        async with self.db.session() as session:
            template = await session.get(ReplyTemplate, template_id)
            if template is None or template.chat_id != chat_id:
                return False
            await session.delete(template)
            await session.commit()
            return True


def fill(body: str, name: str, number: str) -> str:
    """A template's words with the resident's name and the request's number put in."""
    return body.replace("{name}", name).replace("{number}", number)


class Bans:
    """Residents whose messages no longer open tickets.

    Every message to the report form asks whether its sender is banned; the banned ids are
    kept in memory and read again at most every `recheck_seconds`, so that question costs no
    database round trip. A ban or unban made here counts at once; one made through another
    process sharing the database, within `recheck_seconds`.
    """

    def __init__(self, db: Database, recheck_seconds: float = 5.0) -> None:
        self.db = db
        self.recheck_seconds = recheck_seconds
        self._banned: set[int] = set()
        self._read_at: float | None = None
        self._reading = asyncio.Lock()

    async def may_be_banned(self, resident_id: int) -> bool:
        """False: not banned (as of `recheck_seconds` ago); True: ask `of` for the ban."""
        if self._read_at is None or time.monotonic() - self._read_at > self.recheck_seconds:
            async with self._reading:
                if self._read_at is None or time.monotonic() - self._read_at > self.recheck_seconds:
                    async with self.db.session() as session:
                        rows = await session.exec(select(ResidentBan.resident_id))
                        self._banned = set(rows)
                    self._read_at = time.monotonic()
        return resident_id in self._banned

    async def ban(
        self, resident_id: int, reason: str, ticket_number: str, by: int, by_name: str
    ) -> None:
        async with self.db.session() as session:
            ban = await session.get(ResidentBan, resident_id) or ResidentBan(
                resident_id=resident_id
            )
            ban.reason, ban.ticket_number = reason.strip()[:500], ticket_number
            ban.banned_by, ban.banned_by_name, ban.banned_at = by, by_name, utcnow()
            ban.told = False
            session.add(ban)
            await session.commit()
        self._banned.add(resident_id)

    async def unban(self, resident_id: int) -> bool:
        async with self.db.session() as session:
            ban = await session.get(ResidentBan, resident_id)
            if ban is None:
                self._banned.discard(resident_id)
                return False
            await session.delete(ban)
            await session.commit()
        self._banned.discard(resident_id)
        return True

    async def of(self, resident_id: int) -> ResidentBan | None:
        async with self.db.session() as session:
            return await session.get(ResidentBan, resident_id)

    async def tell_once(self, resident_id: int) -> ResidentBan | None:
        """The ban, the first time it is asked about; None once the person has been told."""
        async with self.db.session() as session:
            ban = await session.get(ResidentBan, resident_id)
            if ban is None or ban.told:
                return None
            ban.told = True
            session.add(ban)
            await session.commit()
            return ban

    async def all(self, limit: int = 100) -> list[ResidentBan]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(ResidentBan).order_by(col(ResidentBan.banned_at).desc()).limit(limit)
            )
            return list(rows)
