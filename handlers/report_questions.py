"""The report form's questions: its steps, and how the kind of problem and its place are asked
(also when the summary sends a resident back to change them).

The answers are taken in handlers.report_form; the summary and Submit are in
handlers.report_summary. Other forms reuse the photo step's buttons (DONE, SKIP).
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

from handlers.menu import CANCEL, N_, MenuEntry, keyboard
from services.routing import Routing, text

SHARE_LOCATION = MenuEntry("📍", N_("Share my location"))
CHOOSE_AREA = MenuEntry("🗺", N_("Choose from the list"))
DONE = MenuEntry("✅", N_("Done"))
SKIP = MenuEntry("⏭", N_("Skip"))


class Report(StatesGroup):
    describing = State()
    choosing_category = State()
    placing = State()
    adding_photos = State()
    confirming = State()


class CategoryChoice(CallbackData, prefix="cat"):
    code: str


def photos_keyboard() -> ReplyKeyboardMarkup:
    return keyboard(
        [KeyboardButton(text=DONE.text()), KeyboardButton(text=SKIP.text())],
        [KeyboardButton(text=CANCEL.text())],
    )


async def ask_category(
    message: Message, state: FSMContext, routing: Routing, i18n: I18n, description: str
) -> None:
    await state.set_state(Report.choosing_category)
    suggested = routing.suggest_category(description)
    order = [suggested] if suggested else []
    order += [category for category in routing.categories if category is not suggested]
    buttons = [
        InlineKeyboardButton(
            text=("✅ " if category is suggested else "")
            + text(category.name, i18n.current_locale),
            callback_data=CategoryChoice(code=category.code).pack(),
        )
        for category in order
    ]
    if suggested:
        question = _("This sounds like “{category}”. Is that right? Press it, or choose another.")
        question = question.format(category=text(suggested.name, i18n.current_locale))
    else:
        question = _("Which kind of problem is it?")
    await message.answer(
        question,
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        ),
    )


async def ask_place(message: Message, state: FSMContext) -> None:
    await state.set_state(Report.placing)
    await message.answer(
        _(
            "Where is it? Share your location with the button below, type the address, "
            "or choose your area from the list."
        ),
        reply_markup=keyboard(
            [KeyboardButton(text=SHARE_LOCATION.text(), request_location=True)],
            [KeyboardButton(text=CHOOSE_AREA.text())],
            [KeyboardButton(text=CANCEL.text())],
        ),
    )
