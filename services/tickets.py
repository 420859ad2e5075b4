"""Resident requests as tickets: created, taken, answered, resolved, confirmed and rated.

Every change is one transaction: the ticket, an appended event, and the notifications it causes
(through the outbox). What the notifications say is rendered outside the domain by a
`TicketNotices`, so this module knows nothing of Telegram or of languages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.conversation import EditTarget, Relayed, Source, copies_of, edit_targets, record_relay
from services.intake import file_once
from services.models import (
    BoardPublication,
    Notification,
    ResidentBan,
    Ticket,
    TicketEvent,
    TicketSubscriber,
    as_utc,
    utcnow,
)
from services.outbox import Outbox, Outgoing, Priority
from services.storage import Database
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
    TicketQueries,
    ticket_id_of,
    ticket_reference,
)

__all__ = [
    "CLOSED",
    "LOW_RATING",
    "NEW",
    "NO_RESIDENT",
    "OPEN",
    "REOPENED",
    "RESOLVED",
    "TAKEN",
    "TICKET_REFERENCE",
    "UNFIXED",
    "WITHDRAWN",
    "AlreadyTaken",
    "Banned",
    "Draft",
    "Media",
    "NotYourTicket",
    "Resident",
    "Staff",
    "TicketError",
    "TicketNotFound",
    "TicketNotices",
    "TicketService",
    "WrongState",
    "has_resident",
    "ticket_id_of",
    "ticket_reference",
]

NO_RESIDENT = 0  # filed by another system (Open311): nobody in Telegram to tell
TEXT_LIMIT = 2000


class TicketError(Exception):
    """A request that cannot be done; handlers turn each kind into a localized answer."""


class TicketNotFound(TicketError):
    pass


class NotYourTicket(TicketError):
    pass


class AlreadyTaken(TicketError):
    def __init__(self, by: str) -> None:
        super().__init__(by)
        self.by = by


class Banned(TicketError):
    """The person may no longer open tickets (services.staff_tools.Bans)."""


class WrongState(TicketError):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Draft:
    """What a resident has told us before submitting."""

    resident_id: int
    resident_name: str
    resident_locale: str
    text: str
    category: str
    grid: str | None
    staff_chat_id: int
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    photos: tuple[str, ...] = ()
    topic_id: int | None = None  # the ticket's own topic in a forum staff chat
    intake_key: str | None = None  # the form's name: the same form files one ticket
    anonymous: bool = False  # staff see "anonymous resident", not the name
    voice_file_id: str | None = None  # the description was spoken: staff get the voice note
    # a grid contact files for a neighbour without Telegram (services.privacy.FieldCipher)
    neighbour_name_encrypted: str | None = None
    neighbour_phone_encrypted: str | None = None
    media_url: str | None = None  # an Open311 client's link to a photo (http or https)


@dataclass(frozen=True)
class Staff:
    user_id: int
    name: str


@dataclass(frozen=True)
class Resident:
    """Someone who hears about a ticket: its reporter, or a neighbour who said "mine too"."""

    user_id: int
    locale: str
    owner: bool


@dataclass(frozen=True)
class Media:
    """A message that is not only words (a photo, voice note, sticker, location, …).

    Relayed as itself: a copy of the original message (`Source`).
    """

    kind: str  # photo, document, voice, video, video_note, audio, sticker, location, contact, …
    file_id: str = ""
    caption: str = ""


class TicketNotices(Protocol):
    """The messages each change sends; rendered by the Telegram side in each person's language."""

    def created(self, ticket: Ticket) -> list[Outgoing]: ...

    def taken(self, ticket: Ticket, to: Resident) -> list[Outgoing]: ...

    def assigned(self, ticket: Ticket, to: Staff, by: Staff) -> list[Outgoing]: ...

    def staff_reply(
        self, ticket: Ticket, to: Resident, text: str, media: Media | None, source: Source | None
    ) -> Relayed: ...

    def resident_comment(
        self,
        ticket: Ticket,
        text: str,
        media: Media | None,
        card_message_id: int | None,
        source: Source | None,
    ) -> Relayed: ...

    def resident_album(
        self, ticket: Ticket, words: str, items: Sequence[Media], card_message_id: int | None
    ) -> list[Outgoing]: ...

    def relay_edit(self, ticket: Ticket, target: EditTarget, words: str) -> list[Outgoing]: ...

    def resolved(self, ticket: Ticket, to: Resident) -> list[Outgoing]: ...

    def reopened(self, ticket: Ticket, unpublished: bool = False) -> list[Outgoing]: ...

    def closed(self, ticket: Ticket) -> list[Outgoing]: ...

    def rated(self, ticket: Ticket) -> list[Outgoing]: ...

    def low_rating(self, ticket: Ticket, chat_id: int) -> list[Outgoing]: ...

    def closed_unfixed(self, ticket: Ticket, to: Resident) -> list[Outgoing]: ...

    def feedback(self, ticket: Ticket, text: str) -> list[Outgoing]: ...

    def reassigned(self, ticket: Ticket, previous_team: str, by: Staff) -> list[Outgoing]: ...

    def passed_on(self, ticket: Ticket, to: Resident) -> list[Outgoing]: ...

    def withdrawn(self, ticket: Ticket) -> list[Outgoing]: ...

    def topic_recreated(self, ticket: Ticket) -> list[Outgoing]: ...

    def overdue(
        self, ticket: Ticket, chat_id: int, level: int, waited: timedelta
    ) -> list[Outgoing]: ...

    def resident_unreachable(self, ticket: Ticket) -> list[Outgoing]: ...


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


class TicketService(TicketQueries):
    def __init__(self, db: Database, outbox: Outbox, notices: TicketNotices) -> None:
        self.db = db
        self.outbox = outbox
        self.notices = notices

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


def has_resident(ticket: Ticket) -> bool:
    """Whether a reporter in Telegram hears of the ticket (not one filed through Open311, whose
    client reads staff replies as status notes)."""
    return ticket.resident_id != NO_RESIDENT


def _detail(text: str, media: Media | None) -> str:
    return f"[{media.kind}] {text}".strip() if media else text
