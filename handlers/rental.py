"""Rental housing for landlords: `/rental` lists their houses with their colours and what to
fix, and starts registering a new one (handlers/rental_register.py).

Tenants register in handlers/rental_tenant.py; grid workers inspect in
handlers/rental_inspect.py. Whose house it is is asked of the service at every press: a
stranger's press on another landlord's button shows nothing.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _

from handlers import rental_register, rental_tenant
from handlers.gates import PRIVATE
from handlers.menu import RENTAL, MenuButton, drop_buttons
from handlers.menu import take_press as _take_press
from handlers.rental_notices import colour_label, day, reason_lines
from handlers.rental_register import join_link, start_registration
from services.certificates import china_today
from services.models import RentalHouse
from services.rental import NotYours, RentalService
from services.rental_removal import AlreadyRemoved, HouseRemoval
from services.routing import Routing, text


class RentalAction(CallbackData, prefix="rnt"):
    action: str  # new, join, register, tenants, out, remove, removed
    ref: int = 0  # a house id (tenants, remove, removed) or a tenant id (out)


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
                ),
                InlineKeyboardButton(
                    text=_("🗑 Remove {code}").format(code=house.code),
                    callback_data=RentalAction(action="remove", ref=house.id or 0).pack(),
                ),
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
    house_removal: HouseRemoval,
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
    elif callback_data.action in ("remove", "removed"):
        await removal(query, callback_data, rental, house_removal)
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


async def removal(
    query: CallbackQuery,
    callback_data: RentalAction,
    rental: RentalService,
    house_removal: HouseRemoval,
) -> None:
    """`remove` asks first, saying what follows; `removed` (its confirm) removes the house."""
    try:
        house = await rental.landlords_house(callback_data.ref, query.from_user.id)
    except NotYours:
        await query.answer(_("This is not your house."), show_alert=True)
        return
    if house.removed_on is not None:
        await query.answer(_("Rental house {code} was removed already.").format(code=house.code))
        return
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    if callback_data.action == "remove":
        await query.answer()
        tenants = len(await rental.tenants(house.id or 0))
        confirm = RentalAction(action="removed", ref=house.id or 0).pack()
        await message.answer(
            _(
                "Remove rental house {code}, {address}? Its {tenants} tenants are told and "
                "their registrations end today. {days} days later its address, your phone and "
                "the tenants' details are deleted. This cannot be undone."
            ).format(
                code=house.code,
                address=rental.address(house),
                tenants=tenants,
                days=rental.retention_days,
            ),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("🗑 Yes, remove {code}").format(code=house.code),
                            callback_data=confirm,
                        )
                    ]
                ]
            ),
        )
        return
    try:
        removed = await house_removal.remove(house.id or 0, query.from_user.id, china_today())
    except AlreadyRemoved:
        await query.answer(_("Rental house {code} was removed already.").format(code=house.code))
        return
    await query.answer()
    await drop_buttons(message)
    await message.answer(
        _(
            "🗑 Rental house {code} is removed. {tenants} tenants were told. Its address, "
            "your phone and the tenants' details are deleted on {date}."
        ).format(code=house.code, tenants=removed.tenants, date=removed.purge_on.isoformat())
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


def router() -> Router:
    """Landlords and tenants in private chats; inspections in group chats."""
    from handlers import rental_inspect

    router = Router(name="rental")
    private = Router(name="rental-private")
    private.message.filter(PRIVATE)
    private.message.register(overview, Command("rental"))
    private.message.register(overview, MenuButton(RENTAL))
    private.callback_query.register(
        pressed,
        RentalAction.filter(F.action.in_({"new", "join", "tenants", "out", "remove", "removed"})),
    )
    private.include_routers(rental_register.router(), rental_tenant.router())
    router.include_routers(private, rental_inspect.router())
    return router


def start_router() -> Router:
    """`/start rent_<join code>`: comes before the common router's plain /start."""
    return rental_tenant.start_router()
