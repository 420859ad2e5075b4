"""Questions to the lawyers on duty at the legal service point: asked, taken, answered, rated.

A person or a small firm asks; the question reaches the lawyers' chat as a card; a lawyer on
duty takes it and answers through the same relay as tickets (services/conversation.py): the
asker reads "Lawyer on duty", never the lawyer's own account, and their follow-ups reach the
lawyer. Who asked and what they wrote (with the file ids of their documents and voice notes)
are kept encrypted and purged a set time after the answer; the notifications that carried them
are sealed, and wiped with them. What the notifications say is rendered outside the domain by a
`LegalNotices` (handlers/lawyer_notices.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.conversation import EditTarget, Relayed, Source, edit_targets, pairs_of, record_pair
from services.intake import file_once
from services.models import LegalNote, LegalQuestion, Notification, utcnow
from services.outbox import Outbox, Outgoing
from services.privacy import FieldCipher
from services.storage import Database
from services.tickets import Media

TOPICS = ("employment", "contracts", "platform", "family", "other")
KINDS = ("person", "firm")
NEW, TAKEN, ANSWERED = "new", "taken", "answered"
TEXT_LIMIT = 3000
FILE_LIMIT = 10  # documents and voice notes kept with one question
REFERENCE = "legal:"
UNANSWERED = timedelta(days=60)  # a question nobody answered is purged this long after the rest


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


class LegalDesk:
    """The questions: every change one transaction with the notifications it causes."""

    def __init__(
        self, db: Database, outbox: Outbox, cipher: FieldCipher, notices: LegalNotices
    ) -> None:
        self.db, self.outbox, self.cipher, self.notices = db, outbox, cipher, notices

    # asking

    async def submit(self, draft: LegalDraft) -> LegalQuestion:
        """File the question once (a Submit delivered again finds it) and send the card."""
        return (await self.submit_once(draft))[0]

    async def submit_once(self, draft: LegalDraft) -> tuple[LegalQuestion, bool]:
        """The question, and whether this call filed it (False: a Submit delivered again)."""
        filed_now = False

        async def filed(key: str) -> LegalQuestion | None:
            async with self.db.session() as session:
                rows = await session.exec(
                    select(LegalQuestion).where(LegalQuestion.intake_key == key)
                )
                return rows.first()

        async def file() -> LegalQuestion:
            nonlocal filed_now
            question = await self._file(draft)
            filed_now = True
            return question

        question = await file_once(draft.intake_key, filed, file)
        return question, filed_now

    async def card_posted(self, question_id: int) -> bool:
        """Whether the card went out (a forum question's waits for its topic)."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(Notification.id).where(
                    Notification.reference == legal_reference(question_id)
                )
            )
            return rows.first() is not None

    async def post_card(self, question_id: int, topic_id: int | None) -> LegalQuestion:
        """The card of a question filed with `card_later`, in its own topic (None: General)."""
        async with self.db.session() as session:
            question = await self._get(session, question_id)
            question.topic_id = topic_id
            self._notify(session, self.notices.created(self.opened(question)))
            return await self._save(session, question)

    async def _file(self, draft: LegalDraft) -> LegalQuestion:
        if draft.topic not in TOPICS or draft.asker_kind not in KINDS:
            raise ValueError(f"unknown topic {draft.topic!r} or kind {draft.asker_kind!r}")
        files = [vars(item) for item in draft.attachments[:FILE_LIMIT]]
        async with self.db.session() as session:
            question = LegalQuestion(
                asker_id=draft.asker_id,
                asker_locale=draft.asker_locale,
                asker_kind=draft.asker_kind,
                topic=draft.topic,
                name_encrypted=self.cipher.encrypt(draft.asker_name),
                text_encrypted=self.cipher.encrypt(draft.text[:TEXT_LIMIT]),
                files_encrypted=self.cipher.encrypt(json.dumps(files, ensure_ascii=False)),
                chat_id=draft.chat_id,
                topic_id=draft.topic_id,
                intake_key=draft.intake_key,
            )
            session.add(question)
            await session.flush()
            assert question.id is not None
            question.number = f"L{question.created_at.year}-{question.id:06d}"
            if not draft.card_later:
                self._notify(session, self.notices.created(self.opened(question)))
            return await self._save(session, question)

    def opened(self, question: LegalQuestion) -> Opened:
        def plain(token: str | None) -> str:
            return self.cipher.decrypt(token) if token else ""

        files = json.loads(plain(question.files_encrypted) or "[]")
        return Opened(
            question,
            plain(question.name_encrypted),
            plain(question.text_encrypted),
            tuple(Attachment(**item) for item in files),
        )

    # finding

    async def get(self, question_id: int) -> LegalQuestion:
        async with self.db.session() as session:
            return await self._get(session, question_id)

    async def by_topic(self, chat_id: int, thread_id: int) -> LegalQuestion | None:
        async with self.db.session() as session:
            rows = await session.exec(
                select(LegalQuestion)
                .where(LegalQuestion.chat_id == chat_id)
                .where(LegalQuestion.topic_id == thread_id)
            )
            return rows.first()

    async def by_bot_message(self, chat_id: int, message_id: int) -> LegalQuestion | None:
        """The question a message the bot sent (a card, a relayed message) is about."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(Notification.reference)
                .where(Notification.chat_id == chat_id)
                .where(Notification.telegram_message_id == message_id)
            )
            question_id = question_id_of(rows.first())
            return None if question_id is None else await session.get(LegalQuestion, question_id)

    async def for_asker(self, asker_id: int) -> list[LegalQuestion]:
        async with self.db.session() as session:
            rows = await session.exec(
                select(LegalQuestion)
                .where(LegalQuestion.asker_id == asker_id)
                .order_by(col(LegalQuestion.id).desc())
                .limit(10)
            )
            return list(rows)

    # the lawyers

    async def take(self, question_id: int, lawyer_id: int, lawyer_name: str) -> LegalQuestion:
        """The caller has asked Authorization: a lawyer of the lawyers' chat, on duty."""
        async with self.db.session() as session:
            won = await session.exec(  # one statement: of two lawyers pressing, one wins
                update(LegalQuestion)
                .where(col(LegalQuestion.id) == question_id, col(LegalQuestion.status) == NEW)
                .values(
                    status=TAKEN, taken_at=utcnow(), lawyer_id=lawyer_id, lawyer_name=lawyer_name
                )
                .execution_options(synchronize_session=False)
            )
            question = await self._get(session, question_id)
            await session.refresh(question)
            if not won.rowcount:
                if question.lawyer_id == lawyer_id:
                    return question  # pressed again
                raise AlreadyTaken(question.lawyer_name or "")
            self._notify(session, self.notices.taken(question))
            return await self._save(session, question)

    async def reply_from_lawyer(
        self,
        question_id: int,
        lawyer_id: int,
        words: str,
        media: Media | None = None,
        source: Source | None = None,
    ) -> LegalQuestion:
        async with self.db.session() as session:
            question = await self._taker_question(session, question_id, lawyer_id)
            relayed = self.notices.lawyer_reply(question, words, media, source)
            await record_pair(session, self.outbox, relayed, source, legal_question_id=question.id)
            return await self._save(session, question)

    async def note(
        self, question_id: int, lawyer_id: int, lawyer_name: str, words: str
    ) -> LegalNote:
        """An internal note: kept with the question for the lawyers, never relayed (the caller
        asked DutyRoster: a lawyer of the lawyers' chat now)."""
        async with self.db.session() as session:
            question = await self._get(session, question_id)
            note = LegalNote(
                question_id=question.id or 0,
                lawyer_id=lawyer_id,
                lawyer_name=lawyer_name,
                text_encrypted=self.cipher.encrypt(words[:TEXT_LIMIT]),
            )
            session.add(note)
            await session.commit()
            await session.refresh(note)
            return note

    async def notes(self, question_id: int) -> list[tuple[LegalNote, str]]:
        """The question's internal notes with their words, oldest first ("" once purged)."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(LegalNote)
                .where(LegalNote.question_id == question_id)
                .order_by(col(LegalNote.id))
            )
            return [
                (note, self.cipher.decrypt(note.text_encrypted) if note.text_encrypted else "")
                for note in rows
            ]

    async def mark_answered(self, question_id: int, lawyer_id: int) -> LegalQuestion:
        async with self.db.session() as session:
            question = await self._taker_question(session, question_id, lawyer_id)
            if question.status == ANSWERED:
                raise WrongState(ANSWERED)
            question.status, question.answered_at = ANSWERED, utcnow()
            self._notify(session, self.notices.answered(question))
            return await self._save(session, question)

    # the asker

    async def followup_from_asker(
        self,
        question_id: int,
        asker_id: int,
        words: str,
        media: Media | None = None,
        source: Source | None = None,
    ) -> LegalQuestion:
        async with self.db.session() as session:
            question = await self._asker_question(session, question_id, asker_id)
            card = await self._card_message_id(session, question)
            relayed = self.notices.asker_followup(question, words, media, source, card)
            await record_pair(session, self.outbox, relayed, source, legal_question_id=question.id)
            return await self._save(session, question)

    async def rate(self, question_id: int, asker_id: int, stars: int) -> LegalQuestion:
        if not 1 <= stars <= 5:
            raise ValueError("a rating is 1 to 5 stars")
        async with self.db.session() as session:
            question = await self._asker_question(session, question_id, asker_id)
            if question.status != ANSWERED:
                raise WrongState(question.status)
            first = question.rating is None
            question.rating = stars
            if first:
                self._notify(session, self.notices.rated(question))
            return await self._save(session, question)

    # edits follow, both ways

    async def relayed_question(self, source: Source) -> LegalQuestion | None:
        async with self.db.session() as session:
            for pair in await pairs_of(session, source):
                if pair.legal_question_id is not None:
                    return await session.get(LegalQuestion, pair.legal_question_id)
            return None

    async def edit_relayed(self, source: Source, words: str) -> int:
        """The original was edited: its copies follow (the caller checked the editor)."""
        async with self.db.session() as session:
            pairs = [p for p in await pairs_of(session, source) if p.legal_question_id]
            if not pairs:
                return 0
            question = await self._get(session, pairs[0].legal_question_id or 0)
            targets = await edit_targets(session, pairs)
            for target in targets:
                self._notify(session, self.notices.relay_edit(question, target, words))
            await self._save(session, question)
            return len(targets)

    # personal data

    async def purge(self, answered_before: datetime) -> int:
        """Forget who asked and what, for questions answered before the moment (or never
        answered, UNANSWERED longer); the notifications that carried it are wiped. Returns how
        many were purged."""
        async with self.db.session() as session:
            answered = col(LegalQuestion.answered_at)
            never = and_(
                answered.is_(None), col(LegalQuestion.created_at) < answered_before - UNANSWERED
            )
            rows = await session.exec(
                select(LegalQuestion)
                .where(col(LegalQuestion.purged_at).is_(None))
                .where(or_(answered < answered_before, never))
            )
            questions = list(rows)
            for question in questions:
                assert question.id is not None
                question.name_encrypted = question.text_encrypted = None
                question.files_encrypted = None
                question.purged_at = utcnow()
                session.add(question)
                await session.exec(
                    update(LegalNote)
                    .where(col(LegalNote.question_id) == question.id)
                    .values(text_encrypted=None)
                )
                await self.outbox.wipe(session, legal_reference(question.id), sealed_only=True)
            await session.commit()
            return len(questions)

    # inside

    async def _get(self, session: AsyncSession, question_id: int) -> LegalQuestion:
        question = await session.get(LegalQuestion, question_id)
        if question is None:
            raise QuestionNotFound(str(question_id))
        return question

    async def _taker_question(
        self, session: AsyncSession, question_id: int, lawyer_id: int
    ) -> LegalQuestion:
        question = await self._get(session, question_id)
        if question.status == NEW:
            raise NotTaken()
        if question.lawyer_id != lawyer_id:
            raise NotYours()
        return question

    async def _asker_question(
        self, session: AsyncSession, question_id: int, asker_id: int
    ) -> LegalQuestion:
        question = await self._get(session, question_id)
        if question.asker_id != asker_id:
            raise NotYours()
        return question

    async def _card_message_id(self, session: AsyncSession, question: LegalQuestion) -> int | None:
        assert question.id is not None
        rows = await session.exec(
            select(Notification.telegram_message_id)
            .where(Notification.reference == legal_reference(question.id))
            .where(Notification.chat_id == question.chat_id)
            .where(Notification.method == "sendMessage")
            .order_by(col(Notification.id))
        )
        return rows.first()

    def _notify(self, session: AsyncSession, sends: list[Outgoing]) -> None:
        for item in sends:
            self.outbox.add(session, item)

    @staticmethod
    async def _save(session: AsyncSession, question: LegalQuestion) -> LegalQuestion:
        session.add(question)
        await session.commit()
        await session.refresh(question)
        return question
