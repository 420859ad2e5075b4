"""The report form's last step: Submit files the ticket, or joins a neighbour's like it."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.menu import main_menu, take_press
from handlers.notices import TelegramTicketNotices
from handlers.staff_moderation import banned_text
from handlers.topics import ticket_topic
from services.routing import Routing, text
from services.ticket_contract import Banned, Draft, TicketError
from services.tickets import TicketService

log = logging.getLogger(__name__)


class DuplicateChoice(CallbackData, prefix="dup"):
    ticket_id: int  # 0: none of them


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
    topic_id = await ticket_topic(bot, notices, chat, grid, data["text"][:40], category.code)
    try:
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
                anonymous=bool(data.get("anonymous")),
                voice_file_id=data.get("voice"),
            )
        )
    except Banned:  # banned while filling in the form
        await state.clear()
        await message.answer(banned_text(""), reply_markup=main_menu())
        return
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
