"""The monthly joint meeting (Nanhu): `/agenda` in a staff chat lists, grid by grid of its area,
the requests still open (how many, the oldest three) and how many came in this month; the
minutes, written after the meeting, are kept as a consultation's outcome and go onto the public
board. Staff of the chat (or an admin) only, asked at each step."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.deliberation_access import chat_language, grids_of_chat, may_open
from handlers.gates import TYPED
from handlers.staff_access import GROUPS, actor_of
from services.authorization import Actor, Authorization
from services.board import Board
from services.deliberation import DeliberationError
from services.deliberation_outcome import DeliberationOutcome
from services.models import as_utc, utcnow
from services.routing import Routing, text


class Minutes(CallbackData, prefix="dmn"):
    month: str  # 2026-12


class MinutesFlow(StatesGroup):
    words = State()


def month_start(now: datetime, settings: Settings) -> datetime:
    local = as_utc(now).astimezone(settings.zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def agenda(
    message: Message,
    authorization: Authorization,
    deliberation_outcome: DeliberationOutcome,
    routing: Routing,
    settings: Settings,
) -> None:
    if not await may_open(message.chat.id, actor_of(message), authorization):
        await message.answer(_("Only the staff of a staff chat can build its meeting's agenda."))
        return
    start = month_start(utcnow(), settings)
    grids = grids_of_chat(routing, message.chat.id)
    lines = [_("📋 Agenda of the joint meeting, {month}").format(month=f"{start:%Y-%m}")]
    for item in await deliberation_outcome.agenda(grids, start):
        name = text(routing.grid(item.grid).name, chat_language()) if item.grid else ""
        lines.append(
            "\n"
            + _("{grid}: {open} open, {new} new this month").format(
                grid=name, open=item.open_count, new=item.new_this_month
            )
        )
        for ticket in item.oldest:
            waited = (utcnow() - as_utc(ticket.created_at)).days
            lines.append(
                _("· {number}, waiting {days} days: {text}").format(
                    number=ticket.number, days=waited, text=ticket.text[:80]
                )
            )
    button = InlineKeyboardButton(
        text=_("📝 Record the minutes"), callback_data=Minutes(month=f"{start:%Y-%m}").pack()
    )
    await message.answer(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]])
    )


async def ask_minutes(
    query: CallbackQuery, callback_data: Minutes, state: FSMContext, authorization: Authorization
) -> None:
    if not isinstance(query.message, Message):
        await query.answer()
        return
    actor = Actor(query.from_user.id, query.from_user.full_name)
    if not await may_open(query.message.chat.id, actor, authorization):
        await query.answer(_("Only this chat's staff can record the minutes."), show_alert=True)
        return
    await state.set_state(MinutesFlow.words)
    await state.update_data(dl_month=callback_data.month)
    await query.answer()
    await query.message.answer(
        _(
            "📝 {name}, write the minutes of the joint meeting in your next message: what was "
            "agreed, and who does what. They go onto the public board."
        ).format(name=actor.name)
    )


async def minutes_written(
    message: Message,
    state: FSMContext,
    authorization: Authorization,
    deliberation_outcome: DeliberationOutcome,
    routing: Routing,
    board: Board,
) -> None:
    month = str((await state.get_data()).get("dl_month") or "")
    await state.clear()
    actor = actor_of(message)
    if not await may_open(message.chat.id, actor, authorization):
        await message.answer(_("Only this chat's staff can record the minutes."))
        return
    title = _("Joint meeting, {month}").format(month=month)
    try:
        recorded = await deliberation_outcome.record_minutes(
            message.chat.id,
            actor.user_id,
            title,
            message.text or "",
            grids_of_chat(routing, message.chat.id),
        )
    except DeliberationError:
        await message.answer(_("Minutes are text of 1 to 2000 characters. Press the button again."))
        return
    board.forget()
    await message.answer(
        _("📝 The minutes are recorded as consultation {id}, and are on the public board.").format(
            id=recorded.id
        )
    )


def router() -> Router:
    router = Router(name="deliberation_agenda")
    router.message.register(agenda, GROUPS, Command("agenda"))
    router.callback_query.register(ask_minutes, Minutes.filter())
    router.message.register(minutes_written, GROUPS, StateFilter(MinutesFlow.words), TYPED)
    return router
