"""Canned replies per staff chat: /templates to add, list and remove; "Reply with a template".

Only the chat's staff (asked of Authorization at the moment) change or use its templates; a
template is sent only on a ticket the person may answer, and only from the chat it belongs to.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from handlers.notices import TelegramTicketNotices
from handlers.staff_access import GROUPS, actor_of, scope_of_chat, staff_of, staff_press, ticket_id
from handlers.ticket_card import TicketAction
from services.authorization import Authorization
from services.staff_tools import ReplyTemplates, WorkerRoster, fill
from services.ticket_contract import WrongState
from services.tickets import TicketService


class UseTemplate(CallbackData, prefix="tp"):
    ticket_id: int
    template_id: int


def usage() -> str:
    return _(
        "Add one: /templates add Title: the words. {name} and {number} become the resident's "
        "name and the request's number.\nRemove one: /templates remove 3"
    )


async def manage_templates(
    message: Message,
    command: CommandObject,
    templates: ReplyTemplates,
    authorization: Authorization,
) -> None:
    if await scope_of_chat(message, authorization) is None:
        return
    chat = message.chat.id
    verb, _space, rest = (command.args or "").strip().partition(" ")
    if verb == "add":
        title, colon, body = rest.partition(":")
        if not colon or not title.strip() or not body.strip():
            await message.answer(usage())
            return
        try:
            template = await templates.add(chat, title, body, actor_of(message).user_id)
        except ValueError:
            await message.answer(
                _("A template's title is at most 64 characters and its words at most 2000.")
            )
            return
        await message.answer(
            _("Template #{id} “{title}” added.").format(id=template.id, title=template.title)
        )
        return
    if verb == "remove":
        number = rest.strip().lstrip("#")
        if not number.isdigit() or not await templates.remove(chat, int(number)):
            await message.answer(
                _("There is no template #{id} in this chat.").format(id=number or "?")
            )
            return
        await message.answer(_("Template #{id} removed.").format(id=number))
        return
    listed = await templates.of_chat(chat)
    if not listed:
        await message.answer(_("This chat has no templates yet.") + "\n" + usage())
        return
    lines = [f"#{template.id} · {template.title}: {template.body[:80]}" for template in listed]
    await message.answer(_("This chat's templates:") + "\n" + "\n".join(lines) + "\n\n" + usage())


async def offer_templates(
    query: CallbackQuery,
    callback_data: TicketAction,
    tickets: TicketService,
    authorization: Authorization,
    templates: ReplyTemplates,
    roster: WorkerRoster,
) -> None:
    pressed = await staff_press(
        query, callback_data.ticket_id, "template", tickets, authorization, roster
    )
    if pressed is None:
        return
    ticket, message = pressed
    listed = await templates.of_chat(message.chat.id)
    await query.answer()
    if not listed:
        await message.answer(_("This chat has no templates yet.") + "\n" + usage())
        return
    rows = [
        [
            InlineKeyboardButton(
                text="📋 " + template.title,
                callback_data=UseTemplate(
                    ticket_id=ticket_id(ticket), template_id=template.id or 0
                ).pack(),
            )
        ]
        for template in listed
    ]
    await message.answer(
        _("Which template goes to the resident of {number}?").format(number=ticket.number),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def send_template(
    query: CallbackQuery,
    callback_data: UseTemplate,
    tickets: TicketService,
    notices: TelegramTicketNotices,
    authorization: Authorization,
    templates: ReplyTemplates,
) -> None:
    pressed = await staff_press(query, callback_data.ticket_id, "template", tickets, authorization)
    if pressed is None:
        return
    ticket, message = pressed
    template = await templates.get(message.chat.id, callback_data.template_id)
    if template is None:
        await query.answer(_("That template is no longer in this chat."), show_alert=True)
        return
    words = fill(template.body, notices.reporter(ticket, notices.locale_of(ticket)), ticket.number)
    try:
        await tickets.reply_from_staff(ticket_id(ticket), staff_of(query), words)
    except WrongState:
        await query.answer(
            _("Request {number} is closed; the resident will not see this.").format(
                number=ticket.number
            ),
            show_alert=True,
        )
        return
    await query.answer()
    await message.edit_text(
        _("✉️ Sent to the resident of {number}.").format(number=ticket.number) + f"\n\n{words}"
    )


def router() -> Router:
    router = Router(name="templates")
    router.message.register(manage_templates, GROUPS, Command("templates"))
    router.callback_query.register(offer_templates, TicketAction.filter(F.action == "template"))
    router.callback_query.register(send_template, UseTemplate.filter())
    return router
