"""The report form: a problem in plain words, its kind, its place and photos, then Submit.

The questions are asked in handlers.report_questions, the summary shown and submitted in
handlers.report_summary; here each answer is taken, and the steps routed.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.gates import PRIVATE, TYPED
from handlers.menu import REPORT, MenuButton, cancel_only, drop_buttons
from handlers.report_questions import (
    CHOOSE_AREA,
    DONE,
    SKIP,
    CategoryChoice,
    Report,
    ask_category,
    ask_place,
    photos_keyboard,
)
from handlers.report_submit import DuplicateChoice, choose_duplicate
from handlers.report_summary import ReportStep, report_step, show_summary
from handlers.staff_moderation import BannedFromReporting
from services.routing import Routing, text
from services.tickets import TEXT_LIMIT


class AreaChoice(CallbackData, prefix="area"):
    code: str  # a grid code, or "-" for not sure


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
