"""The report form: a problem in plain words, its kind, its place and photos, then Submit."""

from __future__ import annotations

import logging
from uuid import uuid4

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
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

from handlers.gates import PRIVATE, TYPED
from handlers.menu import (
    CANCEL,
    N_,
    REPORT,
    MenuButton,
    MenuEntry,
    cancel_only,
    drop_buttons,
    keyboard,
    take_press,
)
from handlers.notices import TelegramTicketNotices
from handlers.report_submit import DuplicateChoice, choose_duplicate, offer_duplicates, submit
from handlers.staff_moderation import BannedFromReporting
from services.routing import Routing, text
from services.tickets import TEXT_LIMIT, TicketService

log = logging.getLogger(__name__)
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


class AreaChoice(CallbackData, prefix="area"):
    code: str  # a grid code, or "-" for not sure


class ReportStep(CallbackData, prefix="rep"):
    step: str  # submit, edit-text, edit-category, edit-place, edit-photos, anonymous


def photos_keyboard() -> ReplyKeyboardMarkup:
    return keyboard(
        [KeyboardButton(text=DONE.text()), KeyboardButton(text=SKIP.text())],
        [KeyboardButton(text=CANCEL.text())],
    )


async def start_report(message: Message, state: FSMContext) -> None:
    await state.set_state(Report.describing)
    await message.answer(
        _(
            "Describe the problem in your own words: what is wrong, and where. "
            "For example: “The drain at the east gate is blocked.”"
        ),
        reply_markup=cancel_only(),
    )


async def report_from_plain_text(
    message: Message, state: FSMContext, routing: Routing, i18n: I18n
) -> None:
    """Anything typed outside a form is taken as the start of a report."""
    await take_description(message, state, routing, i18n)


async def take_description(
    message: Message, state: FSMContext, routing: Routing, i18n: I18n
) -> None:
    description = (message.text or "").strip()
    if message.voice is not None:  # many older residents speak rather than type
        seconds = message.voice.duration
        description = (message.caption or "").strip() or f"🎤 {seconds // 60}:{seconds % 60:02d}"
        await state.update_data(voice=message.voice.file_id)
        await message.answer(
            _("Voice note kept as the description; the team will listen to it."),
            reply_markup=cancel_only(),
        )
    elif description:
        await state.update_data(voice=None)
    if not description:
        await message.answer(
            _(
                "Please describe the problem in words, or send a voice note. You can add photos "
                "in a later step."
            ),
            reply_markup=cancel_only(),
        )
        return
    if len(description) > TEXT_LIMIT:
        await message.answer(
            _(
                "That is {length} characters; please keep it under {limit}. "
                "Describe the problem in short and send it again."
            ).format(length=len(description), limit=TEXT_LIMIT),
            reply_markup=cancel_only(),
        )
        return
    await state.update_data(text=description)
    if await _editing(state):
        await show_summary(message, state, routing, i18n)
        return
    await ask_category(message, state, routing, i18n, description)


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


async def choose_category(
    query: CallbackQuery,
    callback_data: CategoryChoice,
    state: FSMContext,
    routing: Routing,
    i18n: I18n,
) -> None:
    category = routing.category(callback_data.code)
    await state.update_data(category=category.code)
    await query.answer(text(category.name, i18n.current_locale))
    if isinstance(query.message, Message):
        await drop_buttons(query.message)
        if await _editing(state):
            await show_summary(query.message, state, routing, i18n)
        else:
            await ask_place(query.message, state)


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


async def take_location(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    assert message.location is not None
    latitude, longitude = message.location.latitude, message.location.longitude
    grid = routing.grid_at(latitude, longitude)
    await state.update_data(latitude=latitude, longitude=longitude, address=None)
    await _placed(message, state, routing, i18n, grid.code if grid else None)


async def offer_areas(message: Message, routing: Routing, i18n: I18n, intro: str) -> None:
    buttons = [
        [
            InlineKeyboardButton(
                text=text(grid.name, i18n.current_locale),
                callback_data=AreaChoice(code=grid.code).pack(),
            )
        ]
        for grid in routing.grids
    ]
    buttons.append(
        [InlineKeyboardButton(text=_("Not sure"), callback_data=AreaChoice(code="-").pack())]
    )
    await message.answer(intro, reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons))


async def list_areas(message: Message, routing: Routing, i18n: I18n) -> None:
    await offer_areas(message, routing, i18n, _("Choose your area:"))


async def take_address(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    address = (message.text or "").strip()
    if not address or len(address) > 300:
        await message.answer(_("Please type the address in one short line (up to 300 characters)."))
        return
    await state.update_data(address=address, latitude=None, longitude=None)
    grid = routing.grid_for_address(address)
    if grid is None:
        await offer_areas(
            message,
            routing,
            i18n,
            _(
                "I could not place “{address}” in an area I know. Choose your area, "
                "or press “Not sure” and the street office will pass it on."
            ).format(address=address),
        )
        return
    await _placed(message, state, routing, i18n, grid.code)


async def choose_area(
    query: CallbackQuery,
    callback_data: AreaChoice,
    state: FSMContext,
    routing: Routing,
    i18n: I18n,
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await drop_buttons(query.message)
        code = None if callback_data.code == "-" else routing.grid(callback_data.code).code
        await _placed(query.message, state, routing, i18n, code)


async def _placed(
    message: Message, state: FSMContext, routing: Routing, i18n: I18n, grid_code: str | None
) -> None:
    await state.update_data(grid=grid_code)
    if grid_code is None:
        await message.answer(
            _(
                "This place is outside the areas I know, so your request goes to the "
                "{office}, who will pass it to the right people."
            ).format(office=text(routing.street_office_name, i18n.current_locale))
        )
    if await _editing(state):
        await show_summary(message, state, routing, i18n)
        return
    await state.set_state(Report.adding_photos)
    await message.answer(
        _("Add photos if they help: send one or more now, then press “Done”. Or press “Skip”."),
        reply_markup=photos_keyboard(),
    )


async def take_photo(message: Message, state: FSMContext) -> None:
    assert message.photo is not None
    photos = list((await state.get_data()).get("photos", []))
    if len(photos) >= 10:
        await message.answer(_("That is 10 photos already, the most one request can hold."))
        return
    photos.append(message.photo[-1].file_id)
    await state.update_data(photos=photos)
    if message.media_group_id is None:
        await message.answer(
            _("Photo added ({count}). Send more, or press “Done”.").format(count=len(photos))
        )
        return
    albums = list((await state.get_data()).get("albums", []))
    if message.media_group_id not in albums:  # one answer for an album, not one per photo
        await state.update_data(albums=[*albums, message.media_group_id])
        await message.answer(_("Album received. Send more, or press “Done”."))


async def not_a_photo(message: Message) -> None:
    await message.answer(_("Please send a photo, or press “Done” or “Skip”."))


async def photos_done(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    await show_summary(message, state, routing, i18n)


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


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please press one of the buttons above, or send /cancel to stop."))


async def _editing(state: FSMContext) -> bool:
    return bool((await state.get_data()).get("editing"))


def router() -> Router:
    """The form's steps; a message outside the form (most of them) starts a report."""
    router = Router(name="report-form")
    router.message.filter(PRIVATE)
    # The form's steps sit behind one state check, so a message outside a form is not tried
    # against each step's handler in turn.
    form = Router(name="report-form-steps")
    form.message.filter(PRIVATE, StateFilter(Report))
    router.message.register(start_report, StateFilter(None), Command("report"))
    router.message.register(start_report, StateFilter(None), MenuButton(REPORT))
    form.message.register(take_description, StateFilter(Report.describing), TYPED)
    form.message.register(take_description, StateFilter(Report.describing), ~F.text)
    form.message.register(use_the_buttons, StateFilter(Report.choosing_category))
    form.message.register(use_the_buttons, StateFilter(Report.confirming))
    router.callback_query.register(
        choose_category, StateFilter(Report.choosing_category), CategoryChoice.filter()
    )
    form.message.register(list_areas, StateFilter(Report.placing), MenuButton(CHOOSE_AREA))
    form.message.register(take_location, StateFilter(Report.placing), F.location)
    form.message.register(take_address, StateFilter(Report.placing), TYPED)
    router.callback_query.register(choose_area, AreaChoice.filter())
    form.message.register(take_photo, StateFilter(Report.adding_photos), F.photo)
    form.message.register(photos_done, StateFilter(Report.adding_photos), MenuButton(DONE))
    form.message.register(photos_done, StateFilter(Report.adding_photos), MenuButton(SKIP))
    form.message.register(not_a_photo, StateFilter(Report.adding_photos))
    router.callback_query.register(report_step, StateFilter(Report.confirming), ReportStep.filter())
    router.callback_query.register(
        choose_duplicate, StateFilter(Report.confirming), DuplicateChoice.filter()
    )
    router.message.register(report_from_plain_text, StateFilter(None), TYPED)
    router.include_router(form)
    banned = BannedFromReporting()
    router.message.outer_middleware(banned)
    router.callback_query.outer_middleware(banned)
    return router
