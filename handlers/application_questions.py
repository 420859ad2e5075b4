"""The application form's questions: its steps in order, and how each one is asked.

The answers are taken in handlers.application_form; the summary and Submit are in
handlers.application_summary. The identity questions are worded as the tenant's registration
words them (handlers.identity_answers).
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.identity_answers import SHARE_PHONE, TODAY, ask_document_type
from handlers.menu import CANCEL, N_, MenuEntry
from services.routing import Routing, text

BACK = MenuEntry("⬅️", N_("Back"))
TOMORROW = MenuEntry("📅", N_("Tomorrow"))
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


def form_keyboard(*extra: list[KeyboardButton]) -> ReplyKeyboardMarkup:
    rows = [*extra, [KeyboardButton(text=BACK.text()), KeyboardButton(text=CANCEL.text())]]
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True)


async def ask(message: Message, state: FSMContext, step: str, routing: Routing, i18n: I18n) -> None:
    """Ask the question of one step (and remember we are there)."""
    await state.set_state(getattr(Apply, step))
    if step == "name":
        await message.answer(
            _("Your full name, exactly as on your ID document:"), reply_markup=form_keyboard()
        )
    elif step == "doc_type":
        await ask_document_type(message, lambda kind: DocChoice(kind=kind).pack())
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
