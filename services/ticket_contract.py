"""What the ticket service takes, refuses with and tells: a resident's draft, the people a
change concerns (staff, residents), media, the errors handlers turn into answers, and the
`TicketNotices` the Telegram side renders in each person's language.

Its own module so that the service's parts (services/tickets.py, ticket_conversation.py,
ticket_upkeep.py, ticket_records.py) and the handlers share one vocabulary without importing
each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from services.conversation import EditTarget, Relayed, Source
from services.models import Ticket
from services.outbox import Outgoing

NO_RESIDENT = 0  # filed by another system (Open311): nobody in Telegram to tell


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


def has_resident(ticket: Ticket) -> bool:
    """Whether a reporter in Telegram hears of the ticket (not one filed through Open311, whose
    client reads staff replies as status notes)."""
    return ticket.resident_id != NO_RESIDENT
