"""What everyone meets: /start, the menu, /help, /language and /cancel."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.menu import CANCEL, HELP, LANGUAGE, N_, MenuButton, drop_buttons, main_menu
from handlers.roles import hotel_name
from services.people import LOCALES, PeopleService
from services.roles import RoleService
from services.routing import Routing

LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
COMMANDS = [
    ("report", N_("Report a problem in your neighbourhood")),
    ("requests", N_("My requests and their progress")),
    ("certificate", N_("Accommodation certificate without an ID card")),
    ("rental", N_("Rental houses: register one, or register as a tenant")),
    ("volunteer", N_("Volunteer for your neighbours, and see your hours")),
    ("lawyer", N_("Ask the lawyers on duty a legal question, free of charge")),
    ("language", N_("Choose English or Chinese")),
    ("help", N_("What this bot does")),
    ("cancel", N_("Stop what you are doing")),
]

STAFF_COMMANDS = [
    ("open", N_("Open requests of this team, oldest first")),
    ("ticket", N_("One request with its full history: /ticket 2026-000123")),
    ("stats", N_("This week's and this month's figures")),
    ("find", N_("Find requests by number, words or place: /find east gate")),
    ("mine", N_("The open requests assigned to you")),
    ("templates", N_("This chat's canned replies: list, add, remove")),
    ("ban", N_("Stop a resident opening requests: /ban 2026-000123 reason")),
    ("unban", N_("Let a banned resident open requests again: /unban 2026-000123")),
    ("inspect", N_("Inspect a rental house: /inspect R7K2M")),
    ("houses", N_("This grid's rental houses by risk colour")),
    ("task", N_("Ask the volunteers for help: what, when, how many")),
    ("contacts", N_("This grid's contacts and the households they look after")),
    ("consult", N_("Ask residents a question with options and a deadline")),
    ("decide", N_("Publish a consultation's decision: /decide 12")),
    ("agenda", N_("This month's open issues by grid, for the joint meeting")),
]

LAWYER_COMMANDS = [  # the lawyers' chat only (a chat scope: it replaces the staff list there)
    ("duty", N_("Who is on duty today; /duty on or /duty off for yourself")),
    ("hours", N_("Your service hours this month; /hours add 30 records minutes")),
]


class LanguageChoice(CallbackData, prefix="lang"):
    locale: str


def command_menu(
    i18n: I18n, locale: str, staff: bool = False, lawyers: bool = False
) -> list[BotCommand]:
    """Telegram's command menu in one language: residents' in private chats, staff's in groups,
    the lawyers' in the legal service point's chat."""
    chosen = LAWYER_COMMANDS if lawyers else STAFF_COMMANDS if staff else COMMANDS
    return [
        BotCommand(command=name, description=i18n.gettext(description, locale=locale))
        for name, description in chosen
    ]


async def start(
    message: Message, state: FSMContext, roles: RoleService, routing: Routing, i18n: I18n
) -> None:
    await state.clear()
    assert message.from_user is not None
    greeting = _(
        "Hello, {name}! I am Linkage, your community's service desk in Telegram.\n\n"
        "Here you can report a problem in your neighbourhood and follow it until it is "
        "fixed, or apply for an accommodation certificate if you travel without your ID "
        "card.\n\nChoose an option below."
    ).format(name=message.from_user.first_name)
    if hotel := await roles.frontdesk_hotel(message.from_user.id):
        greeting += "\n\n🏨 " + _(
            "You are at the front desk of {hotel}: send me a photo of a certificate's QR code, "
            "or type its code, to check a guest's certificate."
        ).format(hotel=hotel_name(routing, hotel, i18n.current_locale))
    await message.answer(greeting, reply_markup=main_menu())


async def show_help(message: Message) -> None:
    await message.answer(
        _(
            "Linkage connects you with the people who look after your community.\n\n"
            "/report: report a problem (a blocked drain, noise at night, rubbish…)\n"
            "/requests: see your requests and what has been done\n"
            "/certificate: apply for an accommodation certificate without your ID card\n"
            "/rental: register a rental house, or register as its tenant\n"
            "/mediation: settle a dispute with a mediator, before court\n"
            "/lawyer: ask a lawyer on duty, free of charge\n"
            "/volunteer: help your neighbours as a volunteer\n"
            "/language: choose English or 中文\n"
            "/cancel: stop what you are doing; nothing half-finished is sent\n"
            "/help: this message"
        ),
        reply_markup=main_menu(),
    )


async def ask_language(message: Message) -> None:
    buttons = [
        InlineKeyboardButton(
            text=LANGUAGE_NAMES[locale], callback_data=LanguageChoice(locale=locale).pack()
        )
        for locale in LOCALES
    ]
    await message.answer(
        _("Which language should I use?"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons]),
    )


async def choose_language(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    people: PeopleService,
    i18n: I18n,
    bot: Bot,
) -> None:
    await people.choose_locale(query.from_user.id, callback_data.locale)
    i18n.current_locale = callback_data.locale
    await bot.set_my_commands(
        command_menu(i18n, callback_data.locale),
        scope=BotCommandScopeChat(chat_id=query.from_user.id),
    )
    await query.answer()
    if isinstance(query.message, Message):
        await drop_buttons(query.message)
    await bot.send_message(
        query.from_user.id,
        _("I will speak English with you from now on."),
        reply_markup=main_menu(),
    )


async def cancel(message: Message, state: FSMContext) -> None:
    if await state.get_state() is None:
        text = _("There is nothing to cancel. Choose an option below.")
    else:
        text = _("Cancelled. Nothing you started was sent. Choose an option below.")
    await state.clear()
    await message.answer(text, reply_markup=main_menu())


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher."""
    router = Router(name="common")
    router.message.register(start, CommandStart())
    router.message.register(show_help, Command("help"))
    router.message.register(show_help, MenuButton(HELP))
    router.message.register(ask_language, Command("language"))
    router.message.register(ask_language, MenuButton(LANGUAGE))
    router.callback_query.register(choose_language, LanguageChoice.filter(F.locale.in_(LOCALES)))
    router.message.register(cancel, Command("cancel"))
    router.message.register(cancel, MenuButton(CANCEL))
    return router
