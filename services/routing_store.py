"""The routing data in the database: communities, grids and their chats, versioned.

The routing file (ROUTING_FILE) seeds the tables on the first start and keeps the street office,
the categories and the hotels; from then on the communities and grids live in the database,
changed by `python -m bot import-grids` and by binding chats from Telegram, and written back out
with `python -m bot export-routing`. Every change raises `routing_version` in the same
transaction; every process polls that one number (ROUTING_POLL_SECONDS) and reloads when it
moves, so a change reaches every running process without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Literal

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from services.models import RoutingCommunity, RoutingGrid, RoutingVersion, utcnow
from services.routing import Routing
from services.routing_export import routing_document
from services.routing_file import RoutingError, no_gc_pauses, routing_from_data
from services.storage import Database

__all__ = ["LiveRouting", "RoutingStore"]

log = logging.getLogger(__name__)
SOURCE = "routing data in the database"


class RoutingStore:
    """Reads and writes the communities and grids; `base` is the routing file's routing."""

    def __init__(self, db: Database, base: Routing) -> None:
        self.db = db
        self.base = base

    async def version(self) -> int:
        """The version of the routing data; 0 before it is seeded."""
        async with self.db.session() as session:
            row = await session.get(RoutingVersion, 1, populate_existing=True)
            return row.version if row is not None else 0

    async def seed(self) -> bool:
        """Fill empty tables from the routing file; False if they were already filled."""
        if await self.version() > 0:
            return False
        document = routing_document(self.base)
        try:
            await self._write(document["communities"], f"seeded from {self.base.source}", 1)
        except IntegrityError:  # another process seeded at the same moment
            return False
        return True

    async def document(self) -> tuple[int, dict[str, Any]]:
        """The routing document (the file's data, communities and grids from the tables)."""
        community, grid = RoutingCommunity, RoutingGrid
        with no_gc_pauses():  # plain rows, not ORM objects: a city has tens of thousands
            async with self.db.session() as session:
                row = await session.get(RoutingVersion, 1, populate_existing=True)
                communities = (
                    await session.exec(
                        select(community.code, community.chat_id, community.entry).order_by(
                            col(community.position)
                        )
                    )
                ).all()
                grids = (
                    await session.exec(
                        select(grid.code, grid.community_code, grid.chat_id, grid.entry).order_by(
                            col(grid.position)
                        )
                    )
                ).all()
            by_community: dict[str, list[dict[str, Any]]] = {c[0]: [] for c in communities}
            for code, community_code, chat_id, entry in grids:
                by_community[community_code].append({"code": code, **entry, "chat": chat_id})
            document = routing_document(self.base)
            document["communities"] = [
                {"code": code, **entry, "chat": chat_id, "grids": by_community[code]}
                for code, chat_id, entry in communities
            ]
        return (row.version if row is not None else 0), document

    async def load(self) -> tuple[int, Routing]:
        """The routing as stored, checked like the file (in a thread: a city takes seconds)."""
        version, document = await self.document()
        routing = await asyncio.to_thread(
            routing_from_data, document, SOURCE, self.base.fallback_chat_id
        )
        return version, routing

    async def save(self, document: dict[str, Any], note: str) -> int:
        """Replace the communities and grids with the document's (checked first); the new
        version."""
        routing_from_data(document, SOURCE, self.base.fallback_chat_id)  # raises RoutingError
        return await self._write(document["communities"], note, None)

    async def bind(
        self, kind: Literal["grid", "community"], code: str, chat_id: int, forum: bool
    ) -> int:
        """Route a grid's (or a community's) reports to this chat; the new version.
        KeyError if there is no such code."""
        table: type[RoutingGrid] | type[RoutingCommunity]
        table = RoutingGrid if kind == "grid" else RoutingCommunity
        async with self.db.session() as session:
            row = await session.get(table, code)
            if row is None:
                raise KeyError(code)
            row.chat_id = chat_id
            if isinstance(row, RoutingGrid):
                row.entry = {**row.entry, "forum": forum}
            session.add(row)
            version = await self._raise(session, f"{kind} {code} bound to chat {chat_id}")
            await session.commit()
        return version

    async def unbound_grids(self) -> list[tuple[str, str]]:
        """(grid code, community code) of the grids with no chat of their own, in order."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(RoutingGrid.code, RoutingGrid.community_code)
                .where(col(RoutingGrid.chat_id).is_(None))
                .order_by(col(RoutingGrid.position))
            )
            return [(code, community) for code, community in rows.all()]

    async def _write(
        self, communities: list[dict[str, Any]], note: str, first_version: int | None
    ) -> int:
        async with self.db.session() as session:
            await session.exec(delete(RoutingGrid))
            await session.exec(delete(RoutingCommunity))
            position = 0
            for n, community in enumerate(communities):
                entry = {k: v for k, v in community.items() if k not in ("code", "chat", "grids")}
                session.add(
                    RoutingCommunity(
                        code=community["code"],
                        position=n,
                        chat_id=community.get("chat"),
                        entry=entry,
                    )
                )
                for grid in community.get("grids", []):
                    position += 1
                    session.add(
                        RoutingGrid(
                            code=grid["code"],
                            community_code=community["code"],
                            position=position,
                            chat_id=grid.get("chat"),
                            entry={k: v for k, v in grid.items() if k not in ("code", "chat")},
                        )
                    )
            if first_version is not None:
                session.add(RoutingVersion(id=1, version=first_version, note=note))
                version = first_version
            else:
                version = await self._raise(session, note)
            await session.commit()
        return version

    @staticmethod
    async def _raise(session: Any, note: str) -> int:
        await session.exec(
            update(RoutingVersion)
            .where(col(RoutingVersion.id) == 1)
            .values(version=RoutingVersion.version + 1, changed_at=utcnow(), note=note)
        )
        row = await session.get(RoutingVersion, 1, populate_existing=True)
        return int(row.version)


class LiveRouting:
    """The routing this process uses now, following the database's version.

    `current` is swapped whole when a new version is loaded; the objects that keep a routing
    (authorization, notices) are told through `on_change`.
    """

    def __init__(self, store: RoutingStore, poll_seconds: float) -> None:
        self.store = store
        self.current: Routing = store.base
        self.version = -1
        self.poll_seconds = poll_seconds
        self._listeners: list[Callable[[Routing], None]] = []

    def on_change(self, listener: Callable[[Routing], None]) -> None:
        self._listeners.append(listener)

    async def start(self) -> None:
        """Seed the tables from the routing file if they are empty, then load them."""
        if await self.store.seed():
            log.info("routing data seeded from %s", self.store.base.source)
        await self.refresh()
        if self.current.communities != self.store.base.communities:
            log.warning(
                "the communities and grids of %s differ from those in the database, which are "
                "used; to use the file's, run: python -m bot import-routing %s",
                self.store.base.source,
                self.store.base.source,
            )

    async def refresh(self) -> bool:
        """Load the stored routing if its version moved; True if it did."""
        version = await self.store.version()
        if version == self.version:
            return False
        version, routing = await self.store.load()
        self.version, self.current = version, routing
        for listener in self._listeners:
            listener(routing)
        log.info("routing version %s: %r", version, routing)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_seconds)
            if stop.is_set():
                return
            try:
                await self.refresh()
            except RoutingError as error:  # keep routing with what was loaded before
                log.error("the stored routing data cannot be used: %s", error)
            except Exception:
                log.exception("reading the routing version failed; trying again")
