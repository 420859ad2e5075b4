"""What the minute round and the sender ask of tickets: overdue tickets escalated up the chain
(and resolved ones nobody answered closed), neighbours' contacts purged, a reporter who blocked
the bot made known to staff, a deleted forum topic replaced, and a notification sent once only.

A part of TicketService (services/tickets.py), kept apart from what people do to a ticket.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import col, select

from services.models import Notification, Ticket, TicketEvent, as_utc, utcnow
from services.outbox import Outgoing, Priority
from services.ticket_queries import (
    CLOSED,
    NEW,
    REOPENED,
    RESOLVED,
    TAKEN,
    UNFIXED,
    WITHDRAWN,
    ticket_id_of,
)
from services.ticket_records import TicketRecords


def _maybe_overdue(
    now: datetime,
    chains: dict[int, list[int]],
    take_within: timedelta,
    resolve_within: timedelta,
    close_after: timedelta,
) -> ColumnElement[bool]:
    """The tickets escalate_overdue may touch: waiting at least one period, not at the top.

    A city keeps thousands of open tickets; reading them all every minute would cost memory
    and row locks for the few that are due. The exact level is still worked out per ticket.
    """
    top = 1 + max((len(above) for above in chains.values()), default=0)
    status, level = col(Ticket.status), col(Ticket.escalation_level)
    waited_for_staff = or_(
        and_(status == NEW, col(Ticket.created_at) <= now - take_within),
        and_(
            status == REOPENED,
            func.coalesce(col(Ticket.reopened_at), col(Ticket.updated_at)) <= now - take_within,
        ),
        and_(
            status == TAKEN,
            func.coalesce(col(Ticket.first_response_at), col(Ticket.created_at))
            <= now - resolve_within,
        ),
    )
    return or_(
        and_(status == RESOLVED, col(Ticket.resolved_at) <= now - close_after),
        and_(level < top, waited_for_staff),
    )


class TicketUpkeep(TicketRecords):
    """The tickets' housekeeping: escalation, retention and delivery troubles."""

    async def purge_neighbours(self, ended_before: datetime) -> int:
        """A neighbour's name and phone are forgotten once their ticket ended before the moment
        (closed, closed not fixed, withdrawn): PERSONAL_DATA_RETENTION_DAYS after. How many."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(Ticket)
                .where(col(Ticket.neighbour_name_encrypted).is_not(None))
                .where(col(Ticket.status).in_((CLOSED, UNFIXED, WITHDRAWN)))
                .where(col(Ticket.updated_at) < ended_before)
            )
            purged = 0
            for ticket in rows:
                ticket.neighbour_name_encrypted = ticket.neighbour_phone_encrypted = None
                ticket.neighbour_purged_at = utcnow()
                session.add(ticket)
                purged += 1
            await session.commit()
            return purged

    async def escalate_overdue(
        self,
        now: datetime,
        chains: dict[int, list[int]],
        take_within: timedelta,
        resolve_within: timedelta,
        close_after: timedelta,
    ) -> int:
        """Remind, then tell the next level up; close resolved tickets nobody answered.

        `chains` maps a ticket's staff chat to the chats above it (community, street office).
        Level 1 is a reminder in the ticket's own chat; each further level goes one step up.
        Returns how many tickets were touched.
        """
        touched = 0
        async with self.db.session() as session:
            # every process runs this each minute: a ticket one process is escalating is
            # skipped by the others (PostgreSQL row locks), so nobody is reminded twice
            rows = await session.exec(
                select(Ticket)
                .where(_maybe_overdue(now, chains, take_within, resolve_within, close_after))
                .with_for_update(skip_locked=True)
            )
            for ticket in rows:
                if ticket.status == RESOLVED:
                    if ticket.resolved_at and now - as_utc(ticket.resolved_at) >= close_after:
                        ticket.status = CLOSED
                        self._record(session, ticket, "auto-closed", None, "")
                        self._notify(session, self.notices.closed(ticket))
                        touched += 1
                    continue
                if ticket.status == NEW:
                    waiting_since, limit = ticket.created_at, take_within
                elif ticket.status == REOPENED:
                    waiting_since, limit = ticket.reopened_at or ticket.updated_at, take_within
                else:
                    waiting_since = ticket.first_response_at or ticket.created_at
                    limit = resolve_within
                levels = [ticket.staff_chat_id, *chains.get(ticket.staff_chat_id, [])]
                due_level = int((now - as_utc(waiting_since)) / limit)
                if due_level <= ticket.escalation_level or ticket.escalation_level >= len(levels):
                    continue
                level = min(due_level, len(levels))
                chat = levels[level - 1]
                waited = now - as_utc(waiting_since)
                self._notify(session, self.notices.overdue(ticket, chat, level, waited))
                self._record(session, ticket, "escalated", None, "", str(chat))
                ticket.escalation_level, ticket.escalated_at = level, now
                session.add(ticket)
                touched += 1
            await session.commit()
        return touched

    async def notification_unreachable(self, notification: Notification) -> None:
        """The sender met a 403: if it was a ticket's reporter, staff should know."""
        ticket_id = ticket_id_of(notification.reference)
        if ticket_id is None:
            return
        async with self.db.session() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None or ticket.resident_id != notification.chat_id:
                return
            told = await session.exec(
                select(TicketEvent.id)
                .where(TicketEvent.ticket_id == ticket.id)
                .where(TicketEvent.kind == "unreachable")
            )
            if told.first() is not None:
                return  # staff were told once
            self._record(session, ticket, "unreachable", ticket.resident_id, ticket.resident_name)
            self._notify(session, self.notices.resident_unreachable(ticket))
            await session.commit()

    def lost_topic_of(self, notification: Notification) -> tuple[int, int] | None:
        """(ticket id, topic) when a ticket's notification was sent into a forum topic."""
        ticket_id = ticket_id_of(notification.reference)
        thread = self.outbox.opened(notification).get("message_thread_id")
        if ticket_id is None or not isinstance(thread, int):
            return None
        return ticket_id, thread

    async def move_topic(self, ticket_id: int, lost: int, new: int | None) -> Ticket | None:
        """The ticket's topic is gone (staff deleted it): a new one (None: General) gets the card.

        None if the ticket had already moved on from that topic (another send found it first).
        """
        async with self.db.session() as session:
            ticket = await self._get(session, ticket_id)
            if ticket.topic_id != lost:
                return None
            ticket.topic_id = new
            self._record(session, ticket, "topic-recreated", None, "", str(new or ""))
            self._notify(session, self.notices.topic_recreated(ticket))
            return await self._save(session, ticket)

    async def send_again(self, notification: Notification, topic: int | None) -> None:
        """A notification refused by a lost topic, sent again into the ticket's topic now."""
        params = self.outbox.opened(notification)
        params.pop("chat_id", None)
        params.pop("message_thread_id", None)
        if topic is not None:
            params["message_thread_id"] = topic
        again = Outgoing(
            notification.chat_id,
            notification.method,
            params,
            Priority(notification.priority),
            notification.reference,
        )
        async with self.db.session() as session:
            self.outbox.add(session, again)
            await session.commit()

    async def send_once(self, outgoing: Outgoing) -> bool:
        """A notification sent only if none with its reference exists (a digest a day)."""
        async with self.db.session() as session:
            found = await session.exec(
                select(Notification.id)
                .where(Notification.chat_id == outgoing.chat_id)
                .where(Notification.reference == outgoing.reference)
            )
            if found.first() is not None:
                return False
            self.outbox.add(session, outgoing)
            await session.commit()
            return True
