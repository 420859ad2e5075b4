"""Residents: report a problem in plain words, follow it, and close the loop."""

from __future__ import annotations

import logging
from typing import Any
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

from handlers.menu import (
    CANCEL,
    N_,
    REPORT,
    REQUESTS,
    MenuButton,
    MenuEntry,
    drop_buttons,
    main_menu,
    take_press,
)
from handlers.notices import FixedAnswer, Rating, TelegramTicketNotices, open_topic
from services.models import TicketEvent
from services.routing import Routing, text
from services.tickets import (
    CLOSED,
    TEXT_LIMIT,
    Draft,
    Media,
    NotYourTicket,
    TicketError,
    TicketNotFound,
    TicketService,
    WrongState,
)

log = logging.getLogger(__name__)
SHARE_LOCATION = MenuEntry("📍", N_("Share my location"))
CHOOSE_AREA = MenuEntry("🗺", N_("Choose from the list"))
DONE = MenuEntry("✅", N_("Done"))
SKIP = MenuEntry("⏭", N_("Skip"))
STATUS = {
    "new": N_("waiting for a team"),
    "taken": N_("being handled"),
    "resolved": N_("resolved, waiting for your answer"),
    "reopened": N_("open again"),
    "closed": N_("closed"),
}


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


class OpenTicket(CallbackData, prefix="open"):
    ticket_id: int


class CommentOn(CallbackData, prefix="cmt"):
    ticket_id: int


class Commenting(StatesGroup):
    writing = State()


class Feedback(StatesGroup):
    writing = State()


class FeedbackOn(CallbackData, prefix="fb"):
    ticket_id: int


class DuplicateChoice(CallbackData, prefix="dup"):
    ticket_id: int  # 0: none of them


class ReportStep(CallbackData, prefix="rep"):
    step: str  # submit, edit-text, edit-category, edit-place, edit-photos


def keyboard(*rows: list[KeyboardButton]) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(keyboard=list(rows), resize_keyboard=True)


def photos_keyboard() -> ReplyKeyboardMarkup:
    return keyboard(
        [KeyboardButton(text=DONE.text()), KeyboardButton(text=SKIP.text())],
        [KeyboardButton(text=CANCEL.text())],
    )


def cancel_only() -> ReplyKeyboardMarkup:
    return keyboard([KeyboardButton(text=CANCEL.text())])


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
    if not description:
        await message.answer(
            _("Please describe the problem in words. You can add photos in a later step."),
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


async def submit(
    message: Message,
    query: CallbackQuery,
    state: FSMContext,
    data: dict[str, Any],
    routing: Routing,
    tickets: TicketService,
    i18n: I18n,
    bot: Bot,
    notices: TelegramTicketNotices,
) -> None:
    category = routing.category(data["category"])
    grid = routing.grid(data["grid"]) if data.get("grid") else None
    chat = routing.staff_chat(category, grid)
    if chat is None:
        await message.answer(
            _(
                "Requests cannot be taken yet: this bot has no staff chat set up. "
                "Please contact your community office directly."
            ),
            reply_markup=main_menu(),
        )
        await state.clear()
        return
    topic_id = None
    if grid is not None and grid.forum and chat == grid.chat_id:
        topic_id = await open_topic(bot, chat, notices.topic_name(data["text"][:40], category.code))
    ticket = await tickets.create(
        Draft(
            resident_id=query.from_user.id,
            resident_name=query.from_user.full_name,
            resident_locale=i18n.current_locale,
            text=data["text"],
            category=category.code,
            grid=grid.code if grid else None,
            staff_chat_id=chat,
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            address=data.get("address"),
            photos=tuple(data.get("photos", [])),
            topic_id=topic_id,
            intake_key=data.get("intake"),
        )
    )
    await state.clear()
    team = text(grid.name if grid else routing.street_office_name, i18n.current_locale)
    await message.answer(
        _(
            "Thank you. Your request number is {number}.\n\n{team} has it now; their reply "
            "will reach you here. You can follow it under “My requests”."
        ).format(number=ticket.number, team=team),
        reply_markup=main_menu(),
    )


async def offer_duplicates(
    message: Message, state: FSMContext, data: dict[str, Any], tickets: TicketService, i18n: I18n
) -> bool:
    """Open tickets like this one nearby: "Is it one of these?" True when some were offered."""
    point = None
    if data.get("latitude") is not None:
        point = (data["latitude"], data["longitude"])
    similar = await tickets.open_nearby(data["category"], data.get("grid"), point)
    # only these may be joined from this form: a forged press cannot subscribe to a stranger's
    await state.update_data(
        duplicates_offered=True, offered_tickets=[ticket.id for ticket in similar]
    )
    if not similar:
        return False
    buttons = [
        [
            InlineKeyboardButton(
                text=f"{ticket.number}: {ticket.text[:40]}",
                callback_data=DuplicateChoice(ticket_id=ticket.id or 0).pack(),
            )
        ]
        for ticket in similar
    ]
    buttons.append(
        [
            InlineKeyboardButton(
                text=_("No, mine is different"), callback_data=DuplicateChoice(ticket_id=0).pack()
            )
        ]
    )
    await message.answer(
        _(
            "Neighbours have already reported something like this nearby. Is it one of these? "
            "If you join one, you will hear how it goes."
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
    )
    return True


async def choose_duplicate(
    query: CallbackQuery,
    callback_data: DuplicateChoice,
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
    if callback_data.ticket_id == 0:
        await submit(message, query, state, data, routing, tickets, i18n, bot, notices)
        return
    if callback_data.ticket_id not in data.get("offered_tickets", []):
        log.warning(
            "refused joining ticket %s for user %s: not offered in this form",
            callback_data.ticket_id,
            query.from_user.id,
        )
        await message.answer(_("You can join only one of the requests offered to you above."))
        return
    try:
        ticket = await tickets.subscribe(
            callback_data.ticket_id, query.from_user.id, i18n.current_locale
        )
    except TicketError:
        await message.answer(_("That request has just been closed; I will send yours."))
        await submit(message, query, state, data, routing, tickets, i18n, bot, notices)
        return
    await state.clear()
    await message.answer(
        _("You joined request {number}. You will hear here how it goes.").format(
            number=ticket.number
        ),
        reply_markup=main_menu(),
    )


async def my_requests(
    message: Message, tickets: TicketService, routing: Routing, i18n: I18n
) -> None:
    assert message.from_user is not None
    mine = await tickets.for_resident(message.from_user.id)
    if not mine:
        await message.answer(
            _("You have no requests yet. Press “Report a problem” to make one."),
            reply_markup=main_menu(),
        )
        return
    locale = i18n.current_locale
    lines = [
        _("{number} · {category} · {status} · updated {when}").format(
            number=ticket.number,
            category=text(routing.category(ticket.category).name, locale),
            status=_(STATUS[ticket.status]),
            when=ticket.updated_at.strftime("%Y-%m-%d %H:%M"),
        )
        + f"\n“{ticket.text[:80]}”"
        for ticket in mine
    ]
    buttons = [
        [
            InlineKeyboardButton(
                text=_("Open {number}").format(number=ticket.number),
                callback_data=OpenTicket(ticket_id=ticket.id or 0).pack(),
            )
        ]
        for ticket in mine[:10]
    ]
    await message.answer(
        _("Your requests, newest first:") + "\n\n" + "\n\n".join(lines),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
    )


def describe_event(event: TicketEvent, team: str) -> str | None:
    """One line of a ticket's history as its reporter sees it (internal notes stay hidden)."""
    lines = {
        "created": _("you reported it"),
        "taken": _("{team} took it").format(team=team),
        "reply": _("{team}: {text}").format(team=team, text=event.detail),
        "comment": _("you added: {text}").format(text=event.detail),
        "resolved": _("{team} marked it resolved").format(team=team),
        "reopened": _("you said it is not fixed yet"),
        "confirmed": _("you confirmed it is fixed"),
        "rated": _("you rated it {stars} of 5").format(stars=event.detail),
        "feedback": _("you told the team: {text}").format(text=event.detail),
        "joined": _("a neighbour joined it"),
    }
    line = lines.get(event.kind)
    return f"{event.at.strftime('%m-%d %H:%M')} · {line}" if line else None


async def open_ticket(
    query: CallbackQuery,
    callback_data: OpenTicket,
    tickets: TicketService,
    notices: TelegramTicketNotices,
    i18n: I18n,
) -> None:
    try:
        ticket = await tickets.get(callback_data.ticket_id)
    except TicketNotFound:
        ticket = None
    if ticket is None or ticket.resident_id != query.from_user.id:
        await query.answer(_("This request is not yours."), show_alert=True)
        return
    await query.answer()
    team = notices.team(ticket, i18n.current_locale)
    history = [
        line
        for event in await tickets.history(callback_data.ticket_id)
        if (line := describe_event(event, team))
    ]
    buttons = []
    if ticket.status != CLOSED:
        buttons = [
            [
                InlineKeyboardButton(
                    text="💬 " + _("Add a comment or photo"),
                    callback_data=CommentOn(ticket_id=callback_data.ticket_id).pack(),
                )
            ]
        ]
    if isinstance(query.message, Message):
        await query.message.answer(
            _("Request {number}: {status}").format(
                number=ticket.number, status=_(STATUS[ticket.status])
            )
            + f"\n“{ticket.text}”\n\n"
            + "\n".join(history),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons) if buttons else None,
        )


async def ask_comment(query: CallbackQuery, callback_data: CommentOn, state: FSMContext) -> None:
    await query.answer()
    await state.set_state(Commenting.writing)
    await state.update_data(ticket_id=callback_data.ticket_id)
    if isinstance(query.message, Message):
        await query.message.answer(
            _("Send your comment or a photo; the team will see it."), reply_markup=cancel_only()
        )


async def take_comment(message: Message, state: FSMContext, tickets: TicketService) -> None:
    ticket_id = int((await state.get_data())["ticket_id"])
    await state.clear()
    await add_to_ticket(message, ticket_id, tickets)


async def reply_to_ticket_message(message: Message, tickets: TicketService) -> None:
    """Replying to a bot message about a ticket adds to that ticket; otherwise a new report."""
    assert message.reply_to_message is not None and message.from_user is not None
    ticket = await tickets.by_bot_message(message.chat.id, message.reply_to_message.message_id)
    if ticket is None or ticket.id is None:
        await message.answer(
            _(
                "That message is not about one of your requests. "
                "To report something new, press “Report a problem”."
            ),
            reply_markup=main_menu(),
        )
        return
    await add_to_ticket(message, ticket.id, tickets)


async def add_to_ticket(message: Message, ticket_id: int, tickets: TicketService) -> None:
    assert message.from_user is not None
    words = (message.text or message.caption or "").strip()
    media = Media("photo", message.photo[-1].file_id) if message.photo else None
    if not words and media is None:
        await message.answer(_("Please send text or a photo."), reply_markup=main_menu())
        return
    try:
        ticket = await tickets.comment_from_resident(ticket_id, message.from_user.id, words, media)
    except NotYourTicket:
        await message.answer(_("This request is not yours."), reply_markup=main_menu())
        return
    except WrongState:
        await message.answer(
            _("That request is closed. To report something new, press “Report a problem”."),
            reply_markup=main_menu(),
        )
        return
    await message.answer(
        _("Added to request {number}. The team will see it.").format(number=ticket.number),
        reply_markup=main_menu(),
    )


async def answer_fixed(
    query: CallbackQuery,
    callback_data: FixedAnswer,
    tickets: TicketService,
    notices: TelegramTicketNotices,
) -> None:
    try:
        ticket = await tickets.confirm(
            callback_data.ticket_id, query.from_user.id, callback_data.fixed
        )
    except NotYourTicket:
        await query.answer(_("This request is not yours."), show_alert=True)
        return
    except (WrongState, TicketError):
        await query.answer(_("This request has already moved on."), show_alert=True)
        return
    message = await take_press(query)
    if message is None:
        return
    if ticket.status == CLOSED:
        await message.answer(
            _("Glad it is fixed. How satisfied are you with how it was handled?"),
            reply_markup=notices.rating_buttons(callback_data.ticket_id),
        )
    else:
        await message.answer(
            _(
                "Sorry it is not fixed yet. Request {number} is open again and the team is told."
            ).format(number=ticket.number)
        )


async def rate(query: CallbackQuery, callback_data: Rating, tickets: TicketService) -> None:
    try:
        await tickets.rate(callback_data.ticket_id, query.from_user.id, callback_data.stars)
    except TicketError:
        await query.answer(_("This request cannot be rated now."), show_alert=True)
        return
    message = await take_press(query)
    if message is None:
        return
    tell_more = InlineKeyboardButton(
        text="📝 " + _("Tell the team more"),
        callback_data=FeedbackOn(ticket_id=callback_data.ticket_id).pack(),
    )
    await message.answer(
        _("Thank you for your rating."),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[tell_more]]),
    )


async def ask_feedback(query: CallbackQuery, callback_data: FeedbackOn, state: FSMContext) -> None:
    message = await take_press(query)
    if message is None:
        return
    await state.set_state(Feedback.writing)
    await state.update_data(ticket_id=callback_data.ticket_id)
    await message.answer(
        _("What went well, or what could be better? Write it in a few words."),
        reply_markup=cancel_only(),
    )


async def take_feedback(message: Message, state: FSMContext, tickets: TicketService) -> None:
    assert message.from_user is not None and message.text is not None
    ticket_id = int((await state.get_data())["ticket_id"])
    await state.clear()
    try:
        await tickets.feedback(ticket_id, message.from_user.id, message.text.strip())
    except TicketError:
        await message.answer(_("This request cannot take feedback now."), reply_markup=main_menu())
        return
    await message.answer(_("Thank you, the team will read it."), reply_markup=main_menu())


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher."""
    router = Router(name="residents")
    router.message.filter(F.chat.type == "private")
    # The form's steps sit behind one state check, so a message outside a form (most of them)
    # is not tried against each step's handler in turn.
    form = Router(name="residents-forms")
    form.message.filter(StateFilter(Report, Commenting, Feedback))
    router.message.register(start_report, StateFilter(None), Command("report"))
    router.message.register(start_report, StateFilter(None), MenuButton(REPORT))
    router.message.register(my_requests, StateFilter(None), Command("requests"))
    router.message.register(my_requests, StateFilter(None), MenuButton(REQUESTS))
    form.message.register(take_description, Report.describing, F.text, ~F.text.startswith("/"))
    form.message.register(take_description, Report.describing, ~F.text)
    form.message.register(use_the_buttons, Report.choosing_category)
    form.message.register(use_the_buttons, Report.confirming)
    router.callback_query.register(
        choose_category, Report.choosing_category, CategoryChoice.filter()
    )
    form.message.register(list_areas, Report.placing, MenuButton(CHOOSE_AREA))
    form.message.register(take_location, Report.placing, F.location)
    form.message.register(take_address, Report.placing, F.text, ~F.text.startswith("/"))
    router.callback_query.register(choose_area, AreaChoice.filter())
    form.message.register(take_photo, Report.adding_photos, F.photo)
    form.message.register(photos_done, Report.adding_photos, MenuButton(DONE))
    form.message.register(photos_done, Report.adding_photos, MenuButton(SKIP))
    form.message.register(not_a_photo, Report.adding_photos)
    router.callback_query.register(report_step, Report.confirming, ReportStep.filter())
    router.callback_query.register(choose_duplicate, Report.confirming, DuplicateChoice.filter())
    router.callback_query.register(answer_fixed, FixedAnswer.filter())
    router.callback_query.register(rate, Rating.filter())
    router.callback_query.register(ask_feedback, FeedbackOn.filter())
    router.callback_query.register(open_ticket, OpenTicket.filter())
    router.callback_query.register(ask_comment, CommentOn.filter())
    form.message.register(take_comment, Commenting.writing, F.text | F.photo)
    form.message.register(take_feedback, Feedback.writing, F.text, ~F.text.startswith("/"))
    router.message.register(
        reply_to_ticket_message, StateFilter(None), F.reply_to_message.from_user.is_bot
    )
    router.message.register(
        report_from_plain_text, StateFilter(None), F.text, ~F.text.startswith("/")
    )
    router.include_router(form)
    return router


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please press one of the buttons above, or send /cancel to stop."))


async def _editing(state: FSMContext) -> bool:
    return bool((await state.get_data()).get("editing"))
