"""Reporting for a neighbour: a grid contact files for a resident who has no Telegram.

The neighbour's name and phone are personal data: encrypted before they are stored
(services.privacy.FieldCipher), shown only on the staff card (a sealed notification), and purged
PERSONAL_DATA_RETENTION_DAYS after the request ends. Updates go to the grid contact, who confirms
and rates for the neighbour. The role is asked of services/roles at every step that files.
"""

from __future__ import annotations

import re
from uuid import uuid4

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.gates import PRIVATE, TYPED
from handlers.menu import MenuButton, cancel_only, main_menu
from handlers.notices import TelegramTicketNotices
from handlers.report_questions import DONE, SKIP, photos_keyboard
from handlers.topics import ticket_topic
from services.authorization import Actor, Authorization
from services.privacy import FieldCipher
from services.routing import Routing, text
from services.ticket_contract import Draft
from services.tickets import TEXT_LIMIT, TicketService

PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
NAME_LIMIT = 64


class ForNeighbour(StatesGroup):
    name = State()
    phone = State()
    describing = State()
    place = State()
    photos = State()


async def contact_grid(message: Message, authorization: Authorization) -> str | None:
    """The grid of the person writing, if they are a grid contact now; told plainly if not."""
    assert message.from_user is not None
    grid = await authorization.roles.contact_grid(message.from_user.id)
    if grid is None:
        actor = Actor(message.from_user.id, message.from_user.full_name)
        authorization.refused(actor, "neighbour report", "a grid", "not a grid contact")
        await message.answer(
            _("Only a grid contact can report for a neighbour. Ask your community office."),
            reply_markup=main_menu(),
        )
    return grid


async def start(message: Message, state: FSMContext, authorization: Authorization) -> None:
    if await contact_grid(message, authorization) is None:
        return
    await state.set_state(ForNeighbour.name)
    await state.update_data(photos=[], intake=uuid4().hex)
    await message.answer(
        _("Reporting for a neighbour. What is your neighbour's name?"), reply_markup=cancel_only()
    )


async def take_name(message: Message, state: FSMContext) -> None:
    name = (message.text or "").strip()
    if not name or len(name) > NAME_LIMIT:
        await message.answer(_("Please write the neighbour's name (up to 64 characters)."))
        return
    await state.update_data(name=name)
    await state.set_state(ForNeighbour.phone)
    await message.answer(_("Their phone number, so the team can call them?"))


async def take_phone(message: Message, state: FSMContext) -> None:
    phone = (message.text or "").strip()
    if not PHONE.match(phone):
        await message.answer(_("That is not a phone number; write digits only, e.g. 13812345678."))
        return
    await state.update_data(phone=phone)
    await state.set_state(ForNeighbour.describing)
    await message.answer(_("What is the problem? Describe it in a few words."))


async def take_description(message: Message, state: FSMContext) -> None:
    words = (message.text or "").strip()
    if not words or len(words) > TEXT_LIMIT:
        await message.answer(_("Please describe the problem in words (up to 2000 characters)."))
        return
    await state.update_data(text=words)
    await state.set_state(ForNeighbour.place)
    await message.answer(_("Where is it? Write the address, e.g. “Building 3, room 201”."))


async def take_place(message: Message, state: FSMContext) -> None:
    place = (message.text or "").strip()
    if not place or len(place) > 300:
        await message.answer(_("Please write the address in words (up to 300 characters)."))
        return
    await state.update_data(address=place)
    await state.set_state(ForNeighbour.photos)
    await message.answer(
        _("Add photos if they help, then press “Done”. Or press “Skip”."),
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


async def file_it(
    message: Message,
    state: FSMContext,
    authorization: Authorization,
    routing: Routing,
    tickets: TicketService,
    notices: TelegramTicketNotices,
    cipher: FieldCipher,
    i18n: I18n,
    bot: Bot,
) -> None:
    """Filed on the contact's grid, for the neighbour; asked again whether they are a contact."""
    grid_code = await contact_grid(message, authorization)
    if grid_code is None or message.from_user is None:
        await state.clear()
        return
    data = await state.get_data()
    grid = routing.grid(grid_code)
    category = routing.suggest_category(data["text"]) or routing.categories[-1]
    chat = routing.staff_chat(category, grid)
    if chat is None:
        await message.answer(_("No staff chat is set up for this grid yet."))
        return
    topic = await ticket_topic(bot, notices, chat, grid, data["text"][:40], category.code)
    ticket = await tickets.create(
        Draft(
            resident_id=message.from_user.id,
            resident_name=message.from_user.full_name,
            resident_locale=i18n.current_locale,
            text=data["text"],
            category=category.code,
            grid=grid.code,
            staff_chat_id=chat,
            address=data["address"],
            photos=tuple(data.get("photos", [])),
            topic_id=topic,
            intake_key=data["intake"],
            neighbour_name_encrypted=cipher.encrypt(data["name"]),
            neighbour_phone_encrypted=cipher.encrypt(data["phone"]),
        )
    )
    await state.clear()
    await message.answer(
        _(
            "Filed as {number} for {name}. {team} has it; their replies come to you here, and "
            "you confirm and rate the fix for your neighbour. /households lists what you filed."
        ).format(
            number=ticket.number,
            name=data["name"],
            team=text(grid.name, i18n.current_locale),
        ),
        reply_markup=main_menu(),
    )


def router() -> Router:
    router = Router(name="neighbours")
    router.message.filter(PRIVATE)
    router.message.register(start, StateFilter(None), Command("neighbour"))
    router.message.register(take_name, StateFilter(ForNeighbour.name), TYPED)
    router.message.register(take_phone, StateFilter(ForNeighbour.phone), TYPED)
    router.message.register(take_description, StateFilter(ForNeighbour.describing), TYPED)
    router.message.register(take_place, StateFilter(ForNeighbour.place), TYPED)
    router.message.register(take_photo, StateFilter(ForNeighbour.photos), F.photo)
    router.message.register(file_it, StateFilter(ForNeighbour.photos), MenuButton(DONE))
    router.message.register(file_it, StateFilter(ForNeighbour.photos), MenuButton(SKIP))
    return router
