"""Registering a rental house: address, grid (a shared location routed like a report, or the
list of grids), rooms, beds, the landlord's phone, photos, a summary, then the house's code and
join link. Entered from /rental (handlers/rental.py); the service encrypts the address and the
phone before they are stored.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
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
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.gates import TYPED
from handlers.identity_answers import given_phone
from handlers.menu import CANCEL, N_, MenuButton, MenuEntry, cancel_only, keyboard, main_menu
from handlers.menu import take_press as _take_press
from handlers.rental_notices import day
from handlers.report_questions import DONE, SKIP, photos_keyboard
from services.models import RentalHouse
from services.rental import HouseDraft, RentalService
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


class HouseSubmit(CallbackData, prefix="rhse"):
    """ "Register the house" under the summary."""


class GridChoice(CallbackData, prefix="rgrid"):
    code: str


def join_link(username: str | None, house: RentalHouse) -> str:
    return f"https://t.me/{username}?start=rent_{house.join_code}"


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
    phone = given_phone(message)
    if phone is None:
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
                        callback_data=HouseSubmit().pack(),
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
    router = Router(name="rental-register")
    words = (TYPED,)
    router.message.register(take_address, StateFilter(RegisterHouse.address), *words)
    router.message.register(take_location, StateFilter(RegisterHouse.place), F.location)
    router.message.register(take_rooms, StateFilter(RegisterHouse.rooms), *words)
    router.message.register(take_beds, StateFilter(RegisterHouse.beds), *words)
    router.message.register(take_contact, StateFilter(RegisterHouse.contact), F.contact)
    router.message.register(take_contact, StateFilter(RegisterHouse.contact), *words)
    router.message.register(take_photo, StateFilter(RegisterHouse.photos), F.photo)
    router.message.register(show_summary, StateFilter(RegisterHouse.photos), MenuButton(DONE))
    router.message.register(show_summary, StateFilter(RegisterHouse.photos), MenuButton(SKIP))
    router.message.register(not_a_number, StateFilter(*RegisterHouse.__all_states__))
    router.callback_query.register(
        choose_grid, StateFilter(RegisterHouse.place), GridChoice.filter()
    )
    router.callback_query.register(
        register, StateFilter(RegisterHouse.confirm), HouseSubmit.filter()
    )
    return router
