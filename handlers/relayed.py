"""What a relayed message is: its kind (for the copy) and where the original lies."""

from __future__ import annotations

from aiogram.types import Message

from services.conversation import Source
from services.ticket_contract import Media

# every kind of message a person may send about a ticket, relayed as itself (copyMessage)
FILE_KINDS = ("document", "voice", "video", "video_note", "audio", "animation", "sticker")
PLACE_KINDS = ("location", "venue", "contact")


def media_of(message: Message) -> Media | None:
    """The message's content when it is not only words; None for plain text."""
    if message.photo:
        return Media("photo", message.photo[-1].file_id)
    for kind in FILE_KINDS:
        content = getattr(message, kind)
        if content is not None:
            return Media(kind, content.file_id)
    for kind in PLACE_KINDS:
        if getattr(message, kind) is not None:
            return Media(kind)
    return None


def source_of(message: Message) -> Source:
    return Source(message.chat.id, message.message_id)


def words_of(message: Message) -> str:
    return (message.text or message.caption or "").strip()
