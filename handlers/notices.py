"""What a ticket's changes say to residents and to staff, in each reader's language.

How the ticket itself reads (its card, its buttons, the reporter as staff see them) is
handlers/ticket_card.py; here is what each change sends.

Staff chats read the deployment's DEFAULT_LOCALE; a resident reads the language they use with
the bot. Messages in a staff chat carry the ticket's reference, so a reply to any of them is
matched to the ticket.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.ticket_card import FixedAnswer, Rating, TicketCard, markup
from services.conversation import CAPTION, TEXT, EditTarget, Relayed, Source, render
from services.models import Ticket
from services.outbox import Outgoing, Priority
from services.ticket_contract import Media, Resident, Staff
from services.tickets import ticket_reference

CAPTIONED = {"photo", "video", "audio", "document", "voice", "animation"}
CAPTION_LIMIT = 1024
log = logging.getLogger(__name__)


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


class TelegramTicketNotices(TicketCard):
    """The messages each change to a ticket sends (services/ticket_contract.TicketNotices)."""

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
