"""What a ticket's changes say to residents and to staff, in each reader's language.

Staff chats read the deployment's DEFAULT_LOCALE; a resident reads the language they use with
the bot. Messages in a staff chat carry the ticket's reference, so a reply to any of them is
matched to the ticket.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from handlers.statuses import CHINA_STANDARD_TIME, local_time
from services.conversation import CAPTION, TEXT, EditTarget, Relayed, Source, render
from services.mediation_routing import directory_of
from services.models import Ticket
from services.outbox import Outgoing, Priority
from services.privacy import FieldCipher
from services.routing import Routing, text
from services.ticket_contract import Media, Resident, Staff
from services.tickets import ticket_reference

CAPTIONED = {"photo", "video", "audio", "document", "voice", "animation"}
CAPTION_LIMIT = 1024
log = logging.getLogger(__name__)


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


def markup(rows: list[list[InlineKeyboardButton]]) -> dict[str, Any]:
    return InlineKeyboardMarkup(inline_keyboard=rows).model_dump(exclude_none=True)


def relay_message(
    heading: str,
    words: str,
    media: Media | None,
    source: Source | None,
    send: Callable[[str, dict[str, Any]], Outgoing],
    locale: str,
) -> Relayed:
    """A message relayed as itself under a heading: words as text, anything else copied.

    A kind that takes a caption carries the heading in it; one that does not (a sticker, a
    video note, a location, a contact) follows a line of heading. The copy goes last. Used for
    tickets and for legal questions (handlers/lawyer_notices.py) alike.
    """
    body = render(heading, words)
    if media is None or source is None:
        return Relayed([send("sendMessage", {"text": body})], heading, TEXT, locale)
    copy: dict[str, Any] = {"from_chat_id": source.chat_id, "message_id": source.message_id}
    if media.kind in CAPTIONED and len(body) <= CAPTION_LIMIT:
        copy["caption"] = body
        return Relayed([send("copyMessage", copy)], heading, CAPTION, locale)
    lead = send("sendMessage", {"text": body})
    return Relayed([lead, send("copyMessage", copy)], heading, "", locale)


class TelegramTicketNotices:
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
        assert ticket.id is not None
        locale = self.locale_of(ticket)
        mediation = []  # a dispute may go to mediation (services/mediation_routing.py)
        if ticket.category in directory_of(self.routing.mediation).dispute_categories:
            label = "⚖️ " + self._("Refer to mediation", locale)
            action = TicketAction(action="mediate", ticket_id=ticket.id).pack()
            mediation = [[InlineKeyboardButton(text=label, callback_data=action)]]
        return markup(
            [
                [
                    InlineKeyboardButton(
                        text="🙋 " + self._("Take", locale),
                        callback_data=TicketAction(action="take", ticket_id=ticket.id).pack(),
                    ),
                    InlineKeyboardButton(
                        text="✅ " + self._("Resolved", locale),
                        callback_data=TicketAction(action="resolve", ticket_id=ticket.id).pack(),
                    ),
                ],
                [
                    InlineKeyboardButton(
                        text="👤 " + self._("Assign to…", locale),
                        callback_data=TicketAction(action="assign", ticket_id=ticket.id).pack(),
                    ),
                    InlineKeyboardButton(
                        text="↪️ " + self._("Reassign", locale),
                        callback_data=TicketAction(action="reassign", ticket_id=ticket.id).pack(),
                    ),
                ],
                [
                    InlineKeyboardButton(
                        text="📋 " + self._("Reply with a template", locale),
                        callback_data=TicketAction(action="template", ticket_id=ticket.id).pack(),
                    ),
                    InlineKeyboardButton(
                        text="🚫 " + self._("Close: cannot fix", locale),
                        callback_data=TicketAction(action="unfixed", ticket_id=ticket.id).pack(),
                    ),
                ],
                *mediation,
            ]
        )

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

    def created(self, ticket: Ticket) -> list[Outgoing]:
        sends = []
        if ticket.topic_id is not None:  # the topic was opened before the number existed
            name = self.topic_name(ticket.number, ticket.category, ticket.staff_chat_id)
            sends.append(self._to_staff(ticket, "editForumTopic", {"name": name}))
        sends += [
            self._to_staff(
                ticket,
                "sendMessage",
                {"text": self.card_text(ticket), "reply_markup": self.staff_buttons(ticket)},
            )
        ]
        if ticket.voice_file_id:
            voice = {"voice": ticket.voice_file_id, "caption": ticket.number}
            sends.append(self._to_staff(ticket, "sendVoice", voice))
        if ticket.latitude is not None and ticket.longitude is not None:
            sends.append(
                self._to_staff(
                    ticket,
                    "sendLocation",
                    {"latitude": ticket.latitude, "longitude": ticket.longitude},
                )
            )
        if len(ticket.photos) == 1:
            photo = {"photo": ticket.photos[0], "caption": ticket.number}
            sends.append(self._to_staff(ticket, "sendPhoto", photo))
        elif ticket.photos:  # one album, the number under its first photo
            album = [{"type": "photo", "media": photo} for photo in ticket.photos[:10]]
            album[0]["caption"] = ticket.number
            sends.append(self._to_staff(ticket, "sendMediaGroup", {"media": album}))
        return sends

    def taken(self, ticket: Ticket, to: Resident) -> list[Outgoing]:
        locale = to.locale
        return [
            self._text_to_resident(
                ticket,
                to,
                self._(
                    "Your request {number} has been taken by {team}. "
                    "They will keep you posted here.",
                    locale,
                ).format(number=ticket.number, team=self.team(ticket, locale)),
            )
        ]

    def assigned(self, ticket: Ticket, to: Staff, by: Staff) -> list[Outgoing]:
        """Said in the ticket's chat, the assignee mentioned so Telegram tells them."""
        locale = self.locale_of(ticket)
        mention = f'<a href="tg://user?id={to.user_id}">{html.escape(to.name)}</a>'
        message = self._("👤 {by} assigned request {number} to {assignee}.", locale).format(
            by=html.escape(by.name), number=ticket.number, assignee=mention
        )
        return [self._to_staff(ticket, "sendMessage", {"text": message, "parse_mode": "HTML"})]

    def _relay(
        self,
        heading: str,
        words: str,
        media: Media | None,
        source: Source | None,
        send: Callable[[str, dict[str, Any]], Outgoing],
        locale: str,
    ) -> Relayed:
        return relay_message(heading, words, media, source, send, locale)

    def staff_reply(
        self, ticket: Ticket, to: Resident, reply: str, media: Media | None, source: Source | None
    ) -> Relayed:
        locale = to.locale
        heading = self._("💬 {team} about your request {number}:", locale).format(
            team=self.team(ticket, locale), number=ticket.number
        )

        def send(method: str, params: dict[str, Any]) -> Outgoing:
            return self._to_resident(ticket, to, method, params)

        return self._relay(heading, reply, media, source, send, locale)

    def resident_comment(
        self,
        ticket: Ticket,
        comment: str,
        media: Media | None,
        card_message_id: int | None,
        source: Source | None,
    ) -> Relayed:
        heading = self._(
            "💬 The resident adds to request {number}:", self.locale_of(ticket)
        ).format(number=ticket.number)

        def send(method: str, params: dict[str, Any]) -> Outgoing:
            if card_message_id is not None and ticket.topic_id is None:
                params["reply_parameters"] = {
                    "message_id": card_message_id,
                    "allow_sending_without_reply": True,
                }
            return self._to_staff(ticket, method, params)

        return self._relay(heading, comment, media, source, send, self.locale_of(ticket))

    def resident_album(
        self, ticket: Ticket, words: str, items: Sequence[Media], card_message_id: int | None
    ) -> list[Outgoing]:
        """An album from the resident, as one album (sendMediaGroup) under the heading."""
        heading = self._("💬 The resident adds to request {number}:", self.locale_of(ticket))
        body = render(heading.format(number=ticket.number), words)
        kinds = {item.kind for item in items}
        groupable = kinds <= {"photo", "video"} or kinds in ({"document"}, {"audio"})
        if not groupable or not 2 <= len(items) <= 10:
            return [self._to_staff(ticket, "sendMessage", {"text": body})] + [
                self._to_staff(ticket, f"send{item.kind.title()}", {item.kind: item.file_id})
                for item in items
                if item.file_id
            ]
        album: list[dict[str, Any]] = [{"type": item.kind, "media": item.file_id} for item in items]
        params: dict[str, Any] = {"media": album}
        if len(body) <= CAPTION_LIMIT:
            album[0]["caption"] = body
            sends = []
        else:
            sends = [self._to_staff(ticket, "sendMessage", {"text": body})]
        if card_message_id is not None and ticket.topic_id is None:
            params["reply_parameters"] = {
                "message_id": card_message_id,
                "allow_sending_without_reply": True,
            }
        return [*sends, self._to_staff(ticket, "sendMediaGroup", params)]

    def relay_edit(self, ticket: Ticket, target: EditTarget, words: str) -> list[Outgoing]:
        """The copy edited in place; where it cannot be, the new words sent anew, "edited"."""
        assert ticket.id is not None
        reference = ticket_reference(ticket.id)
        if target.message_id is not None and target.in_time and target.editable:
            method = "editMessageText" if target.editable == TEXT else "editMessageCaption"
            params: dict[str, Any] = {"message_id": target.message_id}
            params[target.editable] = render(target.heading, words)
            return [Outgoing(target.chat_id, method, params, Priority.URGENT, reference)]
        edited = self._("✏️ Edited:", target.locale)
        params = {"text": render(f"{target.heading}\n{edited}".strip(), words)}
        if target.thread_id is not None:
            params["message_thread_id"] = target.thread_id
        if target.message_id is not None:
            params["reply_parameters"] = {
                "message_id": target.message_id,
                "allow_sending_without_reply": True,
            }
        return [Outgoing(target.chat_id, "sendMessage", params, Priority.URGENT, reference)]

    def resolved(self, ticket: Ticket, to: Resident) -> list[Outgoing]:
        assert ticket.id is not None
        locale = to.locale
        if not to.owner:
            return [
                self._text_to_resident(
                    ticket,
                    to,
                    self._(
                        "✅ {team} has resolved request {number}, which you joined.", locale
                    ).format(team=self.team(ticket, locale), number=ticket.number),
                )
            ]
        buttons = markup(
            [
                [
                    InlineKeyboardButton(
                        text="👍 " + self._("Yes, it is fixed", locale),
                        callback_data=FixedAnswer(ticket_id=ticket.id, fixed=True).pack(),
                    ),
                    InlineKeyboardButton(
                        text="👎 " + self._("No, not yet", locale),
                        callback_data=FixedAnswer(ticket_id=ticket.id, fixed=False).pack(),
                    ),
                ]
            ]
        )
        return [
            self._text_to_resident(
                ticket,
                to,
                self._(
                    "✅ {team} marked your request {number} as resolved. Is it fixed?", locale
                ).format(team=self.team(ticket, locale), number=ticket.number),
                buttons,
            )
        ]

    def reopened(self, ticket: Ticket, unpublished: bool = False) -> list[Outgoing]:
        locale = self.locale_of(ticket)
        message = self._(
            "🔁 The resident says request {number} is not fixed yet. It is open again.", locale
        ).format(number=ticket.number)
        if unpublished:
            message += "\n" + self._(
                "📣 Its fix has been taken off the public board; publish it again once it is "
                "fixed.",
                locale,
            )
        return [
            self._to_staff(
                ticket, "sendMessage", {"text": message, "reply_markup": self.staff_buttons(ticket)}
            )
        ]

    def closed(self, ticket: Ticket) -> list[Outgoing]:
        message = self._(
            "🏁 Request {number} is closed: the resident confirmed it is fixed.",
            self.locale_of(ticket),
        ).format(number=ticket.number)
        return [self._to_staff(ticket, "sendMessage", {"text": message})]

    def rated(self, ticket: Ticket) -> list[Outgoing]:
        message = self._(
            "The resident rated request {number}: {rating} of 5.", self.locale_of(ticket)
        )
        stars = "⭐" * (ticket.rating or 0)
        text = f"{stars} {message.format(number=ticket.number, rating=ticket.rating)}"
        return [self._to_staff(ticket, "sendMessage", {"text": text})]

    def low_rating(self, ticket: Ticket, chat_id: int) -> list[Outgoing]:
        """A rating of 1 or 2: raised at once, in the ticket's chat and the one above it."""
        assert ticket.id is not None
        locale = self.chat_locale(chat_id)
        message = self._(
            "⚠️ Low rating: the resident gave request {number} ({team}) {rating} of 5. "
            "Please look into it.",
            locale,
        ).format(number=ticket.number, team=self.team(ticket, locale), rating=ticket.rating)
        params: dict[str, Any] = {"text": f"{'⭐' * (ticket.rating or 0)} {message}"}
        if chat_id == ticket.staff_chat_id and ticket.topic_id is not None:
            params["message_thread_id"] = ticket.topic_id
        reference = ticket_reference(ticket.id)
        return [Outgoing(chat_id, "sendMessage", params, Priority.NORMAL, reference)]

    def closed_unfixed(self, ticket: Ticket, to: Resident) -> list[Outgoing]:
        locale = to.locale
        message = self._(
            "{team} has closed request {number} without a fix: it is not something they can "
            "fix. If you need more, write to them here or report it again.",
            locale,
        ).format(team=self.team(ticket, locale), number=ticket.number)
        return [self._text_to_resident(ticket, to, message)]

    def feedback(self, ticket: Ticket, text: str) -> list[Outgoing]:
        heading = self._("📝 The resident's feedback on request {number}:", self.locale_of(ticket))
        body = f"{heading.format(number=ticket.number)}\n\n“{text}”"
        return [self._to_staff(ticket, "sendMessage", {"text": body})]

    def reassigned(self, ticket: Ticket, previous_team: str, by: Staff) -> list[Outgoing]:
        note = self._("↪️ Passed on by {team} ({name}).", self.locale_of(ticket)).format(
            team=previous_team, name=by.name
        )
        sends = self.created(ticket)
        card = sends[1] if ticket.topic_id is not None else sends[0]
        card.params["text"] = f"{card.params['text']}\n\n{note}"
        return sends

    def passed_on(self, ticket: Ticket, to: Resident) -> list[Outgoing]:
        locale = to.locale
        message = self._(
            "↪️ Your request {number} has been passed to {team}, who handle it from now on.",
            locale,
        ).format(number=ticket.number, team=self.team(ticket, locale))
        return [self._text_to_resident(ticket, to, message)]

    def withdrawn(self, ticket: Ticket) -> list[Outgoing]:
        message = self._(
            "↩️ The resident withdrew request {number}: nothing more needs doing.",
            self.locale_of(ticket),
        ).format(number=ticket.number)
        return [self._to_staff(ticket, "sendMessage", {"text": message})]

    def topic_recreated(self, ticket: Ticket) -> list[Outgoing]:
        """The card again, in the new topic, saying why it is there again."""
        note = self._(
            "♻️ This request's topic was deleted, so it has been opened again here.",
            self.locale_of(ticket),
        )
        sends = [send for send in self.created(ticket) if send.method != "editForumTopic"]
        sends[0].params["text"] = f"{sends[0].params['text']}\n\n{note}"  # the card, named
        return sends

    def overdue(
        self, ticket: Ticket, chat_id: int, level: int, waited: timedelta
    ) -> list[Outgoing]:
        assert ticket.id is not None
        locale = self.chat_locale(chat_id)
        hours = max(1, round(waited.total_seconds() / 3600))
        if ticket.status == "taken":
            message = self._(
                "⏰ Request {number} ({team}) was taken {hours} h ago and is not resolved yet.",
                locale,
            )
        else:
            message = self._(
                "⏰ Request {number} ({team}) has waited {hours} h without anyone taking it.",
                locale,
            )
        text_ = message.format(number=ticket.number, team=self.team(ticket, locale), hours=hours)
        params: dict[str, Any] = {"text": f"{text_}\n“{ticket.text[:200]}”"}
        if chat_id == ticket.staff_chat_id:
            params["reply_markup"] = self.staff_buttons(ticket)
            if ticket.topic_id is not None:
                params["message_thread_id"] = ticket.topic_id
        reference = ticket_reference(ticket.id)
        return [Outgoing(chat_id, "sendMessage", params, Priority.NORMAL, reference)]

    def resident_unreachable(self, ticket: Ticket) -> list[Outgoing]:
        message = self._(
            "⚠️ The resident of request {number} has blocked the bot: replies no longer reach them.",
            self.locale_of(ticket),
        ).format(number=ticket.number)
        return [self._to_staff(ticket, "sendMessage", {"text": message})]

    def rating_buttons(self, ticket_id: int) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text="⭐" * stars,
                        callback_data=Rating(ticket_id=ticket_id, stars=stars).pack(),
                    )
                    for stars in range(1, 6)
                ]
            ]
        )
