"""The answers about who a person is, as the tourist's application (handlers.application_form)
and the tenant's registration (handlers.rental_tenant) both take them: a full name, a document
and its number (checked by services/identity.py), a phone number and a date.

Each `typed_…` answers the person itself when the answer cannot be right and returns None, so a
form's step only stores what it gets and goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from handlers.application_notices import DOCUMENT_NAMES
from handlers.menu import N_, MenuEntry
from services.certificates import china_today
from services.identity import InvalidDocument, Reason, validate_document

TODAY = MenuEntry("📅", N_("Today"))
SHARE_PHONE = MenuEntry("📱", N_("Share my phone number"))
DOCUMENT_PROBLEMS = {
    Reason.EMPTY: N_("The number is empty."),
    Reason.WRONG_LENGTH: N_("A resident ID number has 18 characters."),
    Reason.BAD_CHARACTERS: N_("Only digits and letters can be in this number."),
    Reason.BAD_REGION: N_("The first 6 digits are not a region code of China."),
    Reason.BAD_BIRTH_DATE: N_("Digits 7 to 14 are not a real date of birth."),
    Reason.BIRTH_DATE_IN_FUTURE: N_("The date of birth in the number is in the future."),
    Reason.BAD_CHECK_CHARACTER: N_(
        "The last character does not match the others: one of them is probably mistyped."
    ),
    Reason.NO_DIGITS: N_("A passport number has digits in it."),
    Reason.BAD_FORMAT: N_("This does not look like a number of that kind of document."),
}
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")


def parse_date(raw: str) -> date | None:
    digits = re.sub(r"\D", " ", raw).split()
    if len(digits) == 1 and len(digits[0]) == 8:
        digits = [digits[0][:4], digits[0][4:6], digits[0][6:]]
    if len(digits) != 3:
        return None
    try:
        return date(int(digits[0]), int(digits[1]), int(digits[2]))
    except ValueError:
        return None


async def typed_name(message: Message) -> str | None:
    """The full name typed, its spaces folded; None (and the reason said) if it is no name."""
    name = " ".join((message.text or "").split())
    if not 2 <= len(name) <= 64 or any(ch.isdigit() for ch in name):
        await message.answer(
            _("Please type your full name in letters (2 to 64 characters), as on your document.")
        )
        return None
    return name


async def ask_document_type(message: Message, choice: Callable[[str], str]) -> None:
    """One button per kind of document; `choice(kind)` is the packed callback data of each."""
    await message.answer(
        _("Which document do you have the number of?"),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=_(name), callback_data=choice(kind))]
                for kind, name in DOCUMENT_NAMES.items()
            ]
        ),
    )


async def typed_document_number(message: Message, document_type: str) -> str | None:
    """The number, as services/identity.py normalises it; None (and the problem said) if it
    cannot be a number of that kind of document."""
    try:
        document = validate_document(document_type, message.text or "", today=china_today())
    except InvalidDocument as wrong:
        await message.answer(
            _("That number cannot be right: {problem} Please check it and type it again.").format(
                problem=_(DOCUMENT_PROBLEMS[wrong.reason])
            )
        )
        return None
    return document.number


def given_phone(message: Message) -> str | None:
    """The phone number shared (a contact) or typed, if it looks like one."""
    phone = message.contact.phone_number if message.contact else (message.text or "").strip()
    return phone if PHONE.match(phone) else None
