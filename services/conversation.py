"""Both directions of a ticket's conversation: what was relayed where, and edits that follow.

A message a resident or staff member sends about a ticket is relayed as a notification (a copy
of the message itself, under a heading). The pair (original → notification) is kept, and the
sender records the copy's message id when it delivers, so an edit of the original edits the
copy. Where the copy cannot be edited (not delivered yet, a kind without words such as a
sticker, or older than EDIT_WINDOW) the new words are sent anew, marked "edited".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.models import MessagePair, Notification, Ticket, as_utc, utcnow
from services.outbox import Outbox, Outgoing

EDIT_WINDOW = timedelta(hours=48)  # Telegram lets a bot edit its messages for 48 hours
TEXT, CAPTION = "text", "caption"


@dataclass(frozen=True)
class Source:
    """The original message: in a resident's private chat or in a staff chat."""

    chat_id: int
    message_id: int


@dataclass
class Relayed:
    """A relayed message: what goes out (the copy last), and how an edit renders it again."""

    sends: list[Outgoing]
    heading: str = ""
    editable: str = ""  # TEXT, CAPTION, or "" when the copy has no words to edit
    locale: str = "en"
    extra: list[Outgoing] = field(default_factory=list)  # e.g. a staff chat's notes


@dataclass(frozen=True)
class EditTarget:
    """A copy to bring up to date: where it is, and how it was rendered."""

    chat_id: int
    message_id: int | None  # None: not delivered yet
    thread_id: int | None
    heading: str
    editable: str
    locale: str
    in_time: bool


class EditNotices(Protocol):
    def relay_edit(self, ticket: Ticket, target: EditTarget, words: str) -> list[Outgoing]: ...


def render(heading: str, words: str) -> str:
    return f"{heading}\n\n{words}".strip() if heading else words


async def record_relay(
    session: AsyncSession, outbox: Outbox, ticket: Ticket, relayed: Relayed, source: Source | None
) -> None:
    """Stage the relay's notifications and, for an original message, its pair."""
    assert ticket.id is not None
    await record_pair(session, outbox, relayed, source, ticket_id=ticket.id)


async def record_pair(
    session: AsyncSession,
    outbox: Outbox,
    relayed: Relayed,
    source: Source | None,
    *,
    ticket_id: int | None = None,
    legal_question_id: int | None = None,
) -> None:
    """The same for any subject a conversation is about: a ticket or a legal question."""
    notification = None
    for item in relayed.sends:
        notification = outbox.add(session, item)
    for item in relayed.extra:
        outbox.add(session, item)
    if source is None or notification is None:
        return
    await session.flush()  # the notification's id
    assert notification.id is not None
    session.add(
        MessagePair(
            ticket_id=ticket_id,
            legal_question_id=legal_question_id,
            source_chat_id=source.chat_id,
            source_message_id=source.message_id,
            notification_id=notification.id,
            heading=relayed.heading,
            editable=relayed.editable,
            locale=relayed.locale,
        )
    )


async def copies_of(session: AsyncSession, source: Source) -> list[tuple[MessagePair, Ticket]]:
    rows = await session.exec(
        select(MessagePair, Ticket)
        .join(Ticket, col(Ticket.id) == col(MessagePair.ticket_id))
        .where(MessagePair.source_chat_id == source.chat_id)
        .where(MessagePair.source_message_id == source.message_id)
        .order_by(col(MessagePair.id))
    )
    return list(rows)


async def pairs_of(session: AsyncSession, source: Source) -> list[MessagePair]:
    """Every copy made of an original message, whatever it was about."""
    rows = await session.exec(
        select(MessagePair)
        .where(MessagePair.source_chat_id == source.chat_id)
        .where(MessagePair.source_message_id == source.message_id)
        .order_by(col(MessagePair.id))
    )
    return list(rows)


async def edit_targets(session: AsyncSession, pairs: list[MessagePair]) -> list[EditTarget]:
    targets = []
    now = utcnow()
    for pair in pairs:
        notification = await session.get(Notification, pair.notification_id)
        if notification is None:  # pruned: say it anew where the pair's ticket is
            continue
        thread = notification.params.get("message_thread_id")
        targets.append(
            EditTarget(
                chat_id=notification.chat_id,
                message_id=notification.telegram_message_id,
                thread_id=thread if isinstance(thread, int) else None,
                heading=pair.heading,
                editable=pair.editable,
                locale=pair.locale,
                in_time=now - as_utc(notification.delivered_at or now) < EDIT_WINDOW,
            )
        )
    return targets
