"""Reading tickets: lists, searches and look-ups for staff and residents (no changes here).

TicketService (services/tickets.py) has these too; the statuses and the "ticket:N" reference
live here, so both read them from one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.authorization import StaffScope
from services.models import Notification, Ticket
from services.routing import distance_m
from services.storage import Database

NEW, TAKEN, RESOLVED, CLOSED, REOPENED = "new", "taken", "resolved", "closed", "reopened"
WITHDRAWN = "withdrawn"  # the resident took it back before it was resolved
UNFIXED = "unfixed"  # closed, not fixed: the team cannot fix it (out of its hands)
LOW_RATING = 2  # this many stars or fewer is raised at once
OPEN = (NEW, TAKEN, REOPENED)

TICKET_REFERENCE = "ticket:"


def ticket_reference(ticket_id: int) -> str:
    """What a notification about a ticket carries, so a reply to it finds the ticket."""
    return f"{TICKET_REFERENCE}{ticket_id}"


def ticket_id_of(reference: str | None) -> int | None:
    """The ticket a notification's reference names; None for anything else."""
    if not reference or not reference.startswith(TICKET_REFERENCE):
        return None
    number = reference[len(TICKET_REFERENCE) :]
    return int(number) if number.isdigit() else None


class TicketQueries:
    """What TicketService answers without changing anything."""

    db: Database

    async def assigned_to(self, user_id: int, scope: StaffScope | None = None) -> list[Ticket]:
        """Open tickets someone has, oldest first (within a chat's scope when given)."""
        async with self.db.session() as session:
            query = (
                select(Ticket)
                .where(Ticket.assignee_id == user_id)
                .where(col(Ticket.status).in_(OPEN))
            )
            if scope is not None:
                query = query.where(within_scope(scope))
            return list(await session.exec(query.order_by(col(Ticket.id)).limit(50)))

    async def open_nearby(
        self,
        category: str,
        grid: str | None,
        point: tuple[float, float] | None,
        within_m: float = 250.0,
    ) -> list[Ticket]:
        """Open tickets of a category near a point (or on the same grid when there is none)."""
        async with self.db.session() as session:
            query = (
                select(Ticket)
                .where(Ticket.category == category)
                .where(col(Ticket.status).in_(OPEN))
                .order_by(col(Ticket.id).desc())
                .limit(200)
            )
            candidates = list(await session.exec(query))
        if point is None:
            return [ticket for ticket in candidates if grid and ticket.grid == grid][:5]
        near = [
            ticket
            for ticket in candidates
            if ticket.latitude is not None
            and ticket.longitude is not None
            and distance_m(point, (ticket.latitude, ticket.longitude)) <= within_m
        ]
        return near[:5]

    async def filed_for_neighbours(self, contact_id: int, limit: int = 50) -> list[Ticket]:
        """What a grid contact filed for neighbours, newest first."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(Ticket)
                .where(Ticket.resident_id == contact_id)
                .where(
                    or_(
                        col(Ticket.neighbour_name_encrypted).is_not(None),
                        col(Ticket.neighbour_purged_at).is_not(None),
                    )
                )
                .order_by(col(Ticket.id).desc())
                .limit(limit)
            )
            return list(rows)

    async def for_resident(self, resident_id: int, limit: int = 20) -> list[Ticket]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(Ticket)
                .where(Ticket.resident_id == resident_id)
                .order_by(col(Ticket.id).desc())
                .limit(limit)
            )
            return list(rows)

    async def open_in_scope(
        self, scope: StaffScope, limit: int = 30, after_id: int = 0
    ) -> list[Ticket]:
        """Open tickets a staff chat sees, oldest first, from after a ticket id (paging)."""
        async with self.db.session() as session:
            query = (
                select(Ticket)
                .where(col(Ticket.status).in_(OPEN))
                .where(within_scope(scope))
                .where(col(Ticket.id) > after_id)
            )
            rows = await session.exec(query.order_by(col(Ticket.id)).limit(limit))
            return list(rows)

    async def find(
        self,
        scope: StaffScope,
        words: str,
        *,
        grids: Sequence[str] = (),
        limit: int = 10,
        before_id: int | None = None,
    ) -> list[Ticket]:
        """Tickets a staff chat sees whose number, words, place or grid match; newest first.

        `grids`: codes of the grids whose names the words match (the caller knows the names).
        """
        words = words.strip()
        if not words:
            return []
        digits = words.rsplit("-", 1)[-1]
        pattern = f"%{words.lower()}%"
        matches = [
            func.lower(col(Ticket.text)).like(pattern),
            func.lower(func.coalesce(col(Ticket.address), "")).like(pattern),
            func.lower(func.coalesce(col(Ticket.grid), "")).like(pattern),
            col(Ticket.number) == words,
        ]
        if grids:
            matches.append(col(Ticket.grid).in_(grids))
        if digits.isdigit() and len(digits) <= 9:
            matches.append(col(Ticket.id) == int(digits))
        query = select(Ticket).where(within_scope(scope)).where(or_(*matches))
        if before_id is not None:
            query = query.where(col(Ticket.id) < before_id)
        async with self.db.session() as session:
            rows = await session.exec(query.order_by(col(Ticket.id).desc()).limit(limit))
            return list(rows)

    async def changed_between(
        self, scope: StaffScope, start: datetime, end: datetime
    ) -> list[Ticket]:
        """Tickets a staff chat sees that changed in [start, end): for the daily digest."""
        async with self.db.session() as session:
            query = (
                select(Ticket)
                .where(within_scope(scope))
                .where(
                    or_(
                        and_(col(Ticket.updated_at) >= start, col(Ticket.updated_at) < end),
                        and_(col(Ticket.resolved_at) >= start, col(Ticket.resolved_at) < end),
                    )
                )
            )
            return list(await session.exec(query))

    async def by_number(self, number: str) -> Ticket | None:
        """ "2026-000123", or just "123"."""
        digits = number.strip().rsplit("-", 1)[-1]
        if not digits.isdigit():
            return None
        async with self.db.session() as session:
            return await session.get(Ticket, int(digits))

    async def since(self, moment: datetime, scope: StaffScope) -> list[Ticket]:
        """Tickets received since the moment that a staff chat sees."""
        async with self.db.session() as session:
            query = (
                select(Ticket).where(col(Ticket.created_at) >= moment).where(within_scope(scope))
            )
            return list(await session.exec(query))

    async def by_topic(self, chat_id: int, topic_id: int) -> Ticket | None:
        async with self.db.session() as session:
            return await ticket_of_topic(session, chat_id, topic_id)

    async def by_bot_message(self, chat_id: int, message_id: int) -> Ticket | None:
        """The ticket a message the bot sent (a card, a relayed reply) belongs to."""
        async with self.db.session() as session:
            return await ticket_of_bot_message(session, chat_id, message_id)


async def ticket_of_topic(session: AsyncSession, chat_id: int, topic_id: int) -> Ticket | None:
    """The ticket a staff chat's forum topic is for, in the caller's transaction."""
    rows = await session.exec(
        select(Ticket).where(Ticket.staff_chat_id == chat_id).where(Ticket.topic_id == topic_id)
    )
    return rows.first()


async def ticket_of_bot_message(
    session: AsyncSession, chat_id: int, message_id: int
) -> Ticket | None:
    """The ticket of a message the bot sent, in the caller's transaction."""
    rows = await session.exec(
        select(Notification.reference)
        .where(Notification.chat_id == chat_id)
        .where(Notification.telegram_message_id == message_id)
    )
    ticket_id = ticket_id_of(rows.first())
    return None if ticket_id is None else await session.get(Ticket, ticket_id)


def within_scope(scope: StaffScope) -> ColumnElement[bool]:
    """The tickets of a staff scope, as a condition (see StaffScope.covers)."""
    if scope.everything:
        return true()
    return or_(
        col(Ticket.staff_chat_id) == scope.chat_id,
        *(
            and_(col(Ticket.staff_chat_id) == chat, col(Ticket.escalation_level) >= level)
            for chat, level in scope.escalated_from
        ),
    )
