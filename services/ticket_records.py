"""What every change to a ticket shares: the ticket fetched (or refused), the event appended to
its history, the residents who hear of it, its staff card's message, the notifications added to
the outbox in the same transaction, and the save.

The base of TicketService (services/tickets.py) and its parts (ticket_conversation.py,
ticket_upkeep.py); it reads through TicketQueries (services/ticket_queries.py).
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.models import Notification, Ticket, TicketEvent, TicketSubscriber, utcnow
from services.outbox import Outbox, Outgoing
from services.storage import Database
from services.ticket_contract import (
    NO_RESIDENT,
    NotYourTicket,
    Resident,
    TicketNotFound,
    TicketNotices,
)
from services.ticket_queries import TicketQueries, ticket_reference


class TicketRecords(TicketQueries):
    """The database, the outbox and the notices, with the steps every change takes."""

    def __init__(self, db: Database, outbox: Outbox, notices: TicketNotices) -> None:
        self.db = db
        self.outbox = outbox
        self.notices = notices

    async def get(self, ticket_id: int) -> Ticket:
        async with self.db.session() as session:
            return await self._get(session, ticket_id)

    async def history(self, ticket_id: int) -> list[TicketEvent]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(col(TicketEvent.id))
            )
            return list(rows)

    async def _get(self, session: AsyncSession, ticket_id: int) -> Ticket:
        ticket = await session.get(Ticket, ticket_id)
        if ticket is None:
            raise TicketNotFound(str(ticket_id))
        return ticket

    async def _resident_ticket(
        self, session: AsyncSession, ticket_id: int, resident_id: int
    ) -> Ticket:
        ticket = await self._get(session, ticket_id)
        if ticket.resident_id != resident_id:
            raise NotYourTicket(str(ticket_id))
        return ticket

    def _record(
        self,
        session: AsyncSession,
        ticket: Ticket,
        kind: str,
        actor_id: int | None,
        actor_name: str,
        detail: str = "",
    ) -> None:
        assert ticket.id is not None
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                actor_id=actor_id,
                actor_name=actor_name,
                kind=kind,
                detail=detail,
            )
        )

    async def _residents(self, session: AsyncSession, ticket: Ticket) -> list[Resident]:
        rows = await session.exec(
            select(TicketSubscriber).where(TicketSubscriber.ticket_id == ticket.id)
        )
        owner = [Resident(ticket.resident_id, ticket.resident_locale, owner=True)]
        return (owner if ticket.resident_id != NO_RESIDENT else []) + [
            Resident(row.resident_id, row.resident_locale, owner=False) for row in rows
        ]

    async def card_message_id(self, ticket: Ticket) -> int | None:
        """The Telegram message of the ticket's card in its staff chat (None until delivered)."""
        async with self.db.session() as session:
            return await self._card_message_id(session, ticket)

    async def _card_message_id(self, session: AsyncSession, ticket: Ticket) -> int | None:
        """The staff card's message, for replies to thread under it (None until delivered)."""
        assert ticket.id is not None
        rows = await session.exec(
            select(Notification.telegram_message_id)
            .where(Notification.chat_id == ticket.staff_chat_id)
            .where(Notification.reference == ticket_reference(ticket.id))
            .where(Notification.method == "sendMessage")
            .order_by(col(Notification.id))
        )
        return rows.first()

    def _notify(self, session: AsyncSession, outgoing: list[Outgoing]) -> None:
        for item in outgoing:
            self.outbox.add(session, item)

    async def _save(self, session: AsyncSession, ticket: Ticket) -> Ticket:
        ticket.updated_at = utcnow()
        session.add(ticket)
        await session.commit()
        return ticket
