"""Tenants register themselves in a rental house: the residence registration migrants make.

Entered by the link the landlord shares (`/start rent_<join code>`) or by typing the join code
after /rental → "Join a house as a tenant". Name, document (checked as for certificates:
services/identity.py), phone and move-in date, a summary, then Submit. All of it is encrypted
before it is stored (services/rental.py); the landlord sees the name, the grid's staff only
that the house's tenants are registered.
"""

from __future__ import annotations

from datetime import date, timedelta

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart, StateFilter
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

from handlers.application_notices import DOCUMENT_NAMES
from handlers.gates import PRIVATE, TYPED
from handlers.identity_answers import (
    SHARE_PHONE,
    TODAY,
    ask_document_type,
    given_phone,
    parse_date,
    typed_document_number,
    typed_name,
)
from handlers.menu import CANCEL, cancel_only, keyboard, main_menu
from handlers.menu import take_press as _take_press
from services.certificates import china_today
from services.identity import DocumentType
from services.rental import RentalService, TenantDraft
from services.routing import Routing, text

JOIN_PREFIX = "rent_"


class JoinHouse(StatesGroup):
    code = State()
    name = State()
    doc_type = State()
    doc_number = State()
    phone = State()
    move_in = State()
    confirm = State()


class TenantDoc(CallbackData, prefix="rdoc"):
    kind: str


class TenantSubmit(CallbackData, prefix="rsub"):
    house_id: int


async def ask_join_code(message: Message, state: FSMContext) -> None:
    await state.set_state(JoinHouse.code)
    await message.answer(
        _("Type the join code your landlord gave you (it is in their link after “rent_”):"),
        reply_markup=cancel_only(),
    )


async def deep_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    rental: RentalService,
    routing: Routing,
    i18n: I18n,
) -> None:
    await state.clear()
    await begin(message, (command.args or "")[len(JOIN_PREFIX) :], state, rental, routing, i18n)


async def take_code(
    message: Message, state: FSMContext, rental: RentalService, routing: Routing, i18n: I18n
) -> None:
    raw = (message.text or "").strip()
    await begin(message, raw.removeprefix(JOIN_PREFIX), state, rental, routing, i18n)


async def begin(
    message: Message,
    join_code: str,
    state: FSMContext,
    rental: RentalService,
    routing: Routing,
    i18n: I18n,
) -> None:
    house = await rental.by_join_code(join_code) if join_code else None
    if house is None:
        await message.answer(
            _("No rental house has the join code “{code}”. Check it with your landlord.").format(
                code=join_code
            )
        )
        return
    assert message.from_user is not None
    if any(home.id == house.id for _tenant, home in await rental.homes_of(message.from_user.id)):
        await message.answer(
            _("You are already registered in rental house {code}. /rental shows it.").format(
                code=house.code
            )
        )
        return
    try:
        grid = text(routing.grid(house.grid).name, i18n.current_locale)
    except KeyError:
        grid = house.grid
    await state.set_state(JoinHouse.name)
    await state.update_data(house_id=house.id, house_code=house.code)
    await message.answer(
        _(
            "Residence registration in rental house {code} ({grid}).\n\nYour landlord will see "
            "your name; your document number and phone are kept encrypted for the street "
            "office, and everything is deleted {days} days after you move out.\n\n"
            "Your full name, as on your ID document:"
        ).format(code=house.code, grid=grid, days=rental.retention_days),
        reply_markup=cancel_only(),
    )


async def take_name(message: Message, state: FSMContext) -> None:
    name = await typed_name(message)
    if name is None:
        return
    await state.update_data(name=name)
    await state.set_state(JoinHouse.doc_type)
    await ask_document_type(message, lambda kind: TenantDoc(kind=kind).pack())


async def choose_doc(query: CallbackQuery, callback_data: TenantDoc, state: FSMContext) -> None:
    message = await _take_press(query)
    await state.update_data(doc_type=DocumentType(callback_data.kind).value)
    await state.set_state(JoinHouse.doc_number)
    if message is not None:
        await message.answer(_("The document's number:"))


async def take_doc_number(message: Message, state: FSMContext) -> None:
    number = await typed_document_number(message, (await state.get_data())["doc_type"])
    if number is None:
        return
    await state.update_data(doc_number=number)
    await state.set_state(JoinHouse.phone)
    await message.answer(
        _("A phone number where your landlord or the grid workers can reach you:"),
        reply_markup=keyboard(
            [KeyboardButton(text=SHARE_PHONE.text(), request_contact=True)],
            [KeyboardButton(text=CANCEL.text())],
        ),
    )


async def take_phone(message: Message, state: FSMContext) -> None:
    phone = given_phone(message)
    if phone is None:
        await message.answer(_("That is not a phone number; write digits only, e.g. 13812345678."))
        return
    await state.update_data(phone=phone)
    await state.set_state(JoinHouse.move_in)
    await message.answer(
        _("The day you moved in (year-month-day), or press Today:"),
        reply_markup=keyboard(
            [KeyboardButton(text=TODAY.text())], [KeyboardButton(text=CANCEL.text())]
        ),
    )


async def take_move_in(message: Message, state: FSMContext, i18n: I18n) -> None:
    today = china_today()
    typed = message.text or ""
    moved = today if typed in TODAY.texts_in_every_locale(i18n) else parse_date(typed)
    if moved is None or not today - timedelta(days=3650) <= moved <= today + timedelta(days=60):
        await message.answer(
            _("Please write the date as year-month-day, for example {today}.").format(
                today=today.isoformat()
            )
        )
        return
    await state.update_data(move_in=moved.isoformat())
    data = await state.get_data()
    await state.set_state(JoinHouse.confirm)
    await message.answer(_("Nearly done."), reply_markup=main_menu())
    await message.answer(
        _(
            "Please check your registration in {code}:\nName: {name}\nDocument: {document} "
            "{number}\nPhone: {phone}\nMoved in: {date}"
        ).format(
            code=data["house_code"],
            name=data["name"],
            document=_(DOCUMENT_NAMES[DocumentType(data["doc_type"])]),
            number=data["doc_number"],
            phone=data["phone"],
            date=moved.isoformat(),
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("✅ Register me"),
                        callback_data=TenantSubmit(house_id=data["house_id"]).pack(),
                    )
                ]
            ]
        ),
    )


async def submit(
    query: CallbackQuery,
    callback_data: TenantSubmit,
    state: FSMContext,
    rental: RentalService,
    i18n: I18n,
) -> None:
    message = await _take_press(query)
    data = await state.get_data()
    if message is None or data.get("house_id") != callback_data.house_id:
        return
    tenant = await rental.add_tenant(
        callback_data.house_id,
        TenantDraft(
            telegram_id=query.from_user.id,
            locale=i18n.current_locale,
            name=data["name"],
            document_type=data["doc_type"],
            document_number=data["doc_number"],
            phone=data["phone"],
            move_in=date.fromisoformat(data["move_in"]),
        ),
    )
    await state.clear()
    await message.answer(
        _(
            "Registered: you live in rental house {code} since {date}. When you move out, send "
            "/rental and press “I moved out”."
        ).format(code=data["house_code"], date=tenant.move_in.isoformat()),
        reply_markup=main_menu(),
    )


async def use_the_buttons(message: Message) -> None:
    await message.answer(_("Please answer the question above, or press “Cancel”."))


def router() -> Router:
    router = Router(name="rental-tenant")
    words = (TYPED,)
    router.message.register(take_code, StateFilter(JoinHouse.code), *words)
    router.message.register(take_name, StateFilter(JoinHouse.name), *words)
    router.callback_query.register(choose_doc, StateFilter(JoinHouse.doc_type), TenantDoc.filter())
    router.message.register(take_doc_number, StateFilter(JoinHouse.doc_number), *words)
    router.message.register(take_phone, StateFilter(JoinHouse.phone), F.contact)
    router.message.register(take_phone, StateFilter(JoinHouse.phone), *words)
    router.message.register(take_move_in, StateFilter(JoinHouse.move_in), *words)
    router.callback_query.register(submit, StateFilter(JoinHouse.confirm), TenantSubmit.filter())
    router.message.register(use_the_buttons, StateFilter(*JoinHouse.__all_states__))
    return router


def start_router() -> Router:
    router = Router(name="rental-start")
    router.message.filter(PRIVATE)
    router.message.register(
        deep_link, CommandStart(deep_link=True, magic=F.args.startswith(JOIN_PREFIX))
    )
    return router
