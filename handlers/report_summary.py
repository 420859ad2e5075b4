"""The report form's end: the summary of the report, buttons to change any part of it or to
hide one's name, and Submit (which first offers the similar reports nearby: handlers.report_submit).
"""

from __future__ import annotations

from uuid import uuid4

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.menu import cancel_only, take_press
from handlers.notices import TelegramTicketNotices
from handlers.report_questions import Report, ask_category, ask_place, photos_keyboard
from handlers.report_submit import offer_duplicates, submit
from services.routing import Routing, text
from services.tickets import TicketService


class ReportStep(CallbackData, prefix="rep"):
    step: str  # submit, edit-text, edit-category, edit-place, edit-photos, anonymous


async def show_summary(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    await state.set_state(Report.confirming)
    data = await state.update_data(editing=False)
    if not data.get("intake"):  # names this form, so a Submit delivered twice files one ticket
        data = await state.update_data(intake=uuid4().hex)
    locale = i18n.current_locale
    if data.get("address"):
        place = data["address"]
    elif data.get("latitude") is not None:
        place = _("your shared location")
    else:
        place = _("not given")
    area = (
        text(routing.grid(data["grid"]).name, locale)
        if data.get("grid")
        else text(routing.street_office_name, locale)
    )
    summary = _(
        "Please check your request:\n\n“{text}”\n\nKind: {category}\nPlace: {place}\n"
        "Goes to: {area}\nPhotos: {photos}"
    ).format(
        text=data["text"],
        category=text(routing.category(data["category"]).name, locale),
        place=place,
        area=area,
        photos=len(data.get("photos", [])),
    )
    anonymous = bool(data.get("anonymous"))
    if anonymous:
        summary += "\n\n" + _(
            "🙈 Anonymous: the team sees “anonymous resident” instead of your name. They still "
            "read what you write and see your photos and the place, and their replies reach "
            "you here. The bot's administrators can still see who sent it."
        )
    else:
        summary += "\n\n" + _("👤 The team sees your Telegram name: {name}").format(
            name=message.chat.full_name
        )
    privacy = (
        "👤 " + _("Show my name to the team")
        if anonymous
        else "🙈 " + _("Hide my name from the team")
    )
    await message.answer(_("Almost done."), reply_markup=cancel_only())
    await message.answer(
        summary,
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text="📨 " + _("Submit"), callback_data=ReportStep(step="submit").pack()
                    )
                ],
                [
                    InlineKeyboardButton(
                        text=_("Edit text"), callback_data=ReportStep(step="edit-text").pack()
                    ),
                    InlineKeyboardButton(
                        text=_("Edit kind"), callback_data=ReportStep(step="edit-category").pack()
                    ),
                ],
                [
                    InlineKeyboardButton(
                        text=_("Edit place"), callback_data=ReportStep(step="edit-place").pack()
                    ),
                    InlineKeyboardButton(
                        text=_("Edit photos"), callback_data=ReportStep(step="edit-photos").pack()
                    ),
                ],
                [
                    InlineKeyboardButton(
                        text=privacy, callback_data=ReportStep(step="anonymous").pack()
                    )
                ],
            ]
        ),
    )


async def report_step(
    query: CallbackQuery,
    callback_data: ReportStep,
    state: FSMContext,
    routing: Routing,
    tickets: TicketService,
    i18n: I18n,
    bot: Bot,
    notices: TelegramTicketNotices,
) -> None:
    message = await take_press(query)
    if message is None:
        return
    data = await state.get_data()
    if callback_data.step == "submit":
        if not data.get("duplicates_offered") and await offer_duplicates(
            message, state, data, tickets, i18n
        ):
            return
        await submit(message, query, state, data, routing, tickets, i18n, bot, notices)
        return
    if callback_data.step == "anonymous":
        await state.update_data(anonymous=not data.get("anonymous"))
        await show_summary(message, state, routing, i18n)
        return
    await state.update_data(editing=True)
    if callback_data.step == "edit-text":
        await state.set_state(Report.describing)
        await message.answer(_("Send the new description."), reply_markup=cancel_only())
    elif callback_data.step == "edit-category":
        await ask_category(message, state, routing, i18n, data["text"])
    elif callback_data.step == "edit-place":
        await ask_place(message, state)
    else:
        await state.update_data(photos=[])
        await state.set_state(Report.adding_photos)
        await message.answer(
            _("Send the photos again, then press “Done”. Or press “Skip” for none."),
            reply_markup=photos_keyboard(),
        )
