"""The application form: one question at a time, then the summary and Submit.

A wrong answer gets the reason and the same question again; "Back" and /cancel work at every
step. The form is entered from handlers.tourist_certificate (/certificate, after consent).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.application_notices import DOCUMENT_NAMES
from handlers.gates import PRIVATE, TYPED
from handlers.menu import (
    CANCEL,
    N_,
    MenuButton,
    MenuEntry,
    drop_buttons,
    main_menu,
    take_press,
)
from services.applications import (
    ApplicationDraft,
    ApplicationService,
    PersonalData,
)
from services.certificates import china_today
from services.identity import DocumentType, InvalidDocument, Reason, validate_document
from services.models import Application
from services.routing import Routing, text

BACK = MenuEntry("⬅️", N_("Back"))
TODAY = MenuEntry("📅", N_("Today"))
TOMORROW = MenuEntry("📅", N_("Tomorrow"))
SHARE_PHONE = MenuEntry("📱", N_("Share my phone number"))
DOCUMENT_PROBLEMS = {
    Reason.EMPTY: N_("The number is empty."),
    Reason.WRONG_LENGTH: N_("A resident ID number has 18 characters."),
    Reason.BAD_CHARACTERS: N_("Only digits and letters can be in this number."),
    Reason.BAD_REGION: N_("The first 6 digits are not a region code of China."),
    Reason.BAD_BIRTH_DATE: N_("Digits 7 to 14 are not a real date of birth."),
    Reason.BIRTH_DATE_IN_FUTURE: N_("The date of birth in the number is in the future."),
    Reason.BAD_CHECK_CHARACTER: N_(
        "The last character does not match the others: one of them is probably mistyped."
    ),
    Reason.NO_DIGITS: N_("A passport number has digits in it."),
    Reason.BAD_FORMAT: N_("This does not look like a number of that kind of document."),
}
STEPS = [
    "name",
    "doc_type",
    "doc_number",
    "birth_date",
    "phone",
    "hotel",
    "check_in",
    "nights",
    "selfie",
]
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")


class Apply(StatesGroup):
    consent = State()
    name = State()
    doc_type = State()
    doc_number = State()
    birth_date = State()
    phone = State()
    hotel = State()
    check_in = State()
    nights = State()
    selfie = State()
    confirm = State()


class DocChoice(CallbackData, prefix="doc"):
    kind: str


class HotelChoice(CallbackData, prefix="htl"):
    code: str


class Decide(CallbackData, prefix="appl"):
    step: str  # submit, resend
    value: str = ""


def form_keyboard(*extra: list[KeyboardButton]) -> ReplyKeyboardMarkup:
    rows = [*extra, [KeyboardButton(text=BACK.text()), KeyboardButton(text=CANCEL.text())]]
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True)


def parse_date(raw: str) -> date | None:
    digits = re.sub(r"\D", " ", raw).split()
    if len(digits) == 1 and len(digits[0]) == 8:
        digits = [digits[0][:4], digits[0][4:6], digits[0][6:]]
    if len(digits) != 3:
        return None
    try:
        return date(int(digits[0]), int(digits[1]), int(digits[2]))
    except ValueError:
        return None


def fields_of(application: Application, personal: PersonalData) -> dict[str, Any]:
    return {
        "name": personal.full_name,
        "doc_type": application.document_type,
        "doc_number": personal.document_number,
        "birth_date": personal.birth_date.isoformat() if personal.birth_date else None,
        "phone": personal.phone,
        "hotel": application.hotel_code,
        "check_in": application.check_in.isoformat(),
        "nights": application.nights,
        "selfie": personal.selfie_file_id,
    }


async def ask(message: Message, state: FSMContext, step: str, routing: Routing, i18n: I18n) -> None:
    """Ask the question of one step (and remember we are there)."""
    await state.set_state(getattr(Apply, step))
    if step == "name":
        await message.answer(
            _("Your full name, exactly as on your ID document:"), reply_markup=form_keyboard()
        )
    elif step == "doc_type":
        await message.answer(
            _("Which document do you have the number of?"),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text=_(name), callback_data=DocChoice(kind=kind).pack())]
                    for kind, name in DOCUMENT_NAMES.items()
                ]
            ),
        )
        await message.answer(
            _("You can also go back or cancel with the buttons below."),
            reply_markup=form_keyboard(),
        )
    elif step == "doc_number":
        await message.answer(_("The document's number:"), reply_markup=form_keyboard())
    elif step == "birth_date":
        await message.answer(
            _("Your date of birth, as year-month-day (for example 1990-05-17):"),
            reply_markup=form_keyboard(),
        )
    elif step == "phone":
        await message.answer(
            _("A phone number where the hotel or the police can reach you:"),
            reply_markup=form_keyboard(
                [KeyboardButton(text=SHARE_PHONE.text(), request_contact=True)]
            ),
        )
    elif step == "hotel":
        await offer_hotels(message, routing, i18n, "")
    elif step == "check_in":
        await message.answer(
            _("Check-in date (year-month-day), or press Today or Tomorrow:"),
            reply_markup=form_keyboard(
                [KeyboardButton(text=TODAY.text()), KeyboardButton(text=TOMORROW.text())]
            ),
        )
    elif step == "nights":
        await message.answer(_("How many nights will you stay?"), reply_markup=form_keyboard())
    elif step == "selfie":
        await message.answer(
            _("Last step: a selfie, so the reviewers can compare you with your document photo."),
            reply_markup=form_keyboard(),
        )


async def offer_hotels(message: Message, routing: Routing, i18n: I18n, search: str) -> None:
    locale = i18n.current_locale
    found = [
        hotel
        for hotel in routing.hotels
        if not search or search.lower() in (text(hotel.name, "en") + text(hotel.name, "zh")).lower()
    ]
    if not found:
        await message.answer(
            _("No registered hotel matches “{search}”. Type part of its name, or choose:").format(
                search=search
            )
        )
        found = list(routing.hotels)
    await message.answer(
        _("Which hotel are you staying at? Choose it, or type part of its name to search."),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=text(hotel.name, locale),
                        callback_data=HotelChoice(code=hotel.code).pack(),
                    )
                ]
                for hotel in found
            ]
        ),
    )


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
    name = " ".join((message.text or "").split())
    if not 2 <= len(name) <= 64 or any(ch.isdigit() for ch in name):
        await message.answer(
            _("Please type your full name in letters (2 to 64 characters), as on your document.")
        )
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
    data = await state.get_data()
    try:
        document = validate_document(data["doc_type"], message.text or "", today=china_today())
    except InvalidDocument as wrong:
        await message.answer(
            _("That number cannot be right: {problem} Please check it and type it again.").format(
                problem=_(DOCUMENT_PROBLEMS[wrong.reason])
            )
        )
        return
    await state.update_data(doc_number=document.number)
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
    phone = message.contact.phone_number if message.contact else (message.text or "").strip()
    if not PHONE.match(phone):
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


async def show_summary(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    await state.set_state(Apply.confirm)
    data = await state.update_data(correcting=False)
    if not data.get("intake"):  # names this form, so a Submit delivered twice applies once
        data = await state.update_data(intake=uuid4().hex)
    locale = i18n.current_locale
    check_in = date.fromisoformat(data["check_in"])
    summary = _(
        "Please check your application:\n\nName: {name}\nDocument: {document} {number}\n"
        "Date of birth: {born}\nPhone: {phone}\nHotel: {hotel}\n"
        "Stay: {check_in} to {check_out} ({nights} nights)\nSelfie: attached"
    ).format(
        name=data["name"],
        document=_(DOCUMENT_NAMES[DocumentType(data["doc_type"])]),
        number=data["doc_number"],
        born=data.get("birth_date") or "—",
        phone=data["phone"],
        hotel=text(routing.hotel(data["hotel"]).name, locale),
        check_in=check_in.isoformat(),
        check_out=(check_in + timedelta(days=int(data["nights"]))).isoformat(),
        nights=data["nights"],
    )
    edit_buttons = [
        InlineKeyboardButton(text=label, callback_data=Decide(step="edit", value=step).pack())
        for step, label in (
            ("name", _("Name")),
            ("doc_type", _("Document")),
            ("phone", _("Phone")),
            ("hotel", _("Hotel")),
            ("check_in", _("Check-in")),
            ("nights", _("Nights")),
            ("selfie", _("Selfie")),
        )
    ]
    await message.answer(_("Almost done."), reply_markup=form_keyboard())
    await message.answer(
        summary + "\n\n" + _("Press Submit, or a detail to change it."),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text="📨 " + _("Submit"), callback_data=Decide(step="submit").pack()
                    )
                ],
                edit_buttons[:4],
                edit_buttons[4:],
            ]
        ),
    )


async def decide(
    query: CallbackQuery,
    callback_data: Decide,
    state: FSMContext,
    applications: ApplicationService,
    routing: Routing,
    i18n: I18n,
) -> None:
    message = await take_press(query)
    if message is None:
        return
    if callback_data.step == "edit":
        await state.update_data(correcting=True)
        await ask(message, state, callback_data.value, routing, i18n)
        return
    data = await state.get_data()
    await applications.submit(
        ApplicationDraft(
            tourist_id=query.from_user.id,
            locale=i18n.current_locale,
            full_name=data["name"],
            document_type=data["doc_type"],
            document_number=data["doc_number"],
            birth_date=date.fromisoformat(data["birth_date"]) if data.get("birth_date") else None,
            phone=data["phone"],
            hotel_code=data["hotel"],
            check_in=date.fromisoformat(data["check_in"]),
            nights=int(data["nights"]),
            selfie_file_id=data["selfie"],
            intake_key=data.get("intake"),
        )
    )
    await state.clear()
    await message.answer(
        _(
            "Thank you. Your application is with the reviewers now; their answer will come "
            "here, with the certificate if it is approved."
        ),
        reply_markup=main_menu(),
    )


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
