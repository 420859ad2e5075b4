"""What changes to a rental house say, in each reader's language, and the words for colours
and findings that the rental handlers show too.

The landlord reads their own language; a grid's or community's chat reads its chat language
(the routing file's `chat_locales`, else STAFF_LOCALE). Every notification that names the
address or a tenant is sealed (services/outbox.py): encrypted until the sender opens it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from handlers.menu import N_
from handlers.statuses import CHINA_STANDARD_TIME
from services.models import RentalHouse, RentalTenant, as_utc
from services.outbox import Outgoing, Priority
from services.privacy import FieldCipher
from services.rental_routing import RentalRules
from services.routing import Routing, text

COLOUR_ICONS = {"red": "🟥", "yellow": "🟨", "green": "🟩"}
COLOUR_NAMES = {"red": N_("red"), "yellow": N_("yellow"), "green": N_("green")}


class InspectHouse(CallbackData, prefix="rin"):
    """ "Inspect now" under a due reminder: starts an inspection in the chat it is pressed in."""

    house_id: int


def day(moment: datetime, zone: tzinfo = CHINA_STANDARD_TIME) -> str:
    return as_utc(moment).astimezone(zone).date().isoformat()


def colour_label(colour: str, gettext: Callable[[str], str]) -> str:
    return f"{COLOUR_ICONS.get(colour, '⬜')} {gettext(COLOUR_NAMES.get(colour, colour))}"


def reason_lines(
    reasons: list[dict[str, Any]],
    rules: RentalRules,
    gettext: Callable[[str], str],
    locale: str,
    zone: tzinfo = CHINA_STANDARD_TIME,
) -> list[str]:
    """Each finding behind a colour as a sentence, worst first."""

    def items(codes: list[str]) -> str:
        names = [text(item.name, locale) if (item := rules.item(c)) else c for c in codes]
        return ("、" if locale.startswith("zh") else ", ").join(names)

    lines = []
    for reason in reasons:
        code = reason["code"]
        if code == "critical_failed":
            line = gettext("Critical item failed: {items}").format(items=items(reason["items"]))
        elif code == "item_failed":
            line = gettext("Item failed: {items}").format(items=items(reason["items"]))
        elif code == "overcrowded":
            line = gettext("Overcrowded: {tenants} tenants for {beds} beds").format(
                tenants=reason["tenants"], beds=reason["beds"]
            )
        elif code == "overdue":
            due = day(datetime.fromisoformat(reason["due"]), zone)
            line = gettext("Inspection overdue since {date}").format(date=due)
        else:
            line = code
        lines.append(line)
    return lines


class TelegramRentalNotices:
    """Implements services.rental.RentalNotices for Telegram."""

    def __init__(
        self,
        i18n: I18n,
        routing: Routing,
        staff_locale: str,
        cipher: FieldCipher,
        zone: tzinfo = CHINA_STANDARD_TIME,
    ) -> None:
        self.i18n = i18n
        self.routing = routing  # replaced when the routing changes
        self.staff_locale = staff_locale
        self.cipher = cipher
        self.zone = zone

    def _(self, message: str, locale: str) -> str:
        return self.i18n.gettext(message, locale=locale)

    def chat_locale(self, chat_id: int) -> str:
        return self.routing.chat_locales.get(chat_id, self.staff_locale)

    def grid_chats(self, house: RentalHouse) -> list[int]:
        """The grid's chat (or, while it has none, the first chat above it), its community's."""
        try:
            grid = self.routing.grid(house.grid)
        except KeyError:
            return []
        chain = self.routing.escalation_chain(grid)
        community = self.routing.community_of(grid).chat_id
        chats = chain[:1] + ([community] if community is not None else [])
        return list(dict.fromkeys(chats))

    def grid_name(self, house: RentalHouse, locale: str) -> str:
        try:
            return text(self.routing.grid(house.grid).name, locale)
        except KeyError:
            return house.grid

    def reasons(self, house: RentalHouse, locale: str) -> list[str]:
        return reason_lines(
            house.reasons,
            self.routing.rental,
            lambda message: self._(message, locale),
            locale,
            self.zone,
        )

    def _sealed(self, chat_id: int, words: str, **extra: Any) -> Outgoing:
        params = {"text": words, **extra}
        return Outgoing(chat_id, "sendMessage", params, Priority.NORMAL, None, sealed=True)

    def registered(self, house: RentalHouse) -> list[Outgoing]:
        chats = self.grid_chats(house)[:1]
        out = []
        for chat in chats:
            locale = self.chat_locale(chat)
            words = self._(
                "🏠 New rental house {code} on {grid}: {address}, {rooms} rooms, {beds} beds. "
                "Its first inspection is due by {date}: send /inspect {code} here.",
                locale,
            ).format(
                code=house.code,
                grid=self.grid_name(house, locale),
                address=self.cipher.decrypt(house.address_encrypted),
                rooms=house.rooms,
                beds=house.beds,
                date=day(house.next_due, self.zone),
            )
            out.append(self._sealed(chat, words))
        return out

    def removed(self, house: RentalHouse, tenants: list[RentalTenant]) -> list[Outgoing]:
        """Each tenant told their registration there ended (services/rental_removal.py)."""
        out = []
        for tenant in tenants:
            words = self._(
                "🏠 Your landlord removed rental house {code} from Linkage, so your registration "
                "there ended today. If you still live there, ask your landlord or your grid "
                "worker.",
                tenant.locale,
            ).format(code=house.code)
            out.append(self._sealed(tenant.telegram_id, words))
        return out

    def tenant_joined(self, house: RentalHouse, tenant: RentalTenant) -> list[Outgoing]:
        locale = house.landlord_locale
        name = self.cipher.decrypt(tenant.name_encrypted) if tenant.name_encrypted else "—"
        words = self._(
            "👤 {name} registered as a tenant of your house {code}, moved in on {date}.", locale
        ).format(name=name, code=house.code, date=tenant.move_in.isoformat())
        return [self._sealed(house.landlord_id, words)]

    def recoloured(self, house: RentalHouse, before: str) -> list[Outgoing]:
        out = []
        locale = house.landlord_locale
        gettext = lambda message: self._(message, locale)  # noqa: E731
        reasons = self.reasons(house, locale)
        words = self._("Your rental house {code} is now {colour}.", locale).format(
            code=house.code, colour=colour_label(house.colour, gettext)
        )
        if reasons:
            words += "\n" + self._("To fix:", locale) + "\n" + "\n".join(f"• {r}" for r in reasons)
        out.append(Outgoing.text(house.landlord_id, words, priority=Priority.NORMAL))
        if house.colour == "red" and before != "red":
            for chat in self.grid_chats(house):
                chat_locale = self.chat_locale(chat)
                words = self._(
                    "🟥 Rental house {code} on {grid} turned red.\nAddress: {address}", chat_locale
                ).format(
                    code=house.code,
                    grid=self.grid_name(house, chat_locale),
                    address=self.cipher.decrypt(house.address_encrypted),
                )
                lines = self.reasons(house, chat_locale)
                words += "\n" + "\n".join(f"• {r}" for r in lines)
                out.append(self._sealed(chat, words))
        return out

    def due(self, house: RentalHouse) -> list[Outgoing]:
        out = []
        assert house.id is not None
        for chat in self.grid_chats(house)[:1]:
            locale = self.chat_locale(chat)
            gettext = lambda message, locale=locale: self._(message, locale)  # noqa: E731
            words = self._(
                "⏰ Inspection due: rental house {code} on {grid} ({colour}), due {date}.\n"
                "Address: {address}",
                locale,
            ).format(
                code=house.code,
                grid=self.grid_name(house, locale),
                colour=colour_label(house.colour, gettext),
                date=day(house.next_due, self.zone),
                address=self.cipher.decrypt(house.address_encrypted),
            )
            button = InlineKeyboardButton(
                text=self._("🔍 Inspect now", locale),
                callback_data=InspectHouse(house_id=house.id).pack(),
            )
            markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
            out.append(self._sealed(chat, words, reply_markup=markup.model_dump(exclude_none=True)))
        return out
