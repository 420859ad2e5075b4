"""Rental housing for landlords: `/rental` lists their houses with their colours and what to
fix, and registers a new one (address, grid, rooms, beds, contact, photos, a summary).

Tenants register in handlers/rental_tenant.py; grid workers inspect in
handlers/rental_inspect.py. Whose house it is is asked of the service at every press: a
stranger's press on another landlord's button shows nothing.
"""

from __future__ import annotations

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
)
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _

from handlers import rental_tenant
from handlers.application_form import PHONE
from handlers.menu import (
    CANCEL,
    N_,
    RENTAL,
    MenuButton,
    MenuEntry,
    cancel_only,
    keyboard,
    main_menu,
)
from handlers.menu import take_press as _take_press
from handlers.rental_notices import colour_label, day, reason_lines
from handlers.report_form import DONE, SKIP, photos_keyboard
from services.certificates import china_today
from services.models import RentalHouse
from services.rental import HouseDraft, NotYours, RentalService
from services.routing import Routing, text

SHARE_PLACE = MenuEntry("📍", N_("Share the house's location"))
SHARE_CONTACT = MenuEntry("📱", N_("Share my phone number"))
ADDRESS_LIMIT = 200
MOST_ROOMS, MOST_BEDS = 200, 500


class RegisterHouse(StatesGroup):
    address = State()
    place = State()
    rooms = State()
    beds = State()
    contact = State()
    photos = State()
    confirm = State()


class RentalAction(CallbackData, prefix="rnt"):
    action: str  # new, join, register, tenants, out
    ref: int = 0  # a house id (tenants) or a tenant id (out)


class GridChoice(CallbackData, prefix="rgrid"):
    code: str


def join_link(username: str | None, house: RentalHouse) -> str:
    return f"https://t.me/{username}?start=rent_{house.join_code}"


async def overview(
    message: Message, state: FSMContext, rental: RentalService, routing: Routing, bot: Bot
) -> None:
    """The person's houses (as landlord) and homes (as tenant), and what they can do."""
    await state.clear()
    assert message.from_user is not None
    await show_overview(message, message.from_user.id, rental, routing, bot)


async def show_overview(
    message: Message, user_id: int, rental: RentalService, routing: Routing, bot: Bot
) -> None:
    houses = await rental.houses_of(user_id)
    homes = await rental.homes_of(user_id)
    username = (await bot.me()).username
    blocks: list[str] = []
    rows: list[list[InlineKeyboardButton]] = []
    for house in houses:
        blocks.append(house_block(house, rental, routing, len(await rental.tenants(house.id or 0))))
        blocks[-1] += "\n" + _("Tenants join with this link: {link}").format(
            link=join_link(username, house)
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("👥 Tenants of {code}").format(code=house.code),
                    callback_data=RentalAction(action="tenants", ref=house.id or 0).pack(),
                )
            ]
        )
    for tenant, house in homes:
        blocks.append(
            _("🔑 You live in rental house {code}, registered since {date}.").format(
                code=house.code, date=tenant.move_in.isoformat()
            )
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("🚪 I moved out of {code}").format(code=house.code),
                    callback_data=RentalAction(action="out", ref=tenant.id or 0).pack(),
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                text=_("🏠 Register a house"), callback_data=RentalAction(action="new").pack()
            ),
            InlineKeyboardButton(
                text=_("🔑 Join a house as a tenant"),
                callback_data=RentalAction(action="join").pack(),
            ),
        ]
    )
    intro = _(
        "Rental housing. Landlords register their houses here; tenants register themselves "
        "in a house with the code or link their landlord gives them."
    )
    words = "\n\n".join([intro, *blocks]) if blocks else intro + "\n\n" + _("You have none yet.")
    await message.answer(words, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


def house_block(house: RentalHouse, rental: RentalService, routing: Routing, tenants: int) -> str:
    """A house as its landlord sees it: colour, address, size, what to fix, the next visit."""
    locale = get_i18n().current_locale
    try:
        grid = text(routing.grid(house.grid).name, locale)
    except KeyError:
        grid = house.grid
    lines = [
        f"{colour_label(house.colour, _)} · {house.code} · {rental.address(house)}",
        _("{grid} · {rooms} rooms, {beds} beds, {tenants} tenants").format(
            grid=grid, rooms=house.rooms, beds=house.beds, tenants=tenants
        ),
    ]
    reasons = reason_lines(house.reasons, routing.rental, _, locale)
    if reasons:
        lines.append(_("To fix:"))
        lines.extend(f"• {reason}" for reason in reasons)
    lines.append(_("Next inspection due by {date}").format(date=day(house.next_due)))
    return "\n".join(lines)


async def pressed(
    query: CallbackQuery,
    callback_data: RentalAction,
    state: FSMContext,
    rental: RentalService,
    routing: Routing,
    bot: Bot,
    i18n: I18n,
) -> None:
    user_id = query.from_user.id
    if callback_data.action == "new":
        message = await _take_press(query)
        if message is not None:
            await start_registration(message, state)
    elif callback_data.action == "join":
        message = await _take_press(query)
        if message is not None:
            await rental_tenant.ask_join_code(message, state)
    elif callback_data.action == "tenants":
        try:
            house = await rental.landlords_house(callback_data.ref, user_id)
        except NotYours:
            await query.answer(_("This is not your house."), show_alert=True)
            return
        await query.answer()
        await show_tenants(query, house, rental)
    elif callback_data.action == "out":
        try:
            tenant = await rental.move_out(callback_data.ref, user_id, china_today())
        except NotYours:
            await query.answer(_("Only the tenant or their landlord can do that."), show_alert=True)
            return
        await query.answer()
        if query.message is not None:
            await bot.send_message(
                query.from_user.id,
                _(
                    "Marked as moved out on {date}. The registration's personal data is deleted "
                    "{days} days after that."
                ).format(
                    date=(tenant.moved_out_on or china_today()).isoformat(),
                    days=rental.retention_days,
                ),
            )


async def show_tenants(query: CallbackQuery, house: RentalHouse, rental: RentalService) -> None:
    tenants = await rental.tenants(house.id or 0)
    if not tenants:
        await query.bot.send_message(  # type: ignore[union-attr]
            query.from_user.id, _("Nobody is registered in {code} now.").format(code=house.code)
        )
        return
    lines = [_("Tenants of {code}:").format(code=house.code)]
    rows = []
    for tenant in tenants:
        name = rental.tenant_name(tenant) or "—"
        lines.append(_("{name}, since {date}").format(name=name, date=tenant.move_in.isoformat()))
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("🚪 {name} moved out").format(name=name),
                    callback_data=RentalAction(action="out", ref=tenant.id or 0).pack(),
                )
            ]
        )
    await query.bot.send_message(  # type: ignore[union-attr]
        query.from_user.id,
        "\n".join(lines),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


# registering a house


async def start_registration(message: Message, state: FSMContext) -> None:
    await state.set_state(RegisterHouse.address)
    await state.update_data(photos=[])
    await message.answer(
        _(
            "Registering a rental house. What is its address? "
            "For example “Market Lane 7, room 302”."
        ),
        reply_markup=cancel_only(),
    )


async def take_address(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    address = " ".join((message.text or "").split())
    if not 4 <= len(address) <= ADDRESS_LIMIT:
        await message.answer(_("Please write the address in words (4 to 200 characters)."))
        return
    await state.update_data(address=address)
    await ask_place(message, state, routing, i18n)


async def ask_place(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    await state.set_state(RegisterHouse.place)
    await message.answer(
        _("Which grid is the house on? Share its location, or choose the grid."),
        reply_markup=keyboard(
            [KeyboardButton(text=SHARE_PLACE.text(), request_location=True)],
            [KeyboardButton(text=CANCEL.text())],
        ),
    )
    locale = i18n.current_locale
    await message.answer(
        _("The grids:"),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=text(grid.name, locale),
                        callback_data=GridChoice(code=grid.code).pack(),
                    )
                ]
                for grid in routing.grids[:40]
            ]
        ),
    )


async def take_location(message: Message, state: FSMContext, routing: Routing) -> None:
    assert message.location is not None
    latitude, longitude = message.location.latitude, message.location.longitude
    grid = routing.grid_at(latitude, longitude)
    if grid is None:
        await message.answer(_("That place is on none of our grids. Please choose the grid."))
        return
    await state.update_data(grid=grid.code, latitude=latitude, longitude=longitude)
    await ask_rooms(message, state)


async def choose_grid(
    query: CallbackQuery, callback_data: GridChoice, state: FSMContext, routing: Routing
) -> None:
    try:
        routing.grid(callback_data.code)
    except KeyError:
        await query.answer(_("That grid no longer exists."), show_alert=True)
        return
    message = await _take_press(query)
    await state.update_data(grid=callback_data.code, latitude=None, longitude=None)
    if message is not None:
        await ask_rooms(message, state)


async def ask_rooms(message: Message, state: FSMContext) -> None:
    await state.set_state(RegisterHouse.rooms)
    await message.answer(_("How many rooms does it let?"), reply_markup=cancel_only())


def whole_number(raw: str | None, most: int) -> int | None:
    digits = (raw or "").strip()
    if not digits.isdigit() or not 1 <= int(digits) <= most:
        return None
    return int(digits)


async def take_rooms(message: Message, state: FSMContext) -> None:
    rooms = whole_number(message.text, MOST_ROOMS)
    if rooms is None:
        await message.answer(_("The number of rooms is a whole number from 1 to 200."))
        return
    await state.update_data(rooms=rooms)
    await state.set_state(RegisterHouse.beds)
    await message.answer(_("How many beds are there in all?"))


async def take_beds(message: Message, state: FSMContext) -> None:
    beds = whole_number(message.text, MOST_BEDS)
    if beds is None:
        await message.answer(_("The number of beds is a whole number from 1 to 500."))
        return
    await state.update_data(beds=beds)
    await state.set_state(RegisterHouse.contact)
    await message.answer(
        _("A phone number where the grid workers can reach you:"),
        reply_markup=keyboard(
            [KeyboardButton(text=SHARE_CONTACT.text(), request_contact=True)],
            [KeyboardButton(text=CANCEL.text())],
        ),
    )


async def take_contact(message: Message, state: FSMContext) -> None:
    phone = message.contact.phone_number if message.contact else (message.text or "").strip()
    if not PHONE.match(phone):
        await message.answer(_("That is not a phone number; write digits only, e.g. 13812345678."))
        return
    await state.update_data(contact=phone)
    await state.set_state(RegisterHouse.photos)
    await message.answer(
        _(
            "Photos of the house help the inspection. "
            "Send them, then press “Done”, or press “Skip”."
        ),
        reply_markup=photos_keyboard(),
    )


async def take_photo(message: Message, state: FSMContext) -> None:
    assert message.photo is not None
    photos = list((await state.get_data()).get("photos", []))[:9]
    photos.append(message.photo[-1].file_id)
    await state.update_data(photos=photos)
    if message.media_group_id is None:
        await message.answer(
            _("Photo added ({count}). Send more, or press “Done”.").format(count=len(photos))
        )


async def show_summary(message: Message, state: FSMContext, routing: Routing, i18n: I18n) -> None:
    data = await state.get_data()
    await state.set_state(RegisterHouse.confirm)
    grid = text(routing.grid(data["grid"]).name, i18n.current_locale)
    await message.answer(_("Nearly done."), reply_markup=main_menu())
    await message.answer(
        _(
            "Please check the house:\nAddress: {address}\nGrid: {grid}\nRooms: {rooms}\n"
            "Beds: {beds}\nYour phone: {phone}\nPhotos: {photos}"
        ).format(
            address=data["address"],
            grid=grid,
            rooms=data["rooms"],
            beds=data["beds"],
            phone=data["contact"],
            photos=len(data.get("photos", [])),
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("✅ Register the house"),
                        callback_data=RentalAction(action="register").pack(),
                    )
                ]
            ]
        ),
    )


async def register(
    query: CallbackQuery,
    state: FSMContext,
    rental: RentalService,
    bot: Bot,
    i18n: I18n,
) -> None:
    message = await _take_press(query)
    data = await state.get_data()
    if message is None or "beds" not in data:
        return
    house = await rental.register(
        HouseDraft(
            landlord_id=query.from_user.id,
            landlord_locale=i18n.current_locale,
            grid=data["grid"],
            address=data["address"],
            rooms=data["rooms"],
            beds=data["beds"],
            contact=data["contact"],
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            photos=tuple(data.get("photos", [])),
        )
    )
    await state.clear()
    username = (await bot.me()).username
    await message.answer(
        _(
            "Registered: your house's code is {code}. Tenants register themselves with this "
            "link: {link}\nThe grid's workers will inspect it by {date}. /rental shows its "
            "colour and what to fix."
        ).format(code=house.code, link=join_link(username, house), date=day(house.next_due)),
        reply_markup=main_menu(),
    )


async def not_a_number(message: Message) -> None:
    await message.answer(_("Please answer the question above, or press “Cancel”."))


def router() -> Router:
    """Landlords and tenants in private chats; inspections in group chats."""
    from handlers import rental_inspect

    router = Router(name="rental")
    private = Router(name="rental-private")
    private.message.filter(F.chat.type == "private")
    private.message.register(overview, Command("rental"))
    private.message.register(overview, MenuButton(RENTAL))
    words = (F.text, ~F.text.startswith("/"))
    private.message.register(take_address, RegisterHouse.address, *words)
    private.message.register(take_location, RegisterHouse.place, F.location)
    private.message.register(take_rooms, RegisterHouse.rooms, *words)
    private.message.register(take_beds, RegisterHouse.beds, *words)
    private.message.register(take_contact, RegisterHouse.contact, F.contact)
    private.message.register(take_contact, RegisterHouse.contact, *words)
    private.message.register(take_photo, RegisterHouse.photos, F.photo)
    private.message.register(show_summary, RegisterHouse.photos, MenuButton(DONE))
    private.message.register(show_summary, RegisterHouse.photos, MenuButton(SKIP))
    private.message.register(not_a_number, StateFilter(*RegisterHouse.__all_states__))
    private.callback_query.register(choose_grid, RegisterHouse.place, GridChoice.filter())
    private.callback_query.register(
        register, RegisterHouse.confirm, RentalAction.filter(F.action == "register")
    )
    private.callback_query.register(
        pressed, RentalAction.filter(F.action.in_({"new", "join", "tenants", "out"}))
    )
    private.include_router(rental_tenant.router())
    router.include_routers(private, rental_inspect.router())
    return router


def start_router() -> Router:
    """`/start rent_<join code>`: comes before the common router's plain /start."""
    return rental_tenant.start_router()
