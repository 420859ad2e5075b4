"""Staff turn a request in a dispute category into mediation ("Refer to mediation" on the
card): the resident is asked, and a press starts the mediation form for that request."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.mediation_form import begin
from handlers.mediation_notices import TelegramMediationNotices
from handlers.menu import take_press
from handlers.ticket_card import TicketAction, markup
from services.authorization import Actor, Authorization
from services.outbox import Outbox, Outgoing, Priority
from services.ticket_contract import TicketNotFound
from services.tickets import TicketService


class FromTicket(CallbackData, prefix="mticket"):
    ticket_id: int


async def refer(
    query: CallbackQuery,
    callback_data: TicketAction,
    tickets: TicketService,
    authorization: Authorization,
    outbox: Outbox,
    i18n: I18n,
) -> None:
    try:
        ticket = await tickets.get(callback_data.ticket_id)
    except TicketNotFound:
        await query.answer(_("This request no longer exists."), show_alert=True)
        return
    actor = Actor(query.from_user.id, query.from_user.full_name)
    chat = query.message.chat.id if query.message else None
    if not await authorization.may_work_on(ticket, actor, "refer to mediation", chat):
        await query.answer(_("Only the staff of this request can do that."), show_alert=True)
        return
    await query.answer(_("The resident is asked whether they want mediation."))
    locale = ticket.resident_locale
    button = InlineKeyboardButton(
        text="⚖️ " + i18n.gettext("Start mediation", locale=locale),
        callback_data=FromTicket(ticket_id=ticket.id or 0).pack(),
    )
    words = i18n.gettext(
        "⚖️ The team suggests mediation for your request {number}: a mediator helps both "
        "sides agree, before any court, free of charge. Press the button to fill in a short form.",
        locale=locale,
    ).format(number=ticket.number)
    await outbox.send(
        Outgoing(
            ticket.resident_id,
            "sendMessage",
            {"text": words, "reply_markup": markup([[button]])},
            Priority.URGENT,
            f"ticket:{ticket.id}",
        )
    )


async def start_from_ticket(
    query: CallbackQuery,
    callback_data: FromTicket,
    state: FSMContext,
    tickets: TicketService,
    mediation_notices: TelegramMediationNotices,
    i18n: I18n,
) -> None:
    message = await take_press(query)
    if message is None:
        return
    ticket = await tickets.get(callback_data.ticket_id)
    if ticket.resident_id != query.from_user.id:
        return
    await begin(
        message,
        state,
        mediation_notices,
        i18n.current_locale,
        {"ticket_id": ticket.id, "grid": ticket.grid},
    )


def router() -> Router:
    router = Router(name="mediation-referral")
    router.callback_query.register(refer, TicketAction.filter(F.action == "mediate"))
    router.callback_query.register(start_from_ticket, FromTicket.filter())
    return router
