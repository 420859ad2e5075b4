"""How a ticket reads in its staff chat: the card, its buttons (take, resolve, assign, …), the
team and the reporter as staff may see them, in the chat's language, and where a message about
the ticket goes (its topic, its reference).

The base of TelegramTicketNotices (handlers/notices.py), which says what each change sends; the
buttons' callback data live here so both the notices and the handlers that answer the presses
(handlers/staff.py, feedback.py, board.py, …) read them from one place.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from handlers.menu import N_
from handlers.statuses import CHINA_STANDARD_TIME, local_time
from services.mediation_routing import directory_of
from services.models import Ticket
from services.outbox import Outgoing, Priority
from services.privacy import FieldCipher
from services.routing import Routing, text
from services.ticket_contract import Resident
from services.tickets import ticket_reference


class TicketAction(CallbackData, prefix="tk"):
    action: str  # take, resolve
    ticket_id: int


class Reassign(CallbackData, prefix="ra"):
    ticket_id: int
    kind: str  # c: category, g: grid
    code: str


class FixedAnswer(CallbackData, prefix="fx"):
    ticket_id: int
    fixed: bool


class Rating(CallbackData, prefix="rt"):
    ticket_id: int
    stars: int


class Publish(CallbackData, prefix="pb"):
    """ "Publish on the board", on a resolved card (handlers/staff.py asks for the summary)."""

    ticket_id: int


# The card's buttons, row by row: (icon, label, TicketAction.action)
STAFF_PRESSES = (
    (("🙋", N_("Take"), "take"), ("✅", N_("Resolved"), "resolve")),
    (("👤", N_("Assign to…"), "assign"), ("↪️", N_("Reassign"), "reassign")),
    (("📋", N_("Reply with a template"), "template"), ("🚫", N_("Close: cannot fix"), "unfixed")),
)


def markup(rows: list[list[InlineKeyboardButton]]) -> dict[str, Any]:
    return InlineKeyboardMarkup(inline_keyboard=rows).model_dump(exclude_none=True)


class TicketCard:
    """A ticket as staff and residents read it, in each reader's language."""

    def __init__(
        self,
        i18n: I18n,
        routing: Routing,
        staff_locale: str,
        zone: tzinfo = CHINA_STANDARD_TIME,
        cipher: FieldCipher | None = None,
    ) -> None:
        self.cipher = cipher  # opens a neighbour's name and phone for the card
        self.i18n = i18n
        self.routing = routing
        self.staff_locale = staff_locale  # STAFF_LOCALE: every staff chat without its own
        self.zone = zone  # TIMEZONE: the times people read

    def chat_locale(self, chat_id: int) -> str:
        """A staff chat's language: its own in the routing file, else STAFF_LOCALE."""
        return self.routing.chat_locales.get(chat_id, self.staff_locale)

    def locale_of(self, ticket: Ticket) -> str:
        """The language of the chat a ticket is in."""
        return self.chat_locale(ticket.staff_chat_id)

    def when(self, moment: datetime) -> str:
        """A stored time as people here read it (TIMEZONE), with the date unless it is today."""
        return local_time(moment, self.zone)

    def _(self, message: str, locale: str) -> str:
        return self.i18n.gettext(message, locale=locale)

    def team(self, ticket: Ticket, locale: str) -> str:
        """Who answers: the grid's team, or the street office when the place is unknown."""
        if ticket.grid:
            return text(self.routing.grid(ticket.grid).name, locale)
        return text(self.routing.street_office_name, locale)

    def routed_up(self, ticket: Ticket, locale: str) -> list[str]:
        """Why a grid's request came to its community's (or the street office's) chat."""
        if not ticket.grid or self.routing.category(ticket.category).chat_id is not None:
            return []
        grid = self.routing.grid(ticket.grid)
        if grid.chat_id is not None:
            return []
        why = self._(
            "ℹ️ {grid} has no chat of its own yet, so its requests come here. An administrator "
            "binds one by sending /bind grid {code} in the grid's group.",
            locale,
        )
        return [why.format(grid=text(grid.name, locale), code=grid.code)]

    def neighbour(self, ticket: Ticket) -> tuple[str, str] | None:
        """The neighbour a grid contact filed for: (name, phone); None if none or purged."""
        if not ticket.neighbour_name_encrypted or self.cipher is None:
            return None
        phone = ticket.neighbour_phone_encrypted
        return (
            self.cipher.decrypt(ticket.neighbour_name_encrypted),
            self.cipher.decrypt(phone) if phone else "",
        )

    def reporter(self, ticket: Ticket, locale: str) -> str:
        """The reporter as staff may see them: their name, or "anonymous resident"; for a
        neighbour, the grid contact and who it is for."""
        neighbour = self.neighbour(ticket)
        if neighbour is not None:
            return self._("the grid contact {contact}, for {name} ({phone})", locale).format(
                contact=ticket.resident_name, name=neighbour[0], phone=neighbour[1] or "—"
            )
        if ticket.neighbour_purged_at is not None:
            return self._(
                "the grid contact {contact}, for a neighbour (their details were removed)", locale
            ).format(contact=ticket.resident_name)
        if ticket.anonymous:
            return self._("anonymous resident", locale)
        return ticket.resident_name

    def actor(self, ticket: Ticket, actor_id: int | None, name: str, locale: str) -> str:
        """Who did something on a ticket, as staff may see it (the reporter hidden if asked)."""
        return self.reporter(ticket, locale) if actor_id == ticket.resident_id else name

    def place(self, ticket: Ticket, locale: str) -> str:
        if ticket.address:
            return ticket.address
        if ticket.latitude is not None and ticket.longitude is not None:
            return f"{ticket.latitude:.5f}, {ticket.longitude:.5f}"
        return self._("not given", locale)

    def staff_buttons(self, ticket: Ticket) -> dict[str, Any]:
        ticket_id = ticket.id
        assert ticket_id is not None
        locale = self.locale_of(ticket)

        def button(icon: str, label: str, action: str) -> InlineKeyboardButton:
            return InlineKeyboardButton(
                text=f"{icon} {self._(label, locale)}",
                callback_data=TicketAction(action=action, ticket_id=ticket_id).pack(),
            )

        rows = [[button(*press) for press in row] for row in STAFF_PRESSES]
        # a dispute may go to mediation (services/mediation_routing.py)
        if ticket.category in directory_of(self.routing.mediation).dispute_categories:
            rows.append([button("⚖️", N_("Refer to mediation"), "mediate")])
        return markup(rows)

    def publish_button(self, ticket: Ticket) -> InlineKeyboardMarkup:
        assert ticket.id is not None
        label = "📣 " + self._("Publish on the board", self.staff_locale)
        button = InlineKeyboardButton(text=label, callback_data=Publish(ticket_id=ticket.id).pack())
        return InlineKeyboardMarkup(inline_keyboard=[[button]])

    def card_text(self, ticket: Ticket) -> str:
        locale = self.locale_of(ticket)
        category = text(self.routing.category(ticket.category).name, locale)
        lines = [
            self._("🆕 Request {number} · {category}", locale).format(
                number=ticket.number, category=category
            ),
            self._("Team: {team}", locale).format(team=self.team(ticket, locale)),
            (
                self._("Reported by {who}", locale)
                if ticket.neighbour_name_encrypted or ticket.neighbour_purged_at
                else self._("From: {name}", locale)
            ).format(name=self.reporter(ticket, locale), who=self.reporter(ticket, locale)),
            self._("Place: {place}", locale).format(place=self.place(ticket, locale)),
        ]
        lines += self.routed_up(ticket, locale)
        if ticket.photos:
            lines.append(self._("Photos: {count}", locale).format(count=len(ticket.photos)))
        if ticket.media_url:  # an Open311 client's photo: checked to be an http(s) URL
            lines.append(self._("📎 Media: {url}", locale).format(url=ticket.media_url))
        if ticket.voice_file_id:
            lines.append(
                self._("🎤 The resident spoke the description: the voice note follows.", locale)
            )
        lines += [
            "",
            f"“{ticket.text}”",
            "",
            self._("Reply to this message to answer the resident.", locale),
            self._(
                "🔒 Start with “!” for an internal note: kept on the request, never sent.", locale
            ),
        ]
        return "\n".join(lines)

    def _to_staff(self, ticket: Ticket, method: str, params: dict[str, Any]) -> Outgoing:
        assert ticket.id is not None
        if ticket.topic_id is not None:
            params = {**params, "message_thread_id": ticket.topic_id}
        return Outgoing(
            ticket.staff_chat_id,
            method,
            params,
            Priority.NORMAL,
            ticket_reference(ticket.id),
            sealed=bool(ticket.neighbour_name_encrypted),  # the card names the neighbour
        )

    def _to_resident(
        self, ticket: Ticket, to: Resident, method: str, params: dict[str, Any]
    ) -> Outgoing:
        assert ticket.id is not None
        reference = ticket_reference(ticket.id)
        return Outgoing(to.user_id, method, params, Priority.URGENT, reference)

    def _text_to_resident(
        self, ticket: Ticket, to: Resident, text_: str, buttons: dict[str, Any] | None = None
    ) -> Outgoing:
        params: dict[str, Any] = {"text": text_}
        if buttons:
            params["reply_markup"] = buttons
        return self._to_resident(ticket, to, "sendMessage", params)

    def topic_name(self, label: str, category_code: str, chat_id: int) -> str:
        locale = self.chat_locale(chat_id)
        category = text(self.routing.category(category_code).name, locale)
        return f"{label} · {category}"[:128]
