"""The staff card's actions asked for from elsewhere than the card (the dashboard's ticket page):
take, resolve, pass on, an internal note, a reply to the resident.

Each is asked of services.authorization at the moment it is made, about the person acting (a
supervisor or an admin may act on any ticket, staff on their team's), and done by the same
TicketService calls the card's buttons use. Since no card was pressed, the ticket's staff chat
is told what was done, through the outbox like every other message.

`destination` is where a ticket passed to another category or grid goes: the one rule the
card's Reassign and the dashboard share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.authorization import Actor, Authorization
from services.models import Ticket
from services.outbox import Outgoing
from services.routing import Grid, Routing
from services.ticket_contract import Staff
from services.tickets import TicketService

ACTIONS = ("take", "resolve", "reassign", "note", "reply")


class Refused(Exception):
    """The person may not do this to this ticket now (the refusal is logged)."""


@dataclass(frozen=True)
class Destination:
    """Where a ticket passed on goes: its category, grid and the staff chat now responsible."""

    category: str
    grid: Grid | None
    chat_id: int

    @property
    def grid_code(self) -> str | None:
        return self.grid.code if self.grid else None


def destination(
    routing: Routing, ticket: Ticket, *, category: str | None = None, grid: str | None = None
) -> Destination:
    """The ticket passed to another category or grid (KeyError for an unknown code): the chat
    a new report of that kind and place would reach, else the ticket's own."""
    category = category or ticket.category
    grid_code = grid or ticket.grid
    found = routing.grid(grid_code) if grid_code else None
    chat = routing.staff_chat(routing.category(category), found) or ticket.staff_chat_id
    return Destination(category, found, chat)


class CardNotices(Protocol):
    """What the ticket's staff chat is told of an action done away from its card."""

    def acted(
        self,
        ticket: Ticket,
        action: str,
        by: Staff,
        words: str = "",
        was: Ticket | None = None,
        card: int | None = None,
    ) -> list[Outgoing]:
        """`was`: the ticket before it was passed on (its old chat is told); `card`: the card's
        message in that chat, to show the change on it too (None: not delivered yet)."""
        ...


class TicketActions:
    def __init__(
        self, tickets: TicketService, authorization: Authorization, notices: CardNotices
    ) -> None:
        self.tickets = tickets
        self.authorization = authorization
        self.notices = notices

    async def permitted(self, ticket: Ticket, actor: Actor, supervisor: bool, action: str) -> bool:
        """A supervisor (granted now), an admin, or staff of the ticket's team now."""
        if supervisor:
            return True
        return await self.authorization.may_work_on(ticket, actor, action)

    async def _checked(self, ticket_id: int, actor: Actor, supervisor: bool, action: str) -> Staff:
        ticket = await self.tickets.get(ticket_id)
        if not await self.permitted(ticket, actor, supervisor, action):
            raise Refused(action)
        return Staff(actor.user_id, actor.name)

    async def take(self, ticket_id: int, actor: Actor, supervisor: bool) -> Ticket:
        staff = await self._checked(ticket_id, actor, supervisor, "take")
        ticket = await self.tickets.take(ticket_id, staff)
        await self._tell(ticket, "take", staff)
        return ticket

    async def resolve(self, ticket_id: int, actor: Actor, supervisor: bool) -> Ticket:
        staff = await self._checked(ticket_id, actor, supervisor, "resolve")
        ticket = await self.tickets.resolve(ticket_id, staff)
        await self._tell(ticket, "resolve", staff)
        return ticket

    async def note(self, ticket_id: int, actor: Actor, supervisor: bool, words: str) -> Ticket:
        staff = await self._checked(ticket_id, actor, supervisor, "note")
        ticket = await self.tickets.note_from_staff(ticket_id, staff, words)
        await self._tell(ticket, "note", staff, words)
        return ticket

    async def reply(self, ticket_id: int, actor: Actor, supervisor: bool, words: str) -> Ticket:
        staff = await self._checked(ticket_id, actor, supervisor, "reply")
        ticket = await self.tickets.reply_from_staff(ticket_id, staff, words)
        await self._tell(ticket, "reply", staff, words)
        return ticket

    async def check_reassign(self, ticket_id: int, actor: Actor, supervisor: bool) -> Ticket:
        """Asked before a topic is opened in the new team's chat for it."""
        await self._checked(ticket_id, actor, supervisor, "reassign")
        return await self.tickets.get(ticket_id)

    async def reassign(
        self,
        ticket_id: int,
        actor: Actor,
        supervisor: bool,
        to: Destination,
        topic_id: int | None,
        previous_team: str,
    ) -> Ticket:
        staff = await self._checked(ticket_id, actor, supervisor, "reassign")
        before = await self.tickets.get(ticket_id)
        ticket = await self.tickets.reassign(
            ticket_id,
            staff,
            category=to.category,
            grid=to.grid_code,
            staff_chat_id=to.chat_id,
            topic_id=topic_id,
            previous_team=previous_team,
        )
        await self._tell(ticket, "reassign", staff, was=before)  # told in the old chat
        return ticket

    async def _tell(
        self, ticket: Ticket, action: str, staff: Staff, words: str = "", was: Ticket | None = None
    ) -> None:
        card = await self.tickets.card_message_id(was or ticket)
        sends = self.notices.acted(ticket, action, staff, words, was, card)
        if not sends:
            return
        async with self.tickets.db.session() as session:
            for outgoing in sends:
                self.tickets.outbox.add(session, outgoing)
            await session.commit()
