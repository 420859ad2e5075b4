"""The conversation on a ticket: staff replies and internal notes, residents' comments and
albums, relayed as themselves (copies of the original message), and their edits followed.

A part of TicketService (services/tickets.py): every message is recorded in the ticket's history
and relayed through the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.conversation import Source, copies_of, edit_targets, record_relay
from services.models import Ticket, utcnow
from services.ticket_contract import Media, Staff, WrongState
from services.ticket_queries import CLOSED, WITHDRAWN
from services.ticket_records import TicketRecords


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
            if ticket.status in (CLOSED, WITHDRAWN):
                raise WrongState(ticket.status)
            self._record(
                session, ticket, "comment", resident_id, ticket.resident_name, _detail(text, media)
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


def _detail(text: str, media: Media | None) -> str:
    return f"[{media.kind}] {text}".strip() if media else text
