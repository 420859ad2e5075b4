"""What the legal desk (services/legal.py) takes, refuses with and tells: the topics and kinds of
askers, a question's statuses and reference, the errors handlers turn into answers, the asker's
draft and attachments, and the `LegalNotices` the Telegram side renders
(handlers/lawyer_notices.py).

Its own module so the handlers and the bookings (services/legal_bookings.py) share this
vocabulary without the desk's workings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.conversation import EditTarget, Relayed, Source
from services.models import LegalQuestion
from services.outbox import Outgoing
from services.ticket_contract import Media

TOPICS = ("employment", "contracts", "platform", "family", "other")
KINDS = ("person", "firm")
NEW, TAKEN, ANSWERED = "new", "taken", "answered"
TEXT_LIMIT = 3000
FILE_LIMIT = 10  # documents and voice notes kept with one question
REFERENCE = "legal:"


def legal_reference(question_id: int) -> str:
    return f"{REFERENCE}{question_id}"


def question_id_of(reference: str | None) -> int | None:
    if reference and reference.startswith(REFERENCE) and reference[len(REFERENCE) :].isdigit():
        return int(reference[len(REFERENCE) :])
    return None


class LegalError(Exception):
    """A request that cannot be done; handlers turn each kind into a localized answer."""


class QuestionNotFound(LegalError):
    pass


class NotYours(LegalError):
    """Not the asker's question, or not the lawyer who took it."""


class AlreadyTaken(LegalError):
    def __init__(self, by: str) -> None:
        super().__init__(by)
        self.by = by


class NotTaken(LegalError):
    """Nobody has taken the question yet: a lawyer takes it before answering."""


class WrongState(LegalError):
    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Attachment:
    """A document or voice note the asker sent with the question."""

    kind: str  # document, voice, audio, photo
    file_id: str
    name: str = ""
    size: int = 0


@dataclass(frozen=True)
class LegalDraft:
    asker_id: int
    asker_name: str
    asker_locale: str
    asker_kind: str  # person, firm
    topic: str
    text: str
    attachments: tuple[Attachment, ...]
    chat_id: int  # the lawyers' chat
    topic_id: int | None = None
    intake_key: str | None = None
    card_later: bool = False  # a forum chat: the card waits for the question's own topic


@dataclass(frozen=True)
class Opened:
    """A question with its personal data decrypted, for the card; empty once purged."""

    question: LegalQuestion
    name: str
    text: str
    attachments: tuple[Attachment, ...]


class LegalNotices(Protocol):
    def created(self, opened: Opened) -> list[Outgoing]: ...
    def taken(self, question: LegalQuestion) -> list[Outgoing]: ...
    def lawyer_reply(
        self, question: LegalQuestion, words: str, media: Media | None, source: Source | None
    ) -> Relayed: ...
    def asker_followup(
        self,
        question: LegalQuestion,
        words: str,
        media: Media | None,
        source: Source | None,
        card: int | None,
    ) -> Relayed: ...
    def answered(self, question: LegalQuestion) -> list[Outgoing]: ...
    def rated(self, question: LegalQuestion) -> list[Outgoing]: ...
    def relay_edit(
        self, question: LegalQuestion, target: EditTarget, words: str
    ) -> list[Outgoing]: ...
