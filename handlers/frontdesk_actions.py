"""A front desk's actions in the bot: Check in, Check out, Undo (with a reason), /today.

Each press or command asks Authorization who keeps which front desk at that moment.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Message,
    WebAppInfo,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.desk_words import actions, standing_of
from handlers.gates import PRIVATE
from handlers.menu import drop_buttons
from handlers.roles import china_time, hotel_name
from handlers.verification import STATUS_WORDS
from services.authorization import Actor, Authorization
from services.certificates import CertificateNotFound
from services.checkins import CheckInRefused, CheckInService, NotCheckedIn, WrongHotel
from services.routing import Routing

log = logging.getLogger(__name__)


class CheckInButton(CallbackData, prefix="ci"):
    serial: str


class DeskButton(CallbackData, prefix="dk"):
    action: str  # checkout, undo
    serial: str


class UndoReason(StatesGroup):
    writing = State()


def desk_buttons(serial: str, allowed: list[str]) -> InlineKeyboardMarkup | None:
    labels = {
        "checkin": _("✅ Check in"),
        "checkout": _("Check out"),
        "undo": _("Undo the check-in"),
    }
    row = [
        InlineKeyboardButton(
            text=labels[action],
            callback_data=(
                CheckInButton(serial=serial)
                if action == "checkin"
                else DeskButton(action=action, serial=serial)
            ).pack(),
        )
        for action in allowed
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row]) if row else None


async def desk_now(
    query: CallbackQuery | Message, authorization: Authorization, what: str
) -> str | None:
    """The hotel of the person acting, asked now; None (and they are told) if not a desk."""
    user = query.from_user
    assert user is not None
    desk = await authorization.frontdesk_hotel(user.id)
    if desk is None:
        authorization.refused(
            Actor(user.id, user.full_name), what, "front desk", "not a front desk"
        )
        refusal = _("This button is for the hotel's front desk only.")
        if isinstance(query, CallbackQuery):
            await query.answer(refusal, show_alert=True)
        else:
            await query.answer(refusal)
    return desk


async def check_in(
    query: CallbackQuery,
    callback_data: CheckInButton,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    locale = i18n.current_locale
    desk = await desk_now(query, authorization, f"check in {callback_data.serial}")
    if desk is None:
        return
    try:
        outcome = await checkins.check_in(
            callback_data.serial, hotel_code=desk, user_id=query.from_user.id
        )
    except CertificateNotFound:
        await query.answer(_("This certificate no longer exists."), show_alert=True)
        return
    except WrongHotel as wrong:
        text = _("Not checked in: this certificate is for {hotel}, not your hotel.")
        await query.answer(
            text.format(hotel=hotel_name(routing, wrong.hotel_code, locale)), show_alert=True
        )
        return
    except CheckInRefused as refused:
        text = _("Not checked in: the certificate is no longer valid ({status}).")
        await query.answer(text.format(status=_(STATUS_WORDS[refused.status])), show_alert=True)
        return
    record = outcome.check_in
    where = hotel_name(routing, record.hotel_code, locale)
    when = china_time(record.at)
    if not outcome.newly:
        text = _("{serial} was already checked in at {hotel} on {time} (China time).")
        await query.answer(
            text.format(serial=record.serial, hotel=where, time=when), show_alert=True
        )
        return
    log.info("certificate %s checked in at %s", record.serial, record.hotel_code)
    await query.answer()
    if isinstance(query.message, Message):
        await drop_buttons(query.message)
        await query.message.answer(
            _("✅ {serial} is checked in at {hotel} on {time} (China time).").format(
                serial=record.serial, hotel=where, time=when
            ),
            reply_markup=desk_buttons(record.serial, actions(record, desk, may_check_in=False)),
        )


async def desk_action(
    query: CallbackQuery,
    callback_data: DeskButton,
    state: FSMContext,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    serial = callback_data.serial
    desk = await desk_now(query, authorization, f"{callback_data.action} {serial}")
    if desk is None or not isinstance(query.message, Message):
        return
    if callback_data.action == "undo":
        await query.answer()
        await state.set_state(UndoReason.writing)
        await state.update_data(serial=serial)
        await query.message.answer(
            _("Why is the check-in of {serial} wrong? Write the reason.").format(serial=serial)
        )
        return
    try:
        record = await checkins.check_out(serial, hotel_code=desk, user_id=query.from_user.id)
    except NotCheckedIn as missing:
        await query.answer(not_checked_in(missing, routing, i18n.current_locale), show_alert=True)
        return
    await query.answer()
    await drop_buttons(query.message)
    text = f"{record.serial}: {standing_of(record, routing, i18n.current_locale, _)}"
    await query.message.answer(
        text, reply_markup=desk_buttons(record.serial, actions(record, desk, may_check_in=False))
    )


def not_checked_in(missing: NotCheckedIn, routing: Routing, locale: str) -> str:
    text = _("{serial} has no open check-in at your hotel.").format(serial=missing.serial)
    if missing.standing is not None:
        text += " " + standing_of(missing.standing, routing, locale, _)
    return text


async def undo_with_reason(
    message: Message,
    state: FSMContext,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    serial = str((await state.get_data()).get("serial", ""))
    await state.clear()
    desk = await desk_now(message, authorization, f"undo {serial}")
    reason = (message.text or "").strip()
    if desk is None or message.from_user is None:
        return
    try:
        await checkins.undo(serial, hotel_code=desk, user_id=message.from_user.id, reason=reason)
    except NotCheckedIn as missing:
        await message.answer(not_checked_in(missing, routing, i18n.current_locale))
        return
    log.info("check-in of %s undone at %s", serial, desk)
    await message.answer(
        _("The check-in of {serial} is undone; the reason is on record.").format(serial=serial)
    )


def console_button(miniapp_url: str | None) -> InlineKeyboardMarkup | None:
    """The web_app button opening the desk's console (handlers.miniapp_desk), over HTTPS only."""
    if not miniapp_url:
        return None
    button = InlineKeyboardButton(
        text="🖥 " + _("Front desk console"), web_app=WebAppInfo(url=f"{miniapp_url}/app/desk")
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


async def today(
    message: Message,
    bot: Bot,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
    miniapp_url: str | None = None,
) -> None:
    desk = await desk_now(message, authorization, "/today")
    if desk is None:
        return
    if miniapp_url:  # the chat's menu button opens the console from now on
        await bot.set_chat_menu_button(
            chat_id=message.chat.id,
            menu_button=MenuButtonWebApp(
                text=_("Front desk"), web_app=WebAppInfo(url=f"{miniapp_url}/app/desk")
            ),
        )
    locale = i18n.current_locale
    arrivals = await checkins.arrivals(desk)
    hotel = hotel_name(routing, desk, locale)
    if not arrivals:
        await message.answer(
            _("Nobody is due to arrive today.") + f" ({hotel})",
            reply_markup=console_button(miniapp_url),
        )
        return
    lines = [_("Arriving today") + f" · {hotel}"]
    for arrival in arrivals:
        state = _("not checked in")
        if arrival.check_in is not None:
            state = standing_of(arrival.check_in, routing, locale, _)
        lines.append(f"• {arrival.serial} · {arrival.holder_masked} · {state}")
    await message.answer("\n".join(lines), reply_markup=console_button(miniapp_url))


def router() -> Router:
    """A new Router for every Dispatcher."""
    router = Router(name="frontdesk-actions")
    router.callback_query.register(check_in, CheckInButton.filter())
    router.callback_query.register(desk_action, DeskButton.filter())
    private = PRIVATE
    router.message.register(today, private, Command("today"))
    router.message.register(undo_with_reason, private, StateFilter(UndoReason.writing), F.text)
    return router
