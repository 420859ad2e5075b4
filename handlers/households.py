"""Household contacts: `/households` for a grid contact, `/contacts` in a grid's staff chat.

A grid contact records the families they look after (`/households add NAME [PHONE]`, encrypted
by services/households.py) beside the requests they filed for neighbours. A grid's staff chat
lists the grid's contacts and the grids nobody covers, and invites a contact for a grid with a
button; every press is asked of services/authorization.py, whichever chat it came from.
"""

from __future__ import annotations

import logging
import re

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.gates import GROUPS, PRIVATE
from handlers.neighbours import PHONE, contact_grid
from handlers.notices import TelegramTicketNotices
from handlers.roles import _invitation_text
from handlers.staff_access import actor_of
from handlers.statuses import status_label
from services.authorization import Actor, Authorization
from services.households import HOUSEHOLDS_ADVISED, Households, grids_of_chat
from services.roles import Role, RoleService
from services.routing import Routing, text
from services.tickets import TicketService

log = logging.getLogger(__name__)
SHOWN = 30  # grids listed (with contacts, and without); the rest are counted
TEXT_BUDGET = 2400  # characters of contacts listed, so the whole fits one message
INVITE_BUTTONS = 10


class ContactInvite(CallbackData, prefix="gci"):
    grid: str


# --- the grid contact ---------------------------------------------------------------------------


async def households(
    message: Message,
    command: CommandObject,
    authorization: Authorization,
    households: Households,
    tickets: TicketService,
    notices: TelegramTicketNotices,
) -> None:
    user = message.from_user
    if user is None or (grid := await contact_grid(message, authorization)) is None:
        return
    words = (command.args or "").strip()
    verb, _space, rest = words.partition(" ")
    if verb.lower() == "add":
        await _add(message, households, user.id, grid, rest.strip())
    elif verb.lower() == "remove":
        number = rest.strip()
        removed = number.isdigit() and await households.remove(user.id, int(number))
        await message.answer(
            _("Household {number} removed.").format(number=number)
            if removed
            else _(
                "There is no household {number} in your list. Send /households to see it."
            ).format(number=number or "?")
        )
    else:
        await _list(message, households, tickets, notices, user.id)


async def _add(
    message: Message, households: Households, contact_id: int, grid: str, words: str
) -> None:
    label, phone = words, None
    *head, last = words.split() or [""]
    if head and PHONE.match(last):
        label, phone = " ".join(head), last
    label = re.sub(r"\s+", " ", label).strip(" ,;")
    if not label or len(label) > 100:
        await message.answer(
            _(
                "Write who lives there after /households add, and a phone if you like, e.g. "
                "/households add Grandma Li, building 3 room 101 13812345678 (up to 100 "
                "characters)."
            )
        )
        return
    count = await households.add(contact_id, grid, label, phone)
    answer = _("Recorded: {label}. You look after {count} households.").format(
        label=label, count=count
    )
    if count > HOUSEHOLDS_ADVISED:
        answer += "\n" + _too_many(count)
    await message.answer(answer)


def _too_many(count: int) -> str:
    return _(
        "That is more than {advised} households, more than one contact can keep in touch "
        "with: ask your grid's staff to invite another grid contact."
    ).format(advised=HOUSEHOLDS_ADVISED, count=count)


async def _list(
    message: Message,
    households: Households,
    tickets: TicketService,
    notices: TelegramTicketNotices,
    contact_id: int,
) -> None:
    entries = await households.of(contact_id)
    parts = []
    if entries:
        lines = [
            f"{number}. {entry.label}" + (f" · {entry.phone}" if entry.phone else "")
            for number, entry in enumerate(entries, 1)
        ]
        part = _("Households you look after ({count}):").format(count=len(entries))
        part += "\n" + "\n".join(lines)
        if len(entries) > HOUSEHOLDS_ADVISED:
            part += "\n" + _too_many(len(entries))
        parts.append(part)
    else:
        parts.append(
            _(
                "You have not recorded a household yet. Send /households add and who lives "
                "there, e.g. /households add Grandma Li, building 3 room 101 13812345678."
            )
        )
    filed = await tickets.filed_for_neighbours(contact_id)
    if not filed:
        parts.append(_("You have not reported for a neighbour yet. Send /neighbour."))
    else:
        lines = []
        for ticket in filed:
            neighbour = notices.neighbour(ticket)
            name = neighbour[0] if neighbour else _("(details removed)")
            lines.append(
                _("{number} · for {name} · {status} · {when}").format(
                    number=ticket.number,
                    name=name,
                    status=status_label(ticket.status),
                    when=notices.when(ticket.updated_at),
                )
                + f"\n“{ticket.text[:80]}”"
            )
        parts.append(_("What you reported for neighbours:") + "\n\n" + "\n\n".join(lines))
    await message.answer("\n\n".join(parts))


# --- the grid's staff chat ----------------------------------------------------------------------


async def contacts(
    message: Message,
    bot: Bot,
    authorization: Authorization,
    households: Households,
    routing: Routing,
    i18n: I18n,
) -> None:
    if message.from_user is None:
        return
    actor = actor_of(message)
    grids = grids_of_chat(routing, message.chat.id)
    staff = authorization.is_admin(actor.user_id) or (
        grids and await authorization.staff_scope(message.chat.id, actor) is not None
    )
    if not grids or not staff:
        if not grids:
            await message.answer(_("This chat looks after no grid, so it has no grid contacts."))
        else:
            authorization.refused(actor, "/contacts", f"chat {message.chat.id}", "not staff")
            await message.answer(_("Only the staff of this chat can see its grid contacts."))
        return
    locale = i18n.current_locale
    found = await households.contacts(grid.code for grid in grids)
    by_grid = {grid.code: [c for c in found if c.grid_code == grid.code] for grid in grids}
    covered = [grid for grid in grids if by_grid[grid.code]]
    blocks, length = [], 0
    for shown, grid in enumerate(covered):
        if shown == SHOWN or length > TEXT_BUDGET:  # a Telegram message holds 4,096 characters
            blocks.append(_("… and {count} more.").format(count=len(covered) - shown))
            break
        lines = [
            _(
                "• {name} · since {since} · households: {households} · requests filed: {filed}"
            ).format(
                name=await _name(bot, contact.user_id),
                since=f"{contact.since:%Y-%m-%d}",
                households=contact.households,
                filed=contact.filed,
            )
            for contact in by_grid[grid.code]
        ]
        blocks.append(f"{text(grid.name, locale)} ({grid.code})\n" + "\n".join(lines))
        length += len(blocks[-1])
    uncovered = [grid for grid in grids if not by_grid[grid.code]]
    heading = _("Grid contacts: {contacts} for {covered} of {grids} grids.").format(
        contacts=len(found), covered=len(covered), grids=len(grids)
    )
    answer = heading + ("\n\n" + "\n\n".join(blocks) if blocks else "")
    if uncovered:
        names = [f"{g.code} · {text(g.name, locale)}" for g in uncovered[:SHOWN]]
        if len(uncovered) > SHOWN:
            names.append(_("… and {count} more.").format(count=len(uncovered) - SHOWN))
        answer += "\n\n" + _("Grids with no contact ({count}):").format(count=len(uncovered))
        answer += "\n" + "\n".join(names)
    buttons = [
        [
            InlineKeyboardButton(
                text=_("➕ Invite a grid contact: {grid}").format(grid=text(grid.name, locale)),
                callback_data=ContactInvite(grid=grid.code).pack(),
            )
        ]
        for grid in (uncovered + covered)[:INVITE_BUTTONS]
    ]
    await message.answer(answer, reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons))


async def _name(bot: Bot, user_id: int) -> str:
    """The contact's name as Telegram has it now (nothing of it is stored)."""
    try:
        chat = await bot.get_chat(user_id)
    except TelegramAPIError:
        return _("(id {id})").format(id=user_id)
    return " ".join(part for part in (chat.first_name, chat.last_name) if part) or str(user_id)


async def invite_contact(
    query: CallbackQuery,
    callback_data: ContactInvite,
    bot: Bot,
    authorization: Authorization,
    roles: RoleService,
    routing: Routing,
    i18n: I18n,
) -> None:
    """An invitation for THIS grid, to the presser's private chat; asked of authorization."""
    actor = Actor(query.from_user.id, query.from_user.full_name)
    if not await authorization.may_serve_grid(actor, callback_data.grid, "invite grid contact"):
        await query.answer(
            _("Only the grid's staff can invite its grid contacts."), show_alert=True
        )
        return
    made = await roles.invite(
        Role.GRID_CONTACT, created_by=actor.user_id, grid_code=callback_data.grid
    )
    try:
        await bot.send_message(actor.user_id, await _invitation_text(bot, made, routing, i18n))
    except TelegramAPIError as error:
        log.info("could not hand an invitation to %s: %s", actor.user_id, error)
        await query.answer(
            _("Open a private chat with me first (press Start there), then press again."),
            show_alert=True,
        )
        return
    await query.answer(_("The invitation is in your private chat with me."))


def router() -> Router:
    router = Router(name="households")
    router.message.register(households, StateFilter(None), Command("households"), PRIVATE)
    router.message.register(contacts, Command("contacts"), GROUPS)
    router.callback_query.register(invite_contact, ContactInvite.filter())
    return router
