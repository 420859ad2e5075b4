"""Tourists without their ID card apply for an accommodation certificate; verifiers decide.

The form asks one thing at a time; a wrong answer gets the reason and the same question again;
"Back" and /cancel work at every step.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from typing import Any
from uuid import uuid4

from aiogram import F, Router
from aiogram.filters import Command, Filter, StateFilter
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

from handlers.application_notices import DOCUMENT_NAMES, ApplicationTelegramNotices, Review
from handlers.menu import (
    CANCEL,
    CERTIFICATE,
    N_,
    MenuButton,
    MenuEntry,
    drop_buttons,
    main_menu,
    take_press,
)
from services.applications import (
    LAPSED,
    AlreadyDecided,
    ApplicationDraft,
    ApplicationError,
    ApplicationService,
    PersonalData,
    Verifier,
)
from services.authorization import Actor, Authorization
from services.certificates import china_today
from services.identity import DocumentType, InvalidDocument, Reason, validate_document
from services.models import Application
from services.routing import Routing, text

log = logging.getLogger(__name__)
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
REJECT_REASONS = {
    "details_mismatch": N_("The details do not match the document."),
    "photo_unclear": N_("The photo is unclear."),
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
REASON_LIMIT = 400  # a written reason for declining, as the tourist reads it
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")


class VerifierChat(Filter):
    """In the chat whose members review applications."""

    async def __call__(self, message: Message, verifier_chat_id: int | None) -> bool:
        return message.chat.id == verifier_chat_id


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


class RejectWithWords(StatesGroup):
    writing = State()


class Consent(CallbackData, prefix="cons"):
    agreed: bool


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


# ---------------------------------------------------------------- the tourist's form


async def start(
    message: Message,
    state: FSMContext,
    applications: ApplicationService,
    retention_days: int,
    verifier_chat_id: int | None,
) -> None:
    assert message.from_user is not None
    if verifier_chat_id is None:  # nobody to review: ask for nothing (see VERIFIER_CHAT_ID)
        await message.answer(
            _(
                "Accommodation certificates are not offered here yet: this office has no "
                "reviewers for them. Please show your ID card at the hotel, or ask the "
                "street office."
            ),
            reply_markup=main_menu(),
        )
        return
    latest = await applications.latest_for(message.from_user.id)
    if latest is not None and latest.status == "submitted":
        await message.answer(
            _("Your application is with the reviewers; the answer will come here."),
            reply_markup=main_menu(),
        )
        return
    await state.set_state(Apply.consent)
    if latest is not None and latest.status == "rejected" and latest.full_name_encrypted:
        await state.update_data(resend_from=latest.id)  # correct and send again
    await message.answer(
        _(
            "An accommodation certificate lets you check in at a hotel without your ID card.\n\n"
            "What is kept: your name, document type and number, date of birth, phone, hotel, "
            "dates of stay, and a reference to your selfie. Where: encrypted in the street "
            "office's database; the selfie photo itself stays in Telegram. They are used only "
            "to confirm who you are for this stay.\n\n"
            "Who sees them: the reviewers see the full details in their chat only until they "
            "decide; then what they saw is cut down to your application number and masked name. "
            "The certificate shows only your masked name and document number.\n\n"
            "For how long: if no reviewer decides within {undecided} days, the application "
            "lapses and the details are deleted then. Otherwise they are deleted {days} days "
            "after the certificate expires or the application is declined.\n\nDo you agree?"
        ).format(days=retention_days, undecided=applications.undecided_days),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text="✅ " + _("I agree"), callback_data=Consent(agreed=True).pack()
                    ),
                    InlineKeyboardButton(
                        text=_("No, thanks"), callback_data=Consent(agreed=False).pack()
                    ),
                ]
            ]
        ),
    )


async def consent(
    query: CallbackQuery,
    callback_data: Consent,
    state: FSMContext,
    applications: ApplicationService,
    routing: Routing,
    i18n: I18n,
) -> None:
    message = await take_press(query)
    if message is None:
        return
    if not callback_data.agreed:
        await state.clear()
        await message.answer(_("Understood: nothing was recorded."), reply_markup=main_menu())
        return
    resend_from = (await state.get_data()).get("resend_from")
    previous = await applications.get(int(resend_from)) if resend_from else None
    if previous is not None and previous.tourist_id == query.from_user.id:
        await state.update_data(**_fields_of(previous, applications.personal_data(previous)))
        await message.answer(
            _("Your last application was declined: {reason}\nCorrect what is needed below.").format(
                reason=_(previous.reject_reason) if previous.reject_reason else ""
            ),
        )
        await show_summary(message, state, routing, i18n)
        return
    await ask(message, state, "name", routing, i18n)


def _fields_of(application: Application, personal: PersonalData) -> dict[str, Any]:
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


# ---------------------------------------------------------------- verifiers


def verifier_of(query: CallbackQuery) -> Verifier:
    return Verifier(query.from_user.id, query.from_user.full_name)


async def review(
    query: CallbackQuery,
    callback_data: Review,
    state: FSMContext,
    applications: ApplicationService,
    application_notices: ApplicationTelegramNotices,
    i18n: I18n,
    authorization: Authorization,
) -> None:
    if not await authorization.is_verifier(query.from_user.id):
        authorization.refused(
            Actor(query.from_user.id, query.from_user.full_name),
            f"review:{callback_data.action}",
            f"application {callback_data.application_id}",
            "not a verifier",
        )
        await query.answer(_("Only verifiers can decide applications."), show_alert=True)
        return
    message = query.message
    if not isinstance(message, Message):  # too old for Telegram to show us
        await query.answer(_("This card is too old to use."), show_alert=True)
        return
    application_id = callback_data.application_id
    locale = i18n.current_locale
    if callback_data.action == "reject":
        await query.answer()
        reasons = [
            [
                InlineKeyboardButton(
                    text=_(label),
                    callback_data=Review(
                        action="reason", application_id=application_id, reason=code
                    ).pack(),
                )
            ]
            for code, label in REJECT_REASONS.items()
        ]
        reasons.append(
            [
                InlineKeyboardButton(
                    text=_("Other (write it)"),
                    callback_data=Review(
                        action="reason", application_id=application_id, reason="other"
                    ).pack(),
                )
            ]
        )
        reasons.append(
            [
                InlineKeyboardButton(
                    text="⬅️ " + _("Back"),
                    callback_data=Review(action="back", application_id=application_id).pack(),
                )
            ]
        )
        await message.edit_reply_markup(reply_markup=InlineKeyboardMarkup(inline_keyboard=reasons))
        return
    if callback_data.action == "back":
        await query.answer()
        await message.edit_reply_markup(
            reply_markup=InlineKeyboardMarkup.model_validate(
                application_notices.review_buttons(application_id, locale)
            )
        )
        return
    if callback_data.action == "reason" and callback_data.reason == "other":
        await query.answer()
        await state.set_state(RejectWithWords.writing)
        await state.update_data(application_id=application_id)
        await message.reply(_("Write the reason for declining; the tourist will read it."))
        return
    try:
        if callback_data.action == "approve":
            issued = await applications.approve(application_id, verifier_of(query))
            note = _("✅ Approved by {name}: certificate {serial}").format(
                name=query.from_user.full_name, serial=issued.certificate.serial
            )
        else:
            reason = REJECT_REASONS[callback_data.reason]  # the tourist reads it in their language
            await applications.reject(application_id, verifier_of(query), reason)
            note = _("❌ Declined by {name}: {reason}").format(
                name=query.from_user.full_name, reason=_(reason)
            )
    except AlreadyDecided as decided:
        await query.answer(already_decided(decided, applications), show_alert=True)
        return
    except (ApplicationError, InvalidDocument, ValueError) as error:
        log.warning("application %s could not be decided: %s", application_id, error)
        await query.answer(
            _("This application cannot be approved: {error}").format(error=error), show_alert=True
        )
        return
    await query.answer(note)  # the card itself is edited down to a summary (the outbox)


def already_decided(decided: AlreadyDecided, applications: ApplicationService) -> str:
    if decided.status == LAPSED:
        return _("This application lapsed: nobody decided it within {days} days.").format(
            days=applications.undecided_days
        )
    return _("Already decided by {name}.").format(name=decided.by)


async def reject_with_words(
    message: Message,
    state: FSMContext,
    applications: ApplicationService,
    authorization: Authorization,
) -> None:
    data = await state.get_data()
    await state.clear()
    assert message.from_user is not None
    if not await authorization.is_verifier(message.from_user.id):  # lost the role meanwhile
        authorization.refused(
            Actor(message.from_user.id, message.from_user.full_name),
            "review:reason",
            f"application {data.get('application_id')}",
            "not a verifier",
        )
        await message.reply(_("Only verifiers can decide applications."))
        return
    written = (message.text or "").strip()
    reason = written[:REASON_LIMIT]
    assert message.from_user is not None
    try:
        await applications.reject(
            int(data["application_id"]),
            Verifier(message.from_user.id, message.from_user.full_name),
            reason,
        )
    except AlreadyDecided as decided:
        await message.reply(already_decided(decided, applications))
        return
    note = _("❌ Declined by {name}: {reason}").format(
        name=message.from_user.full_name, reason=reason
    )
    if len(written) > REASON_LIMIT:
        note += "\n\n" + _(
            "The reason was cut to its first {limit} characters; the tourist reads only those."
        ).format(limit=REASON_LIMIT)
    await message.reply(note)


async def review_stats(
    message: Message, applications: ApplicationService, authorization: Authorization
) -> None:
    assert message.from_user is not None
    if not await authorization.is_verifier(message.from_user.id):
        authorization.refused(
            Actor(message.from_user.id, message.from_user.full_name),
            "/stats",
            "applications",
            "not a verifier",
        )
        await message.answer(_("Only verifiers can see the figures of applications."))
        return
    now = datetime.now().astimezone()
    stats = await applications.review_stats(since=now - timedelta(days=30))

    def minutes(value: timedelta | None) -> str:
        return "—" if value is None else f"{value.total_seconds() / 60:.0f} min"

    await message.answer(
        _(
            "📊 Applications in the last 30 days: {submitted} submitted, {approved} approved, "
            "{rejected} declined, {waiting} waiting.\n"
            "Review time: median {median}, 90% within {p90}."
        ).format(
            submitted=stats.submitted,
            approved=stats.approved,
            rejected=stats.rejected,
            waiting=stats.waiting,
            median=minutes(stats.median_review),
            p90=minutes(stats.p90_review),
        )
    )


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher."""
    router = Router(name="tourists")
    private = F.chat.type == "private"
    # The application's steps sit behind one state check (see residents.router).
    form = Router(name="tourists-forms")
    form.message.filter(StateFilter(Apply))
    router.message.register(start, private, StateFilter(None), Command("certificate"))
    router.message.register(start, private, StateFilter(None), MenuButton(CERTIFICATE))
    router.callback_query.register(consent, Apply.consent, Consent.filter())
    router.message.register(back, private, MenuButton(BACK))
    form.message.register(take_name, Apply.name, F.text, ~F.text.startswith("/"))
    router.callback_query.register(choose_doc_type, Apply.doc_type, DocChoice.filter())
    form.message.register(take_doc_number, Apply.doc_number, F.text, ~F.text.startswith("/"))
    form.message.register(take_birth_date, Apply.birth_date, F.text, ~F.text.startswith("/"))
    form.message.register(take_phone, Apply.phone, F.contact | (F.text & ~F.text.startswith("/")))
    form.message.register(search_hotel, Apply.hotel, F.text, ~F.text.startswith("/"))
    router.callback_query.register(choose_hotel, Apply.hotel, HotelChoice.filter())
    form.message.register(take_check_in, Apply.check_in, F.text, ~F.text.startswith("/"))
    form.message.register(take_nights, Apply.nights, F.text, ~F.text.startswith("/"))
    form.message.register(take_selfie, Apply.selfie, F.photo)
    form.message.register(not_a_selfie, Apply.selfie)
    router.callback_query.register(decide, Apply.confirm, Decide.filter())
    for step in (Apply.consent, Apply.doc_type, Apply.confirm):
        form.message.register(use_the_buttons, step)
    router.callback_query.register(review, Review.filter())
    router.message.register(reject_with_words, RejectWithWords.writing, F.text)
    router.message.register(
        review_stats, F.chat.type.in_({"group", "supergroup"}), Command("stats"), VerifierChat()
    )
    router.include_router(form)
    return router
