"""What consultations at the legal service point say: the week's times, a booking, its
reminder, a move and a cancellation, to the asker and in the lawyers' chat.

Sealed like every notification about a question (handlers/lawyer_notices.py builds them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton

from handlers.lawyer_notices import LegalBook, TelegramLegalNotices
from handlers.notices import markup
from services.models import LegalBooking, LegalQuestion
from services.outbox import Outgoing


class LegalSlot(CallbackData, prefix="ls"):
    question_id: int
    at: int  # the slot's start, Unix seconds


class LegalMoveTo(CallbackData, prefix="lm"):
    """The asker moves their booking to this time."""

    question_id: int
    at: int


class LegalChange(CallbackData, prefix="lc"):
    """The asker's booking: `move` shows the free times, `cancel` asks, `drop` cancels."""

    question_id: int
    action: str


class TelegramBookingNotices:
    def __init__(self, legal: TelegramLegalNotices) -> None:
        self.legal = legal  # languages, the service point, the question's chats

    def _(self, message: str, locale: str) -> str:
        return self.legal._(message, locale)

    def slot_buttons(
        self, question: LegalQuestion, slots: list[datetime], moving: bool = False
    ) -> dict[str, Any]:
        assert question.id is not None
        kind = LegalMoveTo if moving else LegalSlot
        rows = [
            [
                InlineKeyboardButton(
                    text="🕑 " + self.legal.slot_label(slot),
                    callback_data=kind(question_id=question.id, at=int(slot.timestamp())).pack(),
                )
            ]
            for slot in slots[:12]
        ]
        return markup(rows)

    def change_buttons(self, question: LegalQuestion, locale: str) -> dict[str, Any]:
        assert question.id is not None
        qid = question.id
        return markup(
            [
                [
                    InlineKeyboardButton(
                        text="🔁 " + self._("Move to another time", locale),
                        callback_data=LegalChange(question_id=qid, action="move").pack(),
                    ),
                    InlineKeyboardButton(
                        text="✖️ " + self._("Cancel the booking", locale),
                        callback_data=LegalChange(question_id=qid, action="cancel").pack(),
                    ),
                ]
            ]
        )

    def offered(self, question: LegalQuestion, slots: list[datetime]) -> list[Outgoing]:
        locale = question.asker_locale
        if not slots:
            message = self._(
                "No consultation time is free this week; the lawyer on duty will write to you.",
                locale,
            )
            return [self.legal.to_asker(question, "sendMessage", {"text": message})]
        message = self._(
            "📅 An in-person consultation about your question {number}, at {place}. Choose a time:",
            locale,
        ).format(number=question.number, place=self.legal.point_name(locale))
        params = {"text": message, "reply_markup": self.slot_buttons(question, slots)}
        return [self.legal.to_asker(question, "sendMessage", params)]

    def booked(self, question: LegalQuestion, booking: LegalBooking) -> list[Outgoing]:
        when = self.legal.slot_label(booking.slot_start)
        locale = question.asker_locale
        asker = self._(
            "📅 Booked: {when}, at {place}, about your question {number}. "
            "You will be reminded the day before.",
            locale,
        ).format(when=when, place=self.legal.point_name(locale), number=question.number)
        lawyers = self._(
            "📅 The asker of {number} booked an in-person consultation: {when}.",
            self.legal.chat_locale(question),
        ).format(number=question.number, when=when)
        params = {"text": asker, "reply_markup": self.change_buttons(question, locale)}
        return [
            self.legal.to_asker(question, "sendMessage", params),
            self.legal.to_lawyers(question, "sendMessage", {"text": lawyers}),
        ]

    def moved(
        self, question: LegalQuestion, before: datetime, booking: LegalBooking
    ) -> list[Outgoing]:
        was, when = self.legal.slot_label(before), self.legal.slot_label(booking.slot_start)
        locale = question.asker_locale
        asker = self._(
            "📅 Moved: your consultation about question {number} is now {when} (not {was}), "
            "at {place}.",
            locale,
        ).format(number=question.number, when=when, was=was, place=self.legal.point_name(locale))
        lawyers = self._(
            "📅 The asker of {number} moved the consultation from {was} to {when}.",
            self.legal.chat_locale(question),
        ).format(number=question.number, was=was, when=when)
        params = {"text": asker, "reply_markup": self.change_buttons(question, locale)}
        return [
            self.legal.to_asker(question, "sendMessage", params),
            self.legal.to_lawyers(question, "sendMessage", {"text": lawyers}),
        ]

    def cancelled(self, question: LegalQuestion, before: datetime) -> list[Outgoing]:
        assert question.id is not None
        was = self.legal.slot_label(before)
        locale = question.asker_locale
        asker = self._(
            "Cancelled: your consultation of {was} about question {number}.", locale
        ).format(was=was, number=question.number)
        lawyers = self._(
            "✖️ The asker of {number} cancelled the consultation of {was}; that time is free again.",
            self.legal.chat_locale(question),
        ).format(number=question.number, was=was)
        again = InlineKeyboardButton(
            text="📅 " + self._("Book another time", locale),
            callback_data=LegalBook(question_id=question.id).pack(),
        )
        params = {"text": asker, "reply_markup": markup([[again]])}
        return [
            self.legal.to_asker(question, "sendMessage", params),
            self.legal.to_lawyers(question, "sendMessage", {"text": lawyers}),
        ]

    def reminder(self, question: LegalQuestion, booking: LegalBooking) -> list[Outgoing]:
        when = self.legal.slot_label(booking.slot_start)
        locale = question.asker_locale
        asker = self._(
            "⏰ Reminder: your consultation about question {number} is tomorrow, {when}, at "
            "{place}.",
            locale,
        ).format(number=question.number, when=when, place=self.legal.point_name(locale))
        lawyers = self._(
            "⏰ Tomorrow, {when}: the in-person consultation about {number}.",
            self.legal.chat_locale(question),
        ).format(number=question.number, when=when)
        params = {"text": asker, "reply_markup": self.change_buttons(question, locale)}
        return [
            self.legal.to_asker(question, "sendMessage", params),
            self.legal.to_lawyers(question, "sendMessage", {"text": lawyers}),
        ]
