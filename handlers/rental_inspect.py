"""Grid workers and rental houses, in the grid's chat: `/inspect CODE` (or "Inspect now" under a
due reminder) goes down the routing file's checklist with Pass and Fail buttons, a photo in
reply to an item adds it to that item; `/houses` counts the grid's houses by colour and lists
the red and yellow ones with their reasons.

Every command and press asks services/authorization (through `may_inspect`) about the person
at that moment: where the press came from chooses nothing.
"""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.gates import Inline
from handlers.rental_notices import COLOUR_ICONS, InspectHouse, colour_label, day, reason_lines
from handlers.staff_access import GROUPS, ChatLanguage, actor_of
from services.authorization import Actor, Authorization
from services.models import RentalHouse, RentalInspection
from services.rental import RentalService
from services.rental_inspections import InspectionService, may_inspect
from services.rental_queries import RentalFigures
from services.rental_routing import ChecklistItem
from services.routing import Routing, text


def NOT_STAFF() -> str:
    return _("Only the staff of this house's grid can inspect it.")


class ItemAnswer(CallbackData, prefix="rit"):
    inspection_id: int
    item: str
    ok: bool


async def inspector(
    query: CallbackQuery, house: RentalHouse, authorization: Authorization, routing: Routing
) -> Actor | None:
    """The presser, if they may inspect this house now; if not, they are told so."""
    actor = Actor(query.from_user.id, query.from_user.full_name)
    if not await may_inspect(authorization, routing, house, actor):
        await query.answer(NOT_STAFF(), show_alert=True)
        return None
    return actor


def grid_name(routing: Routing, code: str, locale: str) -> str:
    try:
        return text(routing.grid(code).name, locale)
    except KeyError:
        return code


async def inspect_command(
    message: Message,
    command: CommandObject,
    rental: RentalService,
    inspections: InspectionService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    code = (command.args or "").strip()
    if not code:
        await message.answer(_("Send /inspect with the house's code, for example /inspect R7K2M."))
        return
    house = await rental.by_code(code)
    if house is None:
        await message.answer(_("No rental house has the code “{code}”.").format(code=code))
        return
    await begin(
        message, actor_of(message), house, rental, inspections, authorization, routing, i18n
    )


async def inspect_pressed(
    query: CallbackQuery,
    callback_data: InspectHouse,
    rental: RentalService,
    inspections: InspectionService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    house = await rental.get(callback_data.house_id)
    if house is None or not isinstance(query.message, Message):
        await query.answer(_("This house is no longer registered."), show_alert=True)
        return
    actor = await inspector(query, house, authorization, routing)
    if actor is None:
        return
    await query.answer()
    await begin(query.message, actor, house, rental, inspections, authorization, routing, i18n)


async def begin(
    message: Message,
    actor: Actor,
    house: RentalHouse,
    rental: RentalService,
    inspections: InspectionService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    """One message shows the whole inspection, edited as items are answered (a group may get
    only twenty new messages a minute from a bot)."""
    if not await may_inspect(authorization, routing, house, actor):
        await message.answer(NOT_STAFF())
        return
    assert house.id is not None
    inspection = await inspections.start(house.id, message.chat.id, actor)
    tenants = len(await rental.tenants(house.id))
    header = _(
        "🔍 Inspection of rental house {code} on {grid} by {name}: {count} items. "
        "Registered tenants: {tenants} (beds: {beds}). Reply to this message with a photo to "
        "add it to the item being inspected."
    ).format(
        code=house.code,
        grid=grid_name(routing, house.grid, i18n.current_locale),
        name=actor.name,
        count=len(inspections.checklist),
        tenants=tenants,
        beds=house.beds,
    )
    words, markup = progress(header, inspection, inspections, i18n.current_locale)
    shown = await message.answer(words, reply_markup=markup)
    assert inspection.id is not None
    await inspections.shown_in(inspection.id, shown.message_id)


def progress(
    header: str, inspection: RentalInspection, inspections: InspectionService, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The inspection so far: each answered item with its verdict, the next with buttons."""
    lines = [header, ""]
    count = len(inspections.checklist)
    current = inspections.next_item(inspection)
    for number, item in enumerate(inspections.checklist, start=1):
        result = inspection.results.get(item.code) or {}
        photo = " 📷" if result.get("photo") else ""
        if result.get("ok") is not None:
            mark = "✅" if result["ok"] else "❌"
            lines.append(f"{mark} {item_line(item, number, count, locale)}{photo}")
        elif item == current:
            lines.append(f"➡️ {item_line(item, number, count, locale)}{photo}")
    if current is None or inspection.id is None:
        return "\n".join(lines), None
    buttons = [
        InlineKeyboardButton(
            text=label,
            callback_data=ItemAnswer(inspection_id=inspection.id, item=current.code, ok=ok).pack(),
        )
        for label, ok in ((_("✅ Pass"), True), (_("❌ Fail"), False))
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=[buttons])


def item_line(item: ChecklistItem, number: int, count: int, locale: str) -> str:
    name = text(item.name, locale)
    return f"{number}/{count} " + (
        _("{item} (critical)").format(item=name) if item.critical else name
    )


async def answer_item(
    query: CallbackQuery,
    callback_data: ItemAnswer,
    rental: RentalService,
    inspections: InspectionService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    inspection = await inspections.get(callback_data.inspection_id)
    house = await rental.get(inspection.house_id) if inspection else None
    if inspection is None or house is None:
        await query.answer(_("This inspection no longer exists."), show_alert=True)
        return
    if await inspector(query, house, authorization, routing) is None:
        return
    inspection, house, finished = await inspections.record(
        callback_data.inspection_id, callback_data.item, callback_data.ok
    )
    await query.answer()
    if not isinstance(query.message, Message) or not query.message.text:
        return
    locale = i18n.current_locale
    header = query.message.text.split("\n\n", 1)[0]
    words, markup = progress(header, inspection, inspections, locale)
    with contextlib.suppress(TelegramBadRequest):  # a press delivered twice: not modified
        await query.message.edit_text(words, reply_markup=markup)
    if not finished:
        return
    lines = [
        _("Inspection of {code} finished: {colour}.").format(
            code=house.code, colour=colour_label(house.colour, _)
        )
    ]
    lines += [f"• {r}" for r in reason_lines(house.reasons, routing.rental, _, locale)]
    lines.append(_("Next inspection due by {date}").format(date=day(house.next_due)))
    await query.message.answer("\n".join(lines))


async def photo_for_item(
    message: Message,
    rental: RentalService,
    inspections: InspectionService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    """A photo in reply to an inspection; any other photo goes on to the staff router."""
    assert message.photo is not None and message.reply_to_message is not None
    inspection = await inspections.shown_at(message.chat.id, message.reply_to_message.message_id)
    if inspection is None or inspection.id is None:
        raise SkipHandler
    house = await rental.get(inspection.house_id)
    if house is None or not await may_inspect(authorization, routing, house, actor_of(message)):
        await message.answer(NOT_STAFF())
        return
    item = await inspections.attach_photo(inspection.id, message.photo[-1].file_id)
    if item is not None:
        await message.answer(
            _("📷 Photo added to “{item}”.").format(item=text(item.name, i18n.current_locale))
        )


async def houses(
    message: Message,
    rental_figures: RentalFigures,
    rental: RentalService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    actor = actor_of(message)
    if await authorization.staff_scope(message.chat.id, actor) is None:
        authorization.refused(actor, "/houses", f"chat {message.chat.id}", "not its staff")
        await message.answer(_("Only this chat's staff can see its rental houses."))
        return
    grids = grids_of_chat(routing, message.chat.id)
    locale = i18n.current_locale
    counts = await rental_figures.counts(grids)
    names = ", ".join(grid_name(routing, code, locale) for code in grids) or "—"
    lines = [
        _("Rental houses on {grids}:").format(grids=names),
        " · ".join(f"{colour_label(c, _)} {counts[c]}" for c in ("red", "yellow", "green")),
    ]
    for house in await rental_figures.flagged(grids):
        lines.append("")
        lines.append(f"{COLOUR_ICONS[house.colour]} {house.code} · {rental.address(house)}")
        lines += [f"• {r}" for r in reason_lines(house.reasons, routing.rental, _, locale)]
    await message.answer("\n".join(lines))


def grids_of_chat(routing: Routing, chat_id: int) -> list[str]:
    """The grids a chat looks after: its own, its community's, or all (the street office)."""
    if chat_id == routing.street_office_chat_id:
        return [grid.code for grid in routing.grids]
    return [
        grid.code
        for grid in routing.grids
        if grid.chat_id == chat_id or routing.community_of(grid).chat_id == chat_id
    ]


def router() -> Router:
    router = Router(name="rental-inspect")
    for observer in (router.message, router.callback_query):
        observer.middleware(ChatLanguage())
    router.message.register(inspect_command, GROUPS, Command("inspect"))
    router.message.register(houses, GROUPS, Command("houses"))
    router.message.register(photo_for_item, GROUPS, Inline(F.photo), Inline(F.reply_to_message))
    router.callback_query.register(inspect_pressed, InspectHouse.filter())
    router.callback_query.register(answer_item, ItemAnswer.filter())
    return router
