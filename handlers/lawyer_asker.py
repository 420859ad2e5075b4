"""The asker's side of a legal question: follow-ups to the lawyer, rating, and the questions
under "My requests" (booking a consultation: handlers/lawyer_booking.py)."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Filter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from handlers.gates import NOT_A_COMMAND, PRIVATE
from handlers.lawyer_notices import (
    TOPIC_LABELS,
    LegalRate,
)
from handlers.menu import cancel_only, main_menu
from handlers.relayed import media_of, source_of, words_of
from services.legal import LegalDesk
from services.legal_contract import ANSWERED, NEW, NotYours, QuestionNotFound, WrongState
from services.models import LegalQuestion


class OpenQuestion(CallbackData, prefix="oq"):
    question_id: int


class WriteToLawyer(CallbackData, prefix="wl"):
    question_id: int


class Following(StatesGroup):
    writing = State()


def status_words(question: LegalQuestion) -> str:
    if question.status == NEW:
        return _("waiting for a lawyer")
    if question.status == ANSWERED:
        rated = _(", rated {stars} of 5").format(stars=question.rating) if question.rating else ""
        return _("answered") + rated
    return _("a lawyer is answering")


async def list_questions(message: Message, legal: LegalDesk) -> bool:
    """The asker's questions to the lawyers, as a message of their own; False if none."""
    assert message.from_user is not None
    mine = await legal.for_asker(message.from_user.id)
    if not mine:
        return False
    lines = [
        f"{q.number} · {_(TOPIC_LABELS.get(q.topic, 'Something else'))} · {status_words(q)}"
        for q in mine
    ]
    buttons = [
        [
            InlineKeyboardButton(
                text=_("Open {number}").format(number=q.number),
                callback_data=OpenQuestion(question_id=q.id or 0).pack(),
            )
        ]
        for q in mine
    ]
    await message.answer(
        _("Your questions to the lawyers on duty:") + "\n\n" + "\n".join(lines),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
    )
    return True


async def own_question(
    query: CallbackQuery, legal: LegalDesk, question_id: int
) -> LegalQuestion | None:
    try:
        question = await legal.get(question_id)
    except QuestionNotFound:
        question = None
    if question is None or question.asker_id != query.from_user.id:
        await query.answer(_("This question is not yours."), show_alert=True)
        return None
    return question


async def open_question(
    query: CallbackQuery, callback_data: OpenQuestion, legal: LegalDesk
) -> None:
    question = await own_question(query, legal, callback_data.question_id)
    if question is None or not isinstance(query.message, Message):
        return
    await query.answer()
    opened = legal.opened(question)
    write = WriteToLawyer(question_id=callback_data.question_id).pack()
    await query.message.answer(
        _("Question {number}: {status}").format(
            number=question.number, status=status_words(question)
        )
        + (f"\n“{opened.text}”" if opened.text else ""),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text="💬 " + _("Write to the lawyer on duty"), callback_data=write
                    )
                ]
            ]
        ),
    )


async def ask_followup(
    query: CallbackQuery, callback_data: WriteToLawyer, state: FSMContext, legal: LegalDesk
) -> None:
    if await own_question(query, legal, callback_data.question_id) is None:
        return
    await query.answer()
    await state.set_state(Following.writing)
    await state.update_data(question_id=callback_data.question_id)
    if isinstance(query.message, Message):
        await query.message.answer(
            _("Send your message, a voice note or a document; the lawyer on duty will see it."),
            reply_markup=cancel_only(),
        )


async def take_followup(message: Message, state: FSMContext, legal: LegalDesk) -> None:
    question_id = int((await state.get_data())["question_id"])
    await state.clear()
    await followup(message, question_id, legal)


class AboutMyQuestion(Filter):
    """A private reply to the bot's message about one of the person's legal questions."""

    async def __call__(self, message: Message, legal: LegalDesk) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or not replied.from_user.is_bot:
            return False
        question = await legal.by_bot_message(message.chat.id, replied.message_id)
        return {"question": question} if question is not None else False


async def reply_followup(message: Message, question: LegalQuestion, legal: LegalDesk) -> None:
    await followup(message, question.id or 0, legal)


async def followup(message: Message, question_id: int, legal: LegalDesk) -> None:
    assert message.from_user is not None
    words, media = words_of(message), media_of(message)
    if not words and media is None:
        await message.answer(
            _("This kind of message cannot be passed on; send words, a voice note or a document.")
        )
        return
    try:
        question = await legal.followup_from_asker(
            question_id, message.from_user.id, words, media, source_of(message)
        )
    except (NotYours, QuestionNotFound):
        await message.answer(_("This question is not yours."), reply_markup=main_menu())
        return
    await message.answer(
        _("Sent to the lawyer on duty, about question {number}.").format(number=question.number),
        reply_markup=main_menu(),
    )


class RelayedFollowup(Filter):
    """An edit of a message the person relayed to a lawyer (a ticket comment is not)."""

    async def __call__(self, message: Message, legal: LegalDesk) -> bool | dict[str, Any]:
        question = await legal.relayed_question(source_of(message))
        return {"question": question} if question is not None else False


async def edit_followup(message: Message, question: LegalQuestion, legal: LegalDesk) -> None:
    if message.from_user is None or question.asker_id != message.from_user.id:
        return  # (forged) not theirs: nothing follows
    await legal.edit_relayed(source_of(message), words_of(message))


async def rate(query: CallbackQuery, callback_data: LegalRate, legal: LegalDesk) -> None:
    try:
        await legal.rate(callback_data.question_id, query.from_user.id, callback_data.stars)
    except (NotYours, QuestionNotFound):
        await query.answer(_("This question is not yours."), show_alert=True)
        return
    except (WrongState, ValueError):
        await query.answer(_("That has been done already."), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(_("Thank you for your rating."), reply_markup=main_menu())


def router() -> Router:
    router = Router(name="lawyer-asker")
    router.message.filter(PRIVATE)
    router.edited_message.filter(PRIVATE)
    router.callback_query.register(open_question, OpenQuestion.filter())
    router.callback_query.register(ask_followup, WriteToLawyer.filter())
    router.callback_query.register(rate, LegalRate.filter())
    router.message.register(take_followup, StateFilter(Following.writing), NOT_A_COMMAND)
    router.message.register(reply_followup, StateFilter(None), AboutMyQuestion())
    router.edited_message.register(edit_followup, RelayedFollowup())
    return router
