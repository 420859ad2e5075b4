"""The application form's end: the summary of the answers, a button to change any of them,
and Submit, which hands the application to services/applications.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.application_notices import DOCUMENT_NAMES
from handlers.application_questions import Apply, ask, form_keyboard
from handlers.menu import main_menu, take_press
from services.application_contract import ApplicationDraft, PersonalData
from services.applications import ApplicationService
from services.identity import DocumentType
from services.models import Application
from services.routing import Routing, text


class Decide(CallbackData, prefix="appl"):
    step: str  # submit, resend
    value: str = ""


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
