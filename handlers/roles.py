"""Roles: admins invite verifiers and front desks with single-use links; /whoami, /revoke_role.

Who holds which role is asked of services.authorization, the one model every action asks.
"""

from __future__ import annotations

import logging
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.gates import PRIVATE
from handlers.menu import N_, drop_buttons
from services.authorization import Authorization
from services.certificates import CHINA_TIME
from services.roles import (
    INVITATION_CODE,
    Grant,
    InvitationExpired,
    InvitationProblem,
    InvitationUsed,
    NewInvitation,
    Role,
    RoleService,
)
from services.routing import Routing, text

log = logging.getLogger(__name__)

VERIFIER_CHAT_STATUSES = frozenset(
    {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR}
)
ROLE_NAMES = {
    Role.ADMIN: N_("Administrator"),
    Role.VERIFIER: N_("Verifier"),
    Role.FRONTDESK: N_("Front desk"),
    Role.GRID_CONTACT: N_("Grid contact"),
    Role.SUPERVISOR: N_("Supervisor"),
}


class InviteHotel(CallbackData, prefix="invh"):
    hotel: str


class InviteGrid(CallbackData, prefix="invg"):
    grid: str


def hotel_name(routing: Routing, code: str | None, locale: str | None) -> str:
    """The hotel's name in the person's language; the code itself if the hotel is gone."""
    if not code:
        return ""
    try:
        return text(routing.hotel(code).name, locale)
    except KeyError:
        return code


def china_time(moment: datetime) -> str:
    """A moment as people in China read it: 2026-11-22 07:58."""
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def describe_grant(grant: Grant, routing: Routing, locale: str | None) -> str:
    if grant.role is Role.FRONTDESK:
        hotel = hotel_name(routing, grant.hotel_code, locale)
        return _("Front desk at {hotel}").format(hotel=hotel)
    if grant.role is Role.GRID_CONTACT:
        return _("Grid contact for {grid}").format(grid=grid_name(routing, grant.grid_code, locale))
    return _(ROLE_NAMES[grant.role])


def grid_name(routing: Routing, code: str | None, locale: str | None) -> str:
    """The grid's name in the person's language; the code itself if the grid is gone."""
    if not code:
        return ""
    try:
        return text(routing.grid(code).name, locale)
    except KeyError:
        return code


# --- inviting ---------------------------------------------------------------------------------


async def invite(
    message: Message,
    command: CommandObject,
    bot: Bot,
    roles: RoleService,
    routing: Routing,
    i18n: I18n,
) -> None:
    if message.from_user is None or not roles.is_admin(message.from_user.id):
        await message.answer(_("This command is for administrators only."))
        return
    wanted = (command.args or "").strip().lower()
    if wanted in (Role.VERIFIER, Role.SUPERVISOR):
        made = await roles.invite(Role(wanted), created_by=message.from_user.id)
        await message.answer(await _invitation_text(bot, made, routing, i18n))
    elif wanted == Role.FRONTDESK:
        if not routing.hotels:
            await message.answer(
                _("No hotels are registered in the routing file, so there is no front desk yet.")
            )
            return
        buttons = [
            [
                InlineKeyboardButton(
                    text=text(hotel.name, i18n.current_locale),
                    callback_data=InviteHotel(hotel=hotel.code).pack(),
                )
            ]
            for hotel in routing.hotels
        ]
        await message.answer(
            _("Which hotel is the front desk for?"),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
        )
    elif wanted == Role.GRID_CONTACT:
        buttons = [
            [
                InlineKeyboardButton(
                    text=text(grid.name, i18n.current_locale),
                    callback_data=InviteGrid(grid=grid.code).pack(),
                )
            ]
            for grid in routing.grids
        ]
        await message.answer(
            _("Which grid is the grid contact for?"),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
        )
    else:
        await message.answer(
            _(
                "Whom do you want to invite? Send /invite verifier, /invite frontdesk, "
                "/invite gridcontact or /invite supervisor."
            )
        )


async def invite_for_hotel(
    query: CallbackQuery,
    callback_data: InviteHotel,
    bot: Bot,
    roles: RoleService,
    routing: Routing,
    i18n: I18n,
) -> None:
    if not roles.is_admin(query.from_user.id):
        await query.answer(_("This button is for administrators only."), show_alert=True)
        return
    try:
        routing.hotel(callback_data.hotel)
    except KeyError:
        await query.answer(_("This hotel is no longer registered."), show_alert=True)
        return
    made = await roles.invite(
        Role.FRONTDESK, created_by=query.from_user.id, hotel_code=callback_data.hotel
    )
    await _hand_out(query, made, bot, routing, i18n)


async def invite_for_grid(
    query: CallbackQuery,
    callback_data: InviteGrid,
    bot: Bot,
    roles: RoleService,
    routing: Routing,
    i18n: I18n,
) -> None:
    if not roles.is_admin(query.from_user.id):
        await query.answer(_("This button is for administrators only."), show_alert=True)
        return
    try:
        routing.grid(callback_data.grid)
    except KeyError:
        await query.answer(_("This grid is no longer in the routing file."), show_alert=True)
        return
    made = await roles.invite(
        Role.GRID_CONTACT, created_by=query.from_user.id, grid_code=callback_data.grid
    )
    await _hand_out(query, made, bot, routing, i18n)


async def _hand_out(
    query: CallbackQuery, made: NewInvitation, bot: Bot, routing: Routing, i18n: I18n
) -> None:
    """The admin's choice is made: the buttons go, the link arrives in their private chat."""
    await query.answer()
    if isinstance(query.message, Message):
        await drop_buttons(query.message)
    await bot.send_message(query.from_user.id, await _invitation_text(bot, made, routing, i18n))


async def _invitation_text(bot: Bot, made: NewInvitation, routing: Routing, i18n: I18n) -> str:
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={made.code}"
    grant = Grant(made.role, made.hotel_code, made.grid_code)
    role = describe_grant(grant, routing, i18n.current_locale)
    return _(
        "Invitation: {role}\n{link}\n\n"
        "Send this link to the person. It works once, for whoever opens it first, "
        "until {until} (China time)."
    ).format(role=role, link=link, until=china_time(made.expires_at))


async def accept_invitation(
    message: Message, command: CommandObject, roles: RoleService, routing: Routing, i18n: I18n
) -> None:
    if message.from_user is None or not command.args:
        return
    try:
        grant = await roles.accept(command.args, message.from_user.id)
    except InvitationUsed:
        answer = _("This invitation has already been used. Ask an administrator for a new one.")
    except InvitationExpired:
        answer = _("This invitation has expired. Ask an administrator for a new one.")
    except InvitationProblem:
        answer = _(
            "I do not know this invitation. Check the link, or ask an administrator for a new one."
        )
    else:
        log.info("user %s accepted an invitation: %s", message.from_user.id, grant.role)
        if grant.role is Role.FRONTDESK:
            hotel = hotel_name(routing, grant.hotel_code, i18n.current_locale)
            answer = _(
                "Welcome! You are now at the front desk of {hotel}. Send me a photo of a "
                "certificate's QR code, or type its code, to check it and check the guest in."
            ).format(hotel=hotel)
        elif grant.role is Role.GRID_CONTACT:
            answer = _(
                "Welcome! You are now the grid contact for {grid}. Send /neighbour to report a "
                "problem for a neighbour who has no Telegram; you will hear how it goes, and "
                "/households lists what you filed."
            ).format(grid=grid_name(routing, grant.grid_code, i18n.current_locale))
        elif grant.role is Role.SUPERVISOR:
            answer = _(
                "Welcome! You are now a supervisor: send /dashboard to see every grid's figures, "
                "the map and the exports."
            )
        else:
            answer = _(
                "Welcome! You are now a verifier: you review applications for accommodation "
                "certificates, and you can revoke a certificate with /revoke."
            )
    await message.answer(answer)


# --- asking, taking back ----------------------------------------------------------------------


async def whoami(
    message: Message,
    roles: RoleService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    if message.from_user is None:
        return
    user_id = message.from_user.id
    grants = await roles.roles_of(user_id)
    if not any(grant.role is Role.VERIFIER for grant in grants) and await authorization.is_verifier(
        user_id
    ):
        grants.append(Grant(Role.VERIFIER))
    lines = [describe_grant(grant, routing, i18n.current_locale) for grant in grants]
    await message.answer(
        _("Your Telegram id: {id}").format(id=user_id)
        + "\n"
        + ("\n".join(f"• {line}" for line in lines) if lines else _("No special role"))
    )


async def revoke_role(message: Message, command: CommandObject, roles: RoleService) -> None:
    if message.from_user is None or not roles.is_admin(message.from_user.id):
        await message.answer(_("This command is for administrators only."))
        return
    parts = (command.args or "").split()
    usage = _(
        "Send /revoke_role <user id> <role>, where the role is verifier, frontdesk, gridcontact "
        "or supervisor."
    )
    if len(parts) != 2 or not parts[0].isdigit():
        await message.answer(usage)
        return
    user_id, wanted = int(parts[0]), parts[1].lower()
    if wanted == Role.ADMIN:
        await message.answer(_("Administrators are set in ADMIN_IDS; change that setting."))
        return
    if wanted not in (Role.VERIFIER, Role.FRONTDESK, Role.GRID_CONTACT, Role.SUPERVISOR):
        await message.answer(usage)
        return
    role = Role(wanted)
    name = _(ROLE_NAMES[role])
    if await roles.revoke(user_id, role):
        log.info("admin %s took %s from user %s", message.from_user.id, role, user_id)
        answer = _("Done: user {user} no longer has the role “{role}”.")
    else:
        answer = _("User {user} does not have the role “{role}”.")
    await message.answer(answer.format(user=user_id, role=name))


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher.

    Comes before the common router: `/start <invitation code>` is caught here, a plain /start
    (or another payload) goes on to the greeting.
    """
    router = Router(name="roles")
    router.message.filter(PRIVATE)
    router.message.register(
        accept_invitation,
        CommandStart(deep_link=True, magic=F.args.regexp(INVITATION_CODE.pattern)),
    )
    router.message.register(invite, Command("invite"))
    router.callback_query.register(invite_for_hotel, InviteHotel.filter())
    router.callback_query.register(invite_for_grid, InviteGrid.filter())
    router.message.register(revoke_role, Command("revoke_role"))
    router.message.register(whoami, Command("whoami"))
    return router
