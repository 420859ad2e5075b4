"""The conversation on a ticket: staff replies and internal notes, residents' comments and
albums, relayed as themselves (copies of the original message), and their edits followed.

A part of TicketService (services/tickets.py): every message is recorded in the ticket's history
and relayed through the outbox in the same transaction. A message that arrives as a reply (or in a
ticket's topic) takes one transaction in all: the ticket found from the message it answers, the
writer's right asked at that moment, the history, the pair and the outbox row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from sqlmodel.ext.asyncio.session import AsyncSession

from services.conversation import Source, copies_of, edit_targets, record_relay
from services.models import Ticket, utcnow
from services.ticket_contract import Media, Staff, WrongState
from services.ticket_queries import (
    CLOSED,
    WITHDRAWN,
    ticket_of_bot_message,
    ticket_of_topic,
)
from services.ticket_records import TicketRecords

NOTE_MARK = "!"  # a staff message starting with it is an internal note, never sent


@dataclass(frozen=True)
class WrittenAt:
    """Where a staff message was written: its chat, its forum topic, the bot's message it
    replies to (a card or a relayed message). Any of them may name the ticket."""

    chat_id: int
    topic_id: int | None = None
    replied_to: int | None = None  # a message the bot sent


class StaffOutcome(Enum):
    NOT_ABOUT_A_TICKET = "not about a ticket"
    REFUSED = "refused"  # the writer may not answer on this ticket
    NOTED = "noted"  # an internal note, kept for the team
    NOTHING_TO_PASS_ON = "nothing to pass on"  # no words and a kind that cannot be copied
    CLOSED = "closed"
    RELAYED = "relayed"


@dataclass(frozen=True)
class StaffAnswer:
    outcome: StaffOutcome
    ticket: Ticket | None = None
    note: str = ""


class TicketConversation(TicketRecords):
    """What staff and residents say on a ticket."""

    async def reply_from_staff(
        self,
        ticket_id: int,
        staff: Staff,
        text: str,
        media: Media | None = None,
        source: Source | None = None,
    ) -> Ticket:
        async with self.db.session() as session:
            ticket = await self._get(session, ticket_id)
            return await self._reply(session, ticket, staff, text, media, source)

    async def answer_from_staff(
        self,
        written_at: WrittenAt,
        staff: Staff,
        may_answer: Callable[[Ticket], Awaitable[bool]],
        words: str,
        media: Media | None,
        source: Source,
    ) -> StaffAnswer:
        """A message in a staff chat that may be about a ticket, in one transaction.

        `may_answer` is the Authorization model's question, asked once the ticket is known.
        """
        async with self.db.session() as session:
            ticket = await _ticket_written_at(session, written_at)
            if ticket is None:
                return StaffAnswer(StaffOutcome.NOT_ABOUT_A_TICKET)
            if not await may_answer(ticket):
                return StaffAnswer(StaffOutcome.REFUSED, ticket)
            if words.startswith(NOTE_MARK):
                note = words[len(NOTE_MARK) :].strip()
                self._record(session, ticket, "note", staff.user_id, staff.name, note)
                return StaffAnswer(StaffOutcome.NOTED, await self._save(session, ticket), note)
            if not words and media is None:
                return StaffAnswer(StaffOutcome.NOTHING_TO_PASS_ON, ticket)
            try:
                ticket = await self._reply(session, ticket, staff, words, media, source)
            except WrongState:
                return StaffAnswer(StaffOutcome.CLOSED, ticket)
            return StaffAnswer(StaffOutcome.RELAYED, ticket)

    async def _reply(
        self,
        session: AsyncSession,
        ticket: Ticket,
        staff: Staff,
        text: str,
        media: Media | None,
        source: Source | None,
    ) -> Ticket:
        if ticket.status == CLOSED:
            raise WrongState(ticket.status)
        ticket.first_response_at = ticket.first_response_at or utcnow()
        self._record(session, ticket, "reply", staff.user_id, staff.name, _detail(text, media))
        for resident in await self._residents(session, ticket):
            relayed = self.notices.staff_reply(ticket, resident, text, media, source)
            await record_relay(session, self.outbox, ticket, relayed, source)
        return await self._save(session, ticket)

    async def note_from_staff(self, ticket_id: int, staff: Staff, text: str) -> Ticket:
        """An internal note: kept in the history, never sent to the resident."""
        async with self.db.session() as session:
            ticket = await self._get(session, ticket_id)
            self._record(session, ticket, "note", staff.user_id, staff.name, text)
            return await self._save(session, ticket)

    async def comment_from_resident(
        self,
        ticket_id: int,
        resident_id: int,
        text: str,
        media: Media | None = None,
        source: Source | None = None,
    ) -> Ticket:
        async with self.db.session() as session:
            ticket = await self._resident_ticket(session, ticket_id, resident_id)
            return await self._comment(session, ticket, text, media, source)

    async def comment_in_reply(
        self, replied_to: Source, resident_id: int, text: str, media: Media | None, source: Source
    ) -> Ticket | None:
        """A resident's reply to a message the bot sent them, in one transaction: the ticket it
        was about (None: it was about none), theirs, still open, and the comment relayed."""
        async with self.db.session() as session:
            ticket = await ticket_of_bot_message(session, replied_to.chat_id, replied_to.message_id)
            if ticket is None or ticket.id is None:
                return None
            ticket = await self._resident_ticket(session, ticket.id, resident_id)
            return await self._comment(session, ticket, text, media, source)

    async def _comment(
        self,
        session: AsyncSession,
        ticket: Ticket,
        text: str,
        media: Media | None,
        source: Source | None,
    ) -> Ticket:
        if ticket.status in (CLOSED, WITHDRAWN):
            raise WrongState(ticket.status)
        self._record(
            session,
            ticket,
            "comment",
            ticket.resident_id,
            ticket.resident_name,
            _detail(text, media),
        )
        card = await self._card_message_id(session, ticket)
        relayed = self.notices.resident_comment(ticket, text, media, card, source)
        await record_relay(session, self.outbox, ticket, relayed, source)
        return await self._save(session, ticket)

    async def comment_album(
        self, ticket_id: int, resident_id: int, words: str, items: Sequence[Media]
    ) -> Ticket:
        """A resident's album (2-10 photos, videos, …) as one comment: it reaches staff as one
        album, not one message per photo."""
        async with self.db.session() as session:
            ticket = await self._resident_ticket(session, ticket_id, resident_id)
            if ticket.status in (CLOSED, WITHDRAWN):
                raise WrongState(ticket.status)
            detail = f"[album ×{len(items)}] {words}".strip()
            self._record(session, ticket, "comment", resident_id, ticket.resident_name, detail)
            card = await self._card_message_id(session, ticket)
            self._notify(session, self.notices.resident_album(ticket, words, items, card))
            return await self._save(session, ticket)

    async def relayed_ticket(self, source: Source) -> Ticket | None:
        """The ticket a message was relayed for (None: it was not relayed)."""
        async with self.db.session() as session:
            copies = await copies_of(session, source)
            return copies[0][1] if copies else None

    async def edit_relayed(self, source: Source, editor: int, editor_name: str, text: str) -> int:
        """The original was edited: its copies follow, or say "edited" anew. Returns how many.

        The caller has checked the editor may still write on the ticket.
        """
        async with self.db.session() as session:
            copies = await copies_of(session, source)
            if not copies:
                return 0
            ticket = copies[0][1]
            targets = await edit_targets(session, [pair for pair, _ticket in copies])
            for target in targets:
                self._notify(session, self.notices.relay_edit(ticket, target, text))
            self._record(session, ticket, "edited", editor, editor_name, text)
            await self._save(session, ticket)
            return len(targets)


async def _ticket_written_at(session: AsyncSession, written_at: WrittenAt) -> Ticket | None:
    """A message in a ticket's topic, or a reply to a card or relayed message, is about it."""
    if written_at.topic_id is not None:
        ticket = await ticket_of_topic(session, written_at.chat_id, written_at.topic_id)
        if ticket is not None:
            return ticket
    if written_at.replied_to is None:
        return None
    return await ticket_of_bot_message(session, written_at.chat_id, written_at.replied_to)


def _detail(text: str, media: Media | None) -> str:
    return f"[{media.kind}] {text}".strip() if media else text
