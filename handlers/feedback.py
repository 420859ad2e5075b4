"""Closing the loop: is it fixed, how satisfied, and a few words for the team."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from handlers.gates import PRIVATE, TYPED
from handlers.menu import cancel_only, main_menu, take_press
from handlers.notices import TelegramTicketNotices
from handlers.ticket_card import FixedAnswer, Rating
from services.authorization import escalation_chains
from services.board import Board
from services.routing import Routing
from services.ticket_contract import NotYourTicket, TicketError, WrongState
from services.tickets import CLOSED, TicketService


class Feedback(StatesGroup):
    writing = State()


class FeedbackOn(CallbackData, prefix="fb"):
    ticket_id: int


async def answer_fixed(
    query: CallbackQuery,
    callback_data: FixedAnswer,
    tickets: TicketService,
    notices: TelegramTicketNotices,
    board: Board,
) -> None:
    try:
        ticket = await tickets.confirm(
            callback_data.ticket_id, query.from_user.id, callback_data.fixed
        )
    except NotYourTicket:
        await query.answer(_("This request is not yours."), show_alert=True)
        return
    except (WrongState, TicketError):
        await query.answer(_("This request has already moved on."), show_alert=True)
        return
    if ticket.status != CLOSED:
        # a fix taken off the board is gone from it at once here, before anything is awaited:
        # the staff chat may already be reading "taken off the public board"
        board.forget()
    message = await take_press(query)
    if message is None:
        return
    if ticket.status == CLOSED:
        await message.answer(
            _("Glad it is fixed. How satisfied are you with how it was handled?"),
            reply_markup=notices.rating_buttons(callback_data.ticket_id),
        )
    else:
        await message.answer(
            _(
                "Sorry it is not fixed yet. Request {number} is open again and the team is told."
            ).format(number=ticket.number)
        )


async def rate(
    query: CallbackQuery, callback_data: Rating, tickets: TicketService, routing: Routing
) -> None:
    try:
        await tickets.rate(
            callback_data.ticket_id,
            query.from_user.id,
            callback_data.stars,
            escalation_chains(routing),  # a low rating goes to the community at once
        )
    except TicketError:
        await query.answer(_("This request cannot be rated now."), show_alert=True)
        return
    message = await take_press(query)
    if message is None:
        return
    tell_more = InlineKeyboardButton(
        text="📝 " + _("Tell the team more"),
        callback_data=FeedbackOn(ticket_id=callback_data.ticket_id).pack(),
    )
    await message.answer(
        _("Thank you for your rating."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[tell_more]]),
    )


async def ask_feedback(query: CallbackQuery, callback_data: FeedbackOn, state: FSMContext) -> None:
    message = await take_press(query)
    if message is None:
        return
    await state.set_state(Feedback.writing)
    await state.update_data(ticket_id=callback_data.ticket_id)
    await message.answer(
        _("What went well, or what could be better? Write it in a few words."),
        reply_markup=cancel_only(),
    )


async def take_feedback(message: Message, state: FSMContext, tickets: TicketService) -> None:
    assert message.from_user is not None and message.text is not None
    ticket_id = int((await state.get_data())["ticket_id"])
    await state.clear()
    try:
        await tickets.feedback(ticket_id, message.from_user.id, message.text.strip())
    except TicketError:
        await message.answer(_("This request cannot take feedback now."), reply_markup=main_menu())
        return
    await message.answer(_("Thank you, the team will read it."), reply_markup=main_menu())


def router() -> Router:
    router = Router(name="feedback")
    router.message.filter(PRIVATE)
    router.callback_query.register(answer_fixed, FixedAnswer.filter())
    router.callback_query.register(rate, Rating.filter())
    router.callback_query.register(ask_feedback, FeedbackOn.filter())
    router.message.register(take_feedback, StateFilter(Feedback.writing), TYPED)
    return router
