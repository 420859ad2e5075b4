"""What the legal service point says to askers and in the lawyers' chat, in each one's language.

The asker reads "Lawyer on duty" and never a lawyer's name or account. Every notification about
a question is sealed (it may carry who asked and what): encrypted in the outbox until sent,
wiped with the question's personal data. Messages in the lawyers' chat carry the question's
reference, so a reply to any of them is matched to the question.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from handlers.notices import TelegramTicketNotices, markup, relay_message
from services.conversation import TEXT, EditTarget, Relayed, Source, render
from services.legal import Opened, legal_reference
from services.legal_routing import CurrentPoint
from services.models import LegalQuestion
from services.outbox import Outgoing, Priority
from services.routing import text
from services.tickets import Media


def N_(message: str) -> str:
    return message


TOPIC_LABELS = {
    "employment": N_("Employment"),
    "contracts": N_("Contracts"),
    "platform": N_("Platform work"),
    "family": N_("Family"),
    "other": N_("Something else"),
}
KIND_LABELS = {"person": N_("a person"), "firm": N_("a small firm")}


class LegalAction(CallbackData, prefix="lq"):
    action: str  # take, answered, offer, min
    question_id: int
    minutes: int = 0


class LegalRate(CallbackData, prefix="lr"):
    question_id: int
    stars: int


class LegalBook(CallbackData, prefix="lb"):
    """The asker asks for the week's consultation times."""

    question_id: int


def kb_size(size: int) -> str:
    return f"{max(1, round(size / 1024))} KB" if size < 1024 * 1024 else f"{size / 2**20:.1f} MB"


class TelegramLegalNotices:
    def __init__(self, tickets: TelegramTicketNotices, current: CurrentPoint) -> None:
        self.tickets = tickets  # the chats' languages, TIMEZONE, the translations
        self.current = current

    def _(self, message: str, locale: str) -> str:
        return self.tickets.i18n.gettext(message, locale=locale)

    def chat_locale(self, question: LegalQuestion) -> str:
        return self.tickets.chat_locale(question.chat_id)

    def topic(self, code: str, locale: str) -> str:
        return self._(TOPIC_LABELS.get(code, TOPIC_LABELS["other"]), locale)

    def slot_label(self, moment: datetime) -> str:
        return moment.astimezone(self.tickets.zone).strftime("%Y-%m-%d %H:%M")

    def point_name(self, locale: str) -> str:
        point = self.current.point
        if point is None:
            return ""
        where = text(point.address, locale)
        return f"{text(point.name, locale)}, {where}" if where else text(point.name, locale)

    def to_lawyers(self, question: LegalQuestion, method: str, params: dict[str, Any]) -> Outgoing:
        assert question.id is not None
        if question.topic_id is not None:
            params = {**params, "message_thread_id": question.topic_id}
        reference = legal_reference(question.id)
        return Outgoing(question.chat_id, method, params, Priority.NORMAL, reference, sealed=True)

    def to_asker(self, question: LegalQuestion, method: str, params: dict[str, Any]) -> Outgoing:
        assert question.id is not None
        reference = legal_reference(question.id)
        return Outgoing(question.asker_id, method, params, Priority.URGENT, reference, sealed=True)

    def card_text(self, opened: Opened) -> str:
        question = opened.question
        locale = self.chat_locale(question)
        lines = [
            self._("⚖️ Question {number} · {topic}", locale).format(
                number=question.number, topic=self.topic(question.topic, locale)
            ),
            self._("From {kind}: {name}", locale).format(
                kind=self._(KIND_LABELS.get(question.asker_kind, "person"), locale),
                name=opened.name or self._("(details removed)", locale),
            ),
            "",
            f"“{opened.text}”" if opened.text else "",
        ]
        if opened.attachments:
            lines += ["", self._("Sent with it:", locale)]
            lines += [
                f"📎 {item.name or item.kind} ({kb_size(item.size)})"
                if item.size
                else f"📎 {item.name or item.kind}"
                for item in opened.attachments
            ]
        lines += [
            "",
            self._(
                "A lawyer on duty takes it, then replies to this message (or writes in this "
                "topic): the asker reads “Lawyer on duty”, never your name.",
                locale,
            ),
        ]
        return "\n".join(line for line in lines if line is not None)

    def lawyer_buttons(self, question: LegalQuestion, taken: bool) -> dict[str, Any]:
        assert question.id is not None
        locale, qid = self.chat_locale(question), question.id
        if not taken:
            take = LegalAction(action="take", question_id=qid).pack()
            return markup(
                [[InlineKeyboardButton(text="🙋 " + self._("Take", locale), callback_data=take)]]
            )
        return markup(
            [
                [
                    InlineKeyboardButton(
                        text="✅ " + self._("Answered", locale),
                        callback_data=LegalAction(action="answered", question_id=qid).pack(),
                    ),
                    InlineKeyboardButton(
                        text="📅 " + self._("Offer a consultation", locale),
                        callback_data=LegalAction(action="offer", question_id=qid).pack(),
                    ),
                ],
                [
                    InlineKeyboardButton(
                        text="⏱ " + self._("Record {minutes} min", locale).format(minutes=minutes),
                        callback_data=LegalAction(
                            action="min", question_id=qid, minutes=minutes
                        ).pack(),
                    )
                    for minutes in (15, 30, 60)
                ],
            ]
        )

    def created(self, opened: Opened) -> list[Outgoing]:
        question = opened.question
        sends = []
        if question.topic_id is not None:  # opened before the number existed
            name = f"{question.number} · {self.topic(question.topic, self.chat_locale(question))}"
            sends.append(self.to_lawyers(question, "editForumTopic", {"name": name[:128]}))
        card = {
            "text": self.card_text(opened),
            "reply_markup": self.lawyer_buttons(question, False),
        }
        sends.append(self.to_lawyers(question, "sendMessage", card))
        for item in opened.attachments:
            method = {"voice": "sendVoice", "audio": "sendAudio", "photo": "sendPhoto"}
            kind = item.kind if item.kind in method else "document"
            params = {kind: item.file_id, "caption": question.number}
            sends.append(self.to_lawyers(question, method.get(kind, "sendDocument"), params))
        return sends

    def taken(self, question: LegalQuestion) -> list[Outgoing]:
        locale = question.asker_locale
        message = self._(
            "👩‍⚖️ A lawyer on duty has taken your question {number}. The answer will come here.",
            locale,
        ).format(number=question.number)
        return [self.to_asker(question, "sendMessage", {"text": message})]

    def lawyer_reply(
        self, question: LegalQuestion, words: str, media: Media | None, source: Source | None
    ) -> Relayed:
        locale = question.asker_locale
        heading = self._("👩‍⚖️ Lawyer on duty, about your question {number}:", locale).format(
            number=question.number
        )

        def send(method: str, params: dict[str, Any]) -> Outgoing:
            return self.to_asker(question, method, params)

        return relay_message(heading, words, media, source, send, locale)

    def asker_followup(
        self,
        question: LegalQuestion,
        words: str,
        media: Media | None,
        source: Source | None,
        card: int | None,
    ) -> Relayed:
        locale = self.chat_locale(question)
        heading = self._("💬 The asker adds to question {number}:", locale).format(
            number=question.number
        )

        def send(method: str, params: dict[str, Any]) -> Outgoing:
            if card is not None and question.topic_id is None:
                params["reply_parameters"] = {
                    "message_id": card,
                    "allow_sending_without_reply": True,
                }
            return self.to_lawyers(question, method, params)

        return relay_message(heading, words, media, source, send, locale)

    def answered(self, question: LegalQuestion) -> list[Outgoing]:
        assert question.id is not None
        locale = question.asker_locale
        message = self._(
            "✅ The lawyer on duty has answered your question {number}. "
            "How helpful was the answer? You can also book an in-person consultation.",
            locale,
        ).format(number=question.number)
        stars = [
            InlineKeyboardButton(
                text="⭐" * stars,
                callback_data=LegalRate(question_id=question.id, stars=stars).pack(),
            )
            for stars in range(1, 6)
        ]
        book = InlineKeyboardButton(
            text="📅 " + self._("Book an in-person consultation", locale),
            callback_data=LegalBook(question_id=question.id).pack(),
        )
        params = {"text": message, "reply_markup": markup([stars[:3], stars[3:], [book]])}
        return [self.to_asker(question, "sendMessage", params)]

    def rated(self, question: LegalQuestion) -> list[Outgoing]:
        locale = self.chat_locale(question)
        message = self._("The asker rated the answer to {number}: {rating} of 5.", locale).format(
            number=question.number, rating=question.rating
        )
        return [
            self.to_lawyers(
                question, "sendMessage", {"text": "⭐" * (question.rating or 0) + " " + message}
            )
        ]

    def relay_edit(self, question: LegalQuestion, target: EditTarget, words: str) -> list[Outgoing]:
        assert question.id is not None
        reference = legal_reference(question.id)
        if target.message_id is not None and target.in_time and target.editable:
            method = "editMessageText" if target.editable == TEXT else "editMessageCaption"
            params: dict[str, Any] = {"message_id": target.message_id}
            params[target.editable] = render(target.heading, words)
            return [
                Outgoing(target.chat_id, method, params, Priority.URGENT, reference, sealed=True)
            ]
        edited = self._("✏️ Edited:", target.locale)
        params = {"text": render(f"{target.heading}\n{edited}".strip(), words)}
        thread = target.thread_id  # a sealed copy's parameters are gone: the question knows
        if thread is None and target.chat_id == question.chat_id:
            thread = question.topic_id
        if thread is not None:
            params["message_thread_id"] = thread
        if target.message_id is not None:
            params["reply_parameters"] = {
                "message_id": target.message_id,
                "allow_sending_without_reply": True,
            }
        return [
            Outgoing(target.chat_id, "sendMessage", params, Priority.URGENT, reference, sealed=True)
        ]
