"""The main menu: a reply keyboard whose buttons work in every language."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, KeyboardButton, Message, ReplyKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _


def N_(message: str) -> str:
    """Mark a string for translation without translating it yet."""
    return message


@dataclass(frozen=True)
class MenuEntry:
    icon: str
    label: str  # gettext message id

    def text(self) -> str:
        return f"{self.icon} {_(self.label)}"

    def texts_in_every_locale(self, i18n: I18n) -> set[str]:
        return {
            f"{self.icon} {i18n.gettext(self.label, locale=locale)}"
            for locale in i18n.available_locales
        } | {f"{self.icon} {self.label}"}


REPORT = MenuEntry("📝", N_("Report a problem"))
REQUESTS = MenuEntry("📋", N_("My requests"))
CERTIFICATE = MenuEntry("🏨", N_("Accommodation certificate"))
RENTAL = MenuEntry("🏘", N_("Rental housing"))  # handlers/rental.py
MEDIATION = MenuEntry("⚖️", N_("Mediation"))
ASK_LAWYER = MenuEntry("👩‍⚖️", N_("Ask a lawyer"))  # handlers/lawyer_form.py
LANGUAGE = MenuEntry("🌐", N_("Language"))
HELP = MenuEntry("❓", N_("Help"))
CANCEL = MenuEntry("✖️", N_("Cancel"))


def keyboard(*rows: list[KeyboardButton]) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(keyboard=list(rows), resize_keyboard=True)


def cancel_only() -> ReplyKeyboardMarkup:
    """A form's step that waits for words: the only button stops the form."""
    return keyboard([KeyboardButton(text=CANCEL.text())])


def main_menu() -> ReplyKeyboardMarkup:
    rows = [
        [REPORT, REQUESTS],
        [CERTIFICATE, RENTAL],
        [MEDIATION, ASK_LAWYER],
        [LANGUAGE, HELP],
    ]
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=entry.text()) for entry in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=_("Choose an option below"),
    )


class MenuButton(Filter):
    """Matches a press of a menu button, whichever language its keyboard was drawn in."""

    def __init__(self, entry: MenuEntry) -> None:
        self.entry = entry
        self._texts: tuple[I18n, set[str]] | None = None  # the catalogs do not change
        _ENTRIES.add(entry)

    def texts(self, i18n: I18n) -> set[str]:
        if self._texts is None or self._texts[0] is not i18n:
            self._texts = (i18n, self.entry.texts_in_every_locale(i18n))
        return self._texts[1]

    async def __call__(self, message: Message, i18n: I18n) -> bool:
        return message.text in self.texts(i18n)


_ENTRIES: set[MenuEntry] = set()  # of every MenuButton filter made, for is_menu_text
_ALL_TEXTS: tuple[I18n, int, frozenset[str]] | None = None


def is_menu_text(text: str | None, i18n: I18n) -> bool:
    """Whether some MenuButton filter made so far would match this text (handlers.gates)."""
    global _ALL_TEXTS
    if _ALL_TEXTS is None or _ALL_TEXTS[0] is not i18n or _ALL_TEXTS[1] != len(_ENTRIES):
        texts = frozenset(t for entry in _ENTRIES for t in entry.texts_in_every_locale(i18n))
        _ALL_TEXTS = (i18n, len(_ENTRIES), texts)
    return text in _ALL_TEXTS[2]


async def take_press(query: CallbackQuery) -> Message | None:
    """Acknowledge an inline button and take its buttons away, so it is pressed once.

    Returns the message it was on (None when Telegram no longer shows it).
    """
    await query.answer()
    if not isinstance(query.message, Message):
        return None
    await drop_buttons(query.message)
    return query.message


async def drop_buttons(message: Message) -> None:
    """Take a message's inline buttons away; already gone is fine (a press delivered again)."""
    try:
        await message.edit_reply_markup(reply_markup=None)
    except TelegramBadRequest as error:
        if "not modified" not in error.message:
            raise
