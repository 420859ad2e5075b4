"""The asker books, moves or cancels an in-person consultation at the legal service point.

Each press is checked against the question's asker now; the time itself is decided by the
database (services/legal_bookings.py): of two people pressing one time, one gets it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from handlers.lawyer_asker import own_question
from handlers.lawyer_booking_notices import (
    LegalChange,
    LegalMoveTo,
    LegalSlot,
    TelegramBookingNotices,
)
from handlers.lawyer_notices import LegalBook, TelegramLegalNotices
from handlers.menu import drop_buttons
from services.legal import LegalDesk
from services.legal_bookings import AlreadyBooked, Bookings, NoBooking, NotASlot, SlotTaken
from services.legal_contract import NotYours, QuestionNotFound
from services.models import LegalQuestion, utcnow


async def want_slots(
    query: CallbackQuery, callback_data: LegalBook, legal: LegalDesk, bookings: Bookings
) -> None:
    if await own_question(query, legal, callback_data.question_id) is None:
        return
    await query.answer()
    await bookings.offer(callback_data.question_id, utcnow())


async def refused_time(
    message: Message,
    refused: SlotTaken | NotASlot,
    question: LegalQuestion,
    bookings: Bookings,
    booking_notices: TelegramBookingNotices,
    moving: bool,
) -> None:
    """Someone took the time, or it is no longer offered: the free ones, offered again."""
    free = await bookings.free_slots(utcnow())
    said = (
        _("That time was booked by someone else a moment ago.")
        if isinstance(refused, SlotTaken)
        else _("That time is no longer offered.")
    )
    if not free:
        await message.answer(said + " " + _("No other time is free this week."))
        return
    await message.answer(
        said + " " + _("Choose another:"),
        reply_markup=InlineKeyboardMarkup.model_validate(
            booking_notices.slot_buttons(question, free, moving)
        ),
    )


async def own_press(
    query: CallbackQuery, legal: LegalDesk, question_id: int
) -> tuple[LegalQuestion, Message] | None:
    """The question pressed on, if the presser asked it, and the message the press was on."""
    question = await own_question(query, legal, question_id)
    if question is None or not isinstance(query.message, Message):
        return None
    return question, query.message


async def no_booking(query: CallbackQuery) -> None:
    await query.answer(_("You have no consultation booked for this question."), True)


async def take_time(
    query: CallbackQuery,
    callback_data: LegalSlot | LegalMoveTo,
    legal: LegalDesk,
    bookings: Bookings,
    legal_notices: TelegramLegalNotices,
    booking_notices: TelegramBookingNotices,
) -> None:
    """A time pressed: booked, or the booking moved to it; the database decides who gets it."""
    pressed = await own_press(query, legal, callback_data.question_id)
    if pressed is None:
        return
    question, message = pressed
    moving = isinstance(callback_data, LegalMoveTo)
    slot = datetime.fromtimestamp(callback_data.at, UTC)
    try:
        if moving:
            await bookings.move(question.id or 0, query.from_user.id, slot)
        else:
            await bookings.book(question.id or 0, query.from_user.id, slot)
    except AlreadyBooked as booked:
        await query.answer(
            _("You have already booked {when} for this question.").format(
                when=legal_notices.slot_label(booked.booking.slot_start)
            ),
            show_alert=True,
        )
        return
    except NoBooking:
        await no_booking(query)
        return
    except (SlotTaken, NotASlot) as refused:
        await query.answer()
        await refused_time(message, refused, question, bookings, booking_notices, moving)
        return
    await query.answer()
    await drop_buttons(message)


async def change(
    query: CallbackQuery,
    callback_data: LegalChange,
    legal: LegalDesk,
    bookings: Bookings,
    legal_notices: TelegramLegalNotices,
    booking_notices: TelegramBookingNotices,
) -> None:
    """Move: the free times; cancel: asked first; drop: cancelled, the time freed."""
    pressed = await own_press(query, legal, callback_data.question_id)
    if pressed is None:
        return
    question, message = pressed
    now = utcnow()
    booking = await bookings.upcoming(question.id or 0, now)
    if booking is None:
        await no_booking(query)
        return
    when = legal_notices.slot_label(booking.slot_start)
    if callback_data.action == "move":
        await query.answer()
        free = await bookings.free_slots(now)
        if not free:
            await message.answer(
                _("No other time is free this week; your booking of {when} stands.").format(
                    when=when
                )
            )
            return
        await message.answer(
            _("Your consultation is booked for {when}. Choose the new time:").format(when=when),
            reply_markup=InlineKeyboardMarkup.model_validate(
                booking_notices.slot_buttons(question, free, moving=True)
            ),
        )
    elif callback_data.action == "cancel":
        await query.answer()
        drop = LegalChange(question_id=callback_data.question_id, action="drop").pack()
        await message.answer(
            _("Cancel your consultation of {when}? The time goes to someone else.").format(
                when=when
            ),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(text="✖️ " + _("Yes, cancel it"), callback_data=drop),
                    ]
                ]
            ),
        )
    else:
        try:
            await bookings.cancel(question.id or 0, query.from_user.id, now)
        except (NoBooking, NotYours, QuestionNotFound):
            await no_booking(query)
            return
        await query.answer()
        await drop_buttons(message)


def router() -> Router:
    router = Router(name="lawyer-booking")
    router.callback_query.filter(F.message.chat.type == "private")
    router.callback_query.register(want_slots, LegalBook.filter())
    router.callback_query.register(take_time, LegalSlot.filter())
    router.callback_query.register(change, LegalChange.filter())
    router.callback_query.register(take_time, LegalMoveTo.filter())
    return router
