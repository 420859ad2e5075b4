"""What a ticket's staff chat is told of an action done on the dashboard (no card was pressed,
so the team reads it as a message in the ticket's topic, in the chat's own language)."""

from __future__ import annotations

from typing import Any

from handlers.notices import TelegramTicketNotices
from services.models import Ticket
from services.outbox import Outgoing, Priority
from services.ticket_contract import Staff, has_resident
from services.tickets import ticket_reference


class DashboardCardNotices:
    """services.ticket_actions.CardNotices: the staff chat hears what was done on the dashboard,
    in its own language, in the ticket's topic."""

    def __init__(self, notices: TelegramTicketNotices) -> None:
        self.notices = notices

    def _(self, message: str, locale: str) -> str:
        return self.notices.i18n.gettext(message, locale=locale)

    def acted(
        self,
        ticket: Ticket,
        action: str,
        by: Staff,
        words: str = "",
        was: Ticket | None = None,
        card: int | None = None,
    ) -> list[Outgoing]:
        assert ticket.id is not None
        where = was or ticket
        locale = self.notices.locale_of(where)
        number, name = ticket.number, by.name
        params: dict[str, Any] = {}
        if action == "take":
            said = self._("🙋 {number} taken by {name} on the dashboard.", locale)
        elif action == "resolve":
            said = self._(
                "✅ {number} resolved by {name} on the dashboard; waiting for the resident to "
                "confirm.",
                locale,
            )
            params["reply_markup"] = self.notices.publish_button(ticket).model_dump(
                exclude_none=True
            )
        elif action == "note":
            said = self._(
                "🔒 Internal note on {number} by {name}, from the dashboard; the resident does "
                "not see it:",
                locale,
            )
        elif action == "reply" and has_resident(ticket):
            said = self._("✉️ {name} answered the resident of {number} from the dashboard:", locale)
        elif action == "reply":
            said = self._(
                "📝 {name} recorded a status note on {number} for the Open311 client, from the "
                "dashboard:",
                locale,
            )
        else:
            said = self._("↪️ {number} passed to {team} by {name} on the dashboard.", locale)
        body = said.format(number=number, name=name, team=self.notices.team(ticket, locale))
        if words and action in ("note", "reply"):
            body += "\n" + words
        params["text"] = body
        if where.topic_id is not None:
            params["message_thread_id"] = where.topic_id
        reference = ticket_reference(ticket.id)
        sends = [Outgoing(where.staff_chat_id, "sendMessage", params, Priority.NORMAL, reference)]
        if card is not None and action in ("take", "resolve", "reassign"):
            sends.append(self._card(where, card, body, params.get("reply_markup")))
        return sends

    def _card(
        self, ticket: Ticket, message_id: int, note: str, buttons: dict[str, Any] | None
    ) -> Outgoing:
        """The card itself shows the change, as a press on it would: its text and the note,
        with the buttons that still apply (none once it was passed on)."""
        assert ticket.id is not None
        params: dict[str, Any] = {
            "message_id": message_id,
            "text": f"{self.notices.card_text(ticket)}\n\n{note}",
        }
        if ticket.status == "taken":
            params["reply_markup"] = self.notices.staff_buttons(ticket)
        elif buttons is not None:
            params["reply_markup"] = buttons
        return Outgoing(
            ticket.staff_chat_id,
            "editMessageText",
            params,
            Priority.NORMAL,
            ticket_reference(ticket.id),
            sealed=bool(ticket.neighbour_name_encrypted),  # the card names the neighbour
        )
