"""The application form: one question at a time, then the summary and Submit.

A wrong answer gets the reason and the same question again; "Back" and /cancel work at every
step. The form is entered from handlers.tourist_certificate (/certificate, after consent). The
questions are asked in handlers.application_questions, the summary shown and submitted in
handlers.application_summary; here each answer is taken, and the steps routed.
"""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.application_questions import (
    BACK,
    STEPS,
    TOMORROW,
    Apply,
    DocChoice,
    HotelChoice,
    ask,
    offer_hotels,
)
from handlers.application_summary import Decide, decide, show_summary
from handlers.gates import PRIVATE, TYPED
from handlers.identity_answers import (
    TODAY,
    given_phone,
    parse_date,
    typed_document_number,
    typed_name,
)
from handlers.menu import MenuButton, drop_buttons
from services.certificates import china_today
from services.identity import DocumentType
from services.routing import Routing, text


async def go_on(
    message: Message, state: FSMContext, step: str, routing: Routing, i18n: I18n
) -> None:
    """After an answer: the next question, or the summary when correcting from it."""
    data = await state.get_data()
    if data.get("correcting"):
        await show_summary(message, state, routing, i18n)
        return
    following = STEPS.index(step) + 1
    if following < len(STEPS):
        await ask(message, state, STEPS[following], routing, i18n)
    else:
        await show_summary(message, state, routing, i18n)


async def back(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    current = (await state.get_state() or "").split(":")[-1]
    if current in STEPS and STEPS.index(current) > 0:
        await ask(message, state, STEPS[STEPS.index(current) - 1], routing, i18n)
    else:
        await message.answer(_("This is the first question. Send /cancel to stop."))


async def take_name(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    name = await typed_name(message)
    if name is None:
        return
    await state.update_data(name=name)
    await go_on(message, state, "name", routing, i18n)


async def choose_doc_type(
    query: CallbackQuery, callback_data: DocChoice, state: FSMContext, routing: Routing, i18n: I18n
) -> None:
    await query.answer()
    await state.update_data(doc_type=DocumentType(callback_data.kind).value, doc_number=None)
    if isinstance(query.message, Message):
        await drop_buttons(query.message)
        await ask(query.message, state, "doc_number", routing, i18n)


async def take_doc_number(
    message: Message, state: FSMContext, routing: Routing, i18n: I18n
) -> None:
    number = await typed_document_number(message, (await state.get_data())["doc_type"])
    if number is None:
        return
    await state.update_data(doc_number=number)
    await go_on(message, state, "doc_number", routing, i18n)


async def take_birth_date(
    message: Message, state: FSMContext, routing: Routing, i18n: I18n
) -> None:
    born = parse_date(message.text or "")
    if born is None or not date(1900, 1, 1) <= born <= china_today():
        await message.answer(_("Please write the date as year-month-day, for example 1990-05-17."))
        return
    data = await state.get_data()
    if data.get("doc_type") == DocumentType.PRC_ID and data.get("doc_number"):
        in_id = data["doc_number"][6:14]
        if born.strftime("%Y%m%d") != in_id:
            await message.answer(
                _(
                    "This date does not match the one in your ID number ({in_id}). Which is right?"
                ).format(in_id=f"{in_id[:4]}-{in_id[4:6]}-{in_id[6:]}")
            )
            return
    await state.update_data(birth_date=born.isoformat())
    await go_on(message, state, "birth_date", routing, i18n)


async def take_phone(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    phone = given_phone(message)
    if phone is None:
        await message.answer(
            _(
                "That is not a phone number. Type it with digits only (and + for abroad), or "
                "press “Share my phone number”."
            )
        )
        return
    await state.update_data(phone=phone)
    await go_on(message, state, "phone", routing, i18n)


async def search_hotel(message: Message, routing: Routing, i18n: I18n) -> None:
    await offer_hotels(message, routing, i18n, (message.text or "").strip())


async def choose_hotel(
    query: CallbackQuery,
    callback_data: HotelChoice,
    state: FSMContext,
    routing: Routing,
    i18n: I18n,
) -> None:
    hotel = routing.hotel(callback_data.code)
    await query.answer(text(hotel.name, i18n.current_locale))
    await state.update_data(hotel=hotel.code)
    if isinstance(query.message, Message):
        await drop_buttons(query.message)
        await go_on(query.message, state, "hotel", routing, i18n)


async def take_check_in(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    today = china_today()
    typed = message.text or ""
    if typed in TODAY.texts_in_every_locale(i18n):
        day: date | None = today
    elif typed in TOMORROW.texts_in_every_locale(i18n):
        day = today + timedelta(days=1)
    else:
        day = parse_date(typed)
    if day is None:
        await message.answer(_("Please write the date as year-month-day, for example 2026-11-21."))
        return
    if day < today:
        await message.answer(_("That day is in the past. When do you check in?"))
        return
    if day > today + timedelta(days=30):
        await message.answer(
            _("Certificates are issued at most 30 days ahead. When do you check in?")
        )
        return
    await state.update_data(check_in=day.isoformat())
    await go_on(message, state, "check_in", routing, i18n)


async def take_nights(
    message: Message, state: FSMContext, routing: Routing, i18n: I18n, max_nights: int
) -> None:
    typed = (message.text or "").strip()
    if not typed.isdigit() or not 1 <= int(typed) <= max_nights:
        await message.answer(
            _("Please send a whole number of nights from 1 to {most}.").format(most=max_nights)
        )
        return
    await state.update_data(nights=int(typed))
    await go_on(message, state, "nights", routing, i18n)


async def take_selfie(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    assert message.photo is not None
    await state.update_data(selfie=message.photo[-1].file_id)
    await go_on(message, state, "selfie", routing, i18n)


async def not_a_selfie(message: Message) -> None:
    await message.answer(_("Please send a photo of your face (a selfie), not a file or text."))


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please press one of the buttons above, or send /cancel to stop."))


def router() -> Router:
    """The form's steps; a new Router for every Dispatcher."""
    router = Router(name="application-form")
    private = PRIVATE
    # The application's steps sit behind one state check, as the report form's do.
    form = Router(name="tourists-forms")
    form.message.filter(StateFilter(Apply))
    router.message.register(back, private, MenuButton(BACK))
    form.message.register(take_name, StateFilter(Apply.name), TYPED)
    router.callback_query.register(choose_doc_type, StateFilter(Apply.doc_type), DocChoice.filter())
    form.message.register(take_doc_number, StateFilter(Apply.doc_number), TYPED)
    form.message.register(take_birth_date, StateFilter(Apply.birth_date), TYPED)
    form.message.register(
        take_phone, StateFilter(Apply.phone), F.contact | (F.text & ~F.text.startswith("/"))
    )
    form.message.register(search_hotel, StateFilter(Apply.hotel), TYPED)
    router.callback_query.register(choose_hotel, StateFilter(Apply.hotel), HotelChoice.filter())
    form.message.register(take_check_in, StateFilter(Apply.check_in), TYPED)
    form.message.register(take_nights, StateFilter(Apply.nights), TYPED)
    form.message.register(take_selfie, StateFilter(Apply.selfie), F.photo)
    form.message.register(not_a_selfie, StateFilter(Apply.selfie))
    router.callback_query.register(decide, StateFilter(Apply.confirm), Decide.filter())
    for step in (Apply.consent, Apply.doc_type, Apply.confirm):
        form.message.register(use_the_buttons, StateFilter(step))
    router.include_router(form)
    return router
