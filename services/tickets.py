"""Resident requests as tickets: created, taken, answered, resolved, confirmed and rated.

Every change is one transaction: the ticket, an appended event, and the notifications it causes
(through the outbox). What the notifications say is rendered outside the domain by a
`TicketNotices` (services/ticket_contract.py), so this module knows nothing of Telegram or of
languages. This module is the lifecycle; TicketService also holds the conversation
(services/ticket_conversation.py), the housekeeping (services/ticket_upkeep.py) and the queries
(services/ticket_queries.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel import select

from services.intake import file_once
from services.models import BoardPublication, ResidentBan, Ticket, TicketSubscriber, utcnow
from services.ticket_contract import AlreadyTaken, Banned, Draft, Staff, WrongState
from services.ticket_conversation import TicketConversation
from services.ticket_queries import (
    CLOSED,
    LOW_RATING,
    NEW,
    OPEN,
    REOPENED,
    RESOLVED,
    TAKEN,
    TICKET_REFERENCE,
    UNFIXED,
    WITHDRAWN,
    ticket_id_of,
    ticket_reference,
)
from services.ticket_upkeep import TicketUpkeep

__all__ = [
    "CLOSED",
    "LOW_RATING",
    "NEW",
    "OPEN",
    "REOPENED",
    "RESOLVED",
    "TAKEN",
    "TICKET_REFERENCE",
    "UNFIXED",
    "WITHDRAWN",
    "TicketService",
    "ticket_id_of",
    "ticket_reference",
]

TEXT_LIMIT = 2000


class TicketService(TicketConversation, TicketUpkeep):
    """Resident requests, from filing to rating (the lifecycle is here; see the module's doc)."""

    async def create(self, draft: Draft) -> Ticket:
        text = draft.text.strip()
        if not text or len(text) > TEXT_LIMIT:
            raise ValueError(f"a ticket's text must be 1 to {TEXT_LIMIT} characters")
        return await file_once(draft.intake_key, self._by_intake, lambda: self._create(draft, text))

    async def _by_intake(self, intake_key: str) -> Ticket | None:
        async with self.db.session() as session:
            found = await session.exec(select(Ticket).where(Ticket.intake_key == intake_key))
            return found.first()

    async def _create(self, draft: Draft, text: str) -> Ticket:
        async with self.db.session() as session:
            if await session.get(ResidentBan, draft.resident_id) is not None:
                raise Banned(str(draft.resident_id))
            ticket = Ticket(
                intake_key=draft.intake_key,
                resident_id=draft.resident_id,
                resident_name=draft.resident_name,
                resident_locale=draft.resident_locale,
                text=text,
                category=draft.category,
                grid=draft.grid,
                staff_chat_id=draft.staff_chat_id,
                latitude=draft.latitude,
                longitude=draft.longitude,
                address=draft.address,
                photos=list(draft.photos),
                topic_id=draft.topic_id,
                anonymous=draft.anonymous,
                voice_file_id=draft.voice_file_id,
                neighbour_name_encrypted=draft.neighbour_name_encrypted,
                neighbour_phone_encrypted=draft.neighbour_phone_encrypted,
                media_url=draft.media_url,
            )
            session.add(ticket)
            await session.flush()  # the id makes the number
            assert ticket.id is not None
            ticket.number = f"{ticket.created_at.year}-{ticket.id:06d}"
            self._record(session, ticket, "created", draft.resident_id, draft.resident_name, text)
            self._notify(session, self.notices.created(ticket))
            await session.commit()
            return ticket

    async def take(self, ticket_id: int, staff: Staff) -> Ticket:
        async with self.db.session() as session:
            ticket = await self._get(session, ticket_id)
            if ticket.status == TAKEN and ticket.assignee_id != staff.user_id:
                raise AlreadyTaken(ticket.assignee_name or "")
            if ticket.status not in (NEW, REOPENED):
                raise WrongState(ticket.status)
            ticket.status = TAKEN
            ticket.assignee_id, ticket.assignee_name = staff.user_id, staff.name
            ticket.escalation_level = 0  # the clock now runs towards resolution
            ticket.first_response_at = ticket.first_response_at or utcnow()
            self._record(session, ticket, "taken", staff.user_id, staff.name)
            for resident in await self._residents(session, ticket):
                self._notify(session, self.notices.taken(ticket, resident))
            return await self._save(session, ticket)

    async def assign(self, ticket_id: int, by: Staff, to: Staff) -> Ticket:
        """A named worker gets the ticket (taken, if it was waiting); they are mentioned.

        The caller has asked Authorization that both may work on it.
        """
        async with self.db.session() as session:
            ticket = await self._get(session, ticket_id)
            if ticket.status not in OPEN:
                raise WrongState(ticket.status)
            was_waiting = ticket.status != TAKEN
            ticket.status = TAKEN
            ticket.assignee_id, ticket.assignee_name = to.user_id, to.name
            if was_waiting:
                ticket.escalation_level = 0
                ticket.first_response_at = ticket.first_response_at or utcnow()
            self._record(session, ticket, "assigned", by.user_id, by.name, to.name)
            self._notify(session, self.notices.assigned(ticket, to, by))
            if was_waiting:
                for resident in await self._residents(session, ticket):
                    self._notify(session, self.notices.taken(ticket, resident))
            return await self._save(session, ticket)

    async def subscribe(self, ticket_id: int, resident_id: int, locale: str) -> Ticket:
        """A neighbour reporting the same problem joins this ticket instead of a new one."""
        async with self.db.session() as session:
            ticket = await self._get(session, ticket_id)
            if ticket.status not in OPEN:
                raise WrongState(ticket.status)
            if ticket.resident_id != resident_id and not await session.get(
                TicketSubscriber, (ticket_id, resident_id)
            ):
                session.add(
                    TicketSubscriber(
                        ticket_id=ticket_id, resident_id=resident_id, resident_locale=locale
                    )
                )
                self._record(session, ticket, "joined", resident_id, "", "")
            return await self._save(session, ticket)

    async def resolve(self, ticket_id: int, staff: Staff) -> Ticket:
        async with self.db.session() as session:
            ticket = await self._get(session, ticket_id)
            if ticket.status not in OPEN:
                raise WrongState(ticket.status)
            ticket.status = RESOLVED
            ticket.resolved_at = utcnow()
            ticket.assignee_id = ticket.assignee_id or staff.user_id
            ticket.assignee_name = ticket.assignee_name or staff.name
            self._record(session, ticket, "resolved", staff.user_id, staff.name)
            for resident in await self._residents(session, ticket):
                self._notify(session, self.notices.resolved(ticket, resident))
            return await self._save(session, ticket)

    async def confirm(self, ticket_id: int, resident_id: int, fixed: bool) -> Ticket:
        """The resident's answer to "Is it fixed?": closes the loop or opens it again."""
        async with self.db.session() as session:
            ticket = await self._resident_ticket(session, ticket_id, resident_id)
            if ticket.status != RESOLVED:
                raise WrongState(ticket.status)
            if fixed:
                ticket.status = CLOSED
                self._record(session, ticket, "confirmed", resident_id, ticket.resident_name)
                self._notify(session, self.notices.closed(ticket))
            else:
                ticket.status = REOPENED
                ticket.resolved_at, ticket.reopened_at = None, utcnow()
                ticket.escalation_level, ticket.escalated_at = 0, None
                self._record(session, ticket, "reopened", resident_id, ticket.resident_name)
                # a fix on the public board that did not hold is no longer shown as one
                published = await session.get(BoardPublication, ticket_id)
                if published is not None:
                    await session.delete(published)
                self._notify(session, self.notices.reopened(ticket, unpublished=bool(published)))
            return await self._save(session, ticket)

    async def withdraw(self, ticket_id: int, resident_id: int) -> Ticket:
        """The reporter no longer needs it: the team stops, and is told so."""
        async with self.db.session() as session:
            ticket = await self._resident_ticket(session, ticket_id, resident_id)
            if ticket.status not in OPEN:
                raise WrongState(ticket.status)
            ticket.status = WITHDRAWN
            self._record(session, ticket, "withdrawn", resident_id, ticket.resident_name)
            self._notify(session, self.notices.withdrawn(ticket))
            return await self._save(session, ticket)

    async def close_unfixed(self, ticket_id: int, staff: Staff) -> Ticket:
        """The team cannot fix it (not theirs to fix, or impossible): closed, not fixed."""
        async with self.db.session() as session:
            ticket = await self._get(session, ticket_id)
            if ticket.status not in OPEN:
                raise WrongState(ticket.status)
            ticket.status = UNFIXED
            self._record(session, ticket, "unfixed", staff.user_id, staff.name)
            for resident in await self._residents(session, ticket):
                self._notify(session, self.notices.closed_unfixed(ticket, resident))
            return await self._save(session, ticket)

    async def rate(
        self,
        ticket_id: int,
        resident_id: int,
        stars: int,
        chains: Mapping[int, Sequence[int]] | None = None,
    ) -> Ticket:
        """The resident's stars; LOW_RATING or fewer are raised at once in the ticket's chat and
        the first chat above it in `chains` (its community; see escalation_chains)."""
        if not 1 <= stars <= 5:
            raise ValueError("a rating is 1 to 5 stars")
        async with self.db.session() as session:
            ticket = await self._resident_ticket(session, ticket_id, resident_id)
            if ticket.status != CLOSED:
                raise WrongState(ticket.status)
            ticket.rating = stars
            self._record(session, ticket, "rated", resident_id, ticket.resident_name, str(stars))
            if stars <= LOW_RATING:
                above = list((chains or {}).get(ticket.staff_chat_id, []))[:1]
                for chat in [ticket.staff_chat_id, *above]:
                    self._notify(session, self.notices.low_rating(ticket, chat))
            else:
                self._notify(session, self.notices.rated(ticket))
            return await self._save(session, ticket)

    async def feedback(self, ticket_id: int, resident_id: int, text: str) -> Ticket:
        """A few words after the rating: what went well or could be better; the team reads them."""
        async with self.db.session() as session:
            ticket = await self._resident_ticket(session, ticket_id, resident_id)
            if ticket.status != CLOSED or ticket.rating is None:
                raise WrongState(ticket.status)
            self._record(session, ticket, "feedback", resident_id, ticket.resident_name, text)
            self._notify(session, self.notices.feedback(ticket, text))
            return await self._save(session, ticket)

    async def reassign(
        self,
        ticket_id: int,
        staff: Staff,
        *,
        category: str,
        grid: str | None,
        staff_chat_id: int,
        topic_id: int | None,
        previous_team: str,
    ) -> Ticket:
        """Another category or grid: a fresh card reaches the team now responsible."""
        async with self.db.session() as session:
            ticket = await self._get(session, ticket_id)
            if ticket.status not in OPEN:
                raise WrongState(ticket.status)
            ticket.category, ticket.grid = category, grid
            ticket.staff_chat_id, ticket.topic_id = staff_chat_id, topic_id
            ticket.status, ticket.assignee_id, ticket.assignee_name = NEW, None, None
            ticket.escalation_level, ticket.escalated_at = 0, None
            detail = f"{category} / {grid or '-'}"
            self._record(session, ticket, "reassigned", staff.user_id, staff.name, detail)
            self._notify(session, self.notices.reassigned(ticket, previous_team, staff))
            for resident in await self._residents(session, ticket):
                self._notify(session, self.notices.passed_on(ticket, resident))
            return await self._save(session, ticket)
