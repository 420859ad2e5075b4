"""What applications say: the card verifiers decide on, its summary after, the tourist's answers.

The card carries the tourist's personal data and so is sealed in the outbox (services.outbox).
Once the application is decided or lapses, the card in the verifier chat is edited down to a
summary without it: the selfie is replaced by a plain picture, the caption by the application's
number, the masked name and the decision.
"""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, WebAppInfo
from aiogram.utils.i18n import I18n

from handlers.menu import N_
from handlers.ticket_card import markup
from services.application_contract import APPROVED, LAPSED, WITHDRAWN, PersonalData, reference
from services.certificates import CHINA_TIME, Issued
from services.identity import DocumentType
from services.models import Application, as_utc
from services.outbox import Outgoing, Priority, SentMessage, inline_file
from services.review_queue import Waiting
from services.routing import Routing, text

log = logging.getLogger(__name__)
DOCUMENT_NAMES = {
    DocumentType.PRC_ID: N_("PRC resident ID card"),
    DocumentType.PASSPORT: N_("Passport"),
    DocumentType.TRAVEL_PERMIT: N_("Hong Kong, Macau or Taiwan travel permit"),
}


class Review(CallbackData, prefix="rv"):
    action: str  # approve, reject, reason, back
    application_id: int
    reason: str = ""


@functools.cache
def plain_picture() -> bytes:
    """What replaces the selfie once decided: a plain grey square, made here."""
    from PIL import Image  # loaded with the first decision, not at start

    buffer = io.BytesIO()
    Image.new("RGB", (320, 320), (224, 228, 232)).save(buffer, "PNG")
    return buffer.getvalue()


class ApplicationTelegramNotices:
    """The card for verifiers, its summary once decided, and the decision for the tourist."""

    def __init__(
        self,
        i18n: I18n,
        routing: Routing,
        staff_locale: str,
        verifier_chat_id: int | None,
        undecided_days: int = 7,
        miniapp_url: str | None = None,
    ) -> None:
        self.i18n = i18n
        self.routing = routing
        self.staff_locale = staff_locale
        self.verifier_chat_id = verifier_chat_id
        self.undecided_days = undecided_days
        self.miniapp_url = miniapp_url  # HTTPS base of the Mini Apps, if offered

    def _(self, message: str, locale: str) -> str:
        return self.i18n.gettext(message, locale=locale)

    def review_buttons(self, application_id: int, locale: str) -> dict[str, Any]:
        return markup(
            [
                [
                    InlineKeyboardButton(
                        text="✅ " + self._("Approve", locale),
                        callback_data=Review(
                            action="approve", application_id=application_id
                        ).pack(),
                    ),
                    InlineKeyboardButton(
                        text="❌ " + self._("Reject", locale),
                        callback_data=Review(action="reject", application_id=application_id).pack(),
                    ),
                ]
            ]
        )

    def card_text(self, application: Application, personal: PersonalData) -> str:
        locale = self.staff_locale
        hotel = text(self.routing.hotel(application.hotel_code).name, locale)
        check_out = application.check_in + timedelta(days=application.nights)
        return self._(
            "🪪 Application A{id} for an accommodation certificate\n\nName: {name}\n"
            "Document: {document} {number}\nDate of birth: {born}\nPhone: {phone}\n"
            "Hotel: {hotel}\nStay: {check_in} to {check_out}\n\n"
            "Compare the selfie with the document photo on record, then decide.",
            locale,
        ).format(
            id=application.id,
            name=personal.full_name,
            document=self._(DOCUMENT_NAMES[DocumentType(application.document_type)], locale),
            number=personal.document_number,
            born=personal.birth_date.isoformat() if personal.birth_date else "—",
            phone=personal.phone,
            hotel=hotel,
            check_in=application.check_in.isoformat(),
            check_out=check_out.isoformat(),
        )

    def submitted(self, application: Application, personal: PersonalData) -> list[Outgoing]:
        assert application.id is not None
        if self.verifier_chat_id is None:  # the form is not offered (tourist_certificate)
            log.error("VERIFIER_CHAT_ID is unset: application %s waits", application.id)
            return []
        params = {
            "photo": personal.selfie_file_id,
            "caption": self.card_text(application, personal),
            "reply_markup": self.review_buttons(application.id, self.staff_locale),
        }
        return [
            Outgoing(
                self.verifier_chat_id,
                "sendPhoto",
                params,
                Priority.NORMAL,
                reference(application.id),
                sealed=True,
            )
        ]

    def summary(self, application: Application, masked_name: str) -> str:
        """The card once decided or lapsed: nothing on it identifies the tourist."""
        locale = self.staff_locale
        if application.status == LAPSED:
            lapsed_at = as_utc(application.purged_at or application.submitted_at)
            outcome = self._(
                "⌛ Lapsed on {when} (China time): nobody decided within {days} days.", locale
            ).format(when=_china_time(lapsed_at), days=self.undecided_days)
        elif application.status == WITHDRAWN:
            withdrawn_at = as_utc(application.decided_at or application.submitted_at)
            outcome = self._("↩️ Withdrawn by the tourist on {when} (China time).", locale).format(
                when=_china_time(withdrawn_at)
            )
        else:
            decided = {
                "by": application.decided_by_name or "",
                "when": _china_time(as_utc(application.decided_at or application.submitted_at)),
            }
            if application.status == APPROVED:
                outcome = self._(
                    "✅ Approved by {by} on {when} (China time): certificate {serial}", locale
                ).format(serial=application.certificate_serial or "", **decided)
            else:
                reason = application.reject_reason or ""
                outcome = self._(
                    "❌ Declined by {by} on {when} (China time): {reason}", locale
                ).format(reason=self._(reason, locale) if reason else "", **decided)
        return self._(
            "🪪 Application A{id}\nName: {masked_name}\n{outcome}\n\n"
            "The personal details and the selfie were taken out of this chat.",
            locale,
        ).format(id=application.id, masked_name=masked_name or "—", outcome=outcome)

    def closed(
        self, application: Application, masked_name: str, cards: list[SentMessage]
    ) -> list[Outgoing]:
        """Each card edited down to the summary: a photo's picture replaced too."""
        caption = self.summary(application, masked_name)
        edits = []
        for card in cards:
            params: dict[str, Any] = {"message_id": card.message_id}
            if card.method == "sendPhoto":
                method = "editMessageMedia"
                params["media"] = {
                    "type": "photo",
                    "media": inline_file(plain_picture()),
                    "caption": caption,
                }
            else:
                method, params["text"] = "editMessageText", caption
            edits.append(
                Outgoing(card.chat_id, method, params, Priority.URGENT, reference(application.id))
            )
        return edits

    def approved(self, application: Application, issued: Issued, card_png: bytes) -> list[Outgoing]:
        locale = application.tourist_locale
        certificate = issued.certificate
        caption = self._(
            "✅ Your accommodation certificate {serial} is approved.\n\nShow this card at the "
            "front desk of {hotel}; they scan the QR code. Valid {valid_from} to {valid_until}.",
            locale,
        ).format(
            serial=certificate.serial,
            hotel=text(self.routing.hotel(application.hotel_code).name, locale),
            valid_from=certificate.valid_from.isoformat(),
            valid_until=certificate.valid_until.isoformat(),
        )
        code = self._("The certificate as a link, if the card cannot be scanned:", locale)
        return [
            Outgoing(
                application.tourist_id,
                "sendPhoto",
                {"photo": inline_file(card_png), "caption": caption},
                Priority.URGENT,
                reference(application.id),
            ),
            Outgoing.text(
                application.tourist_id,
                f"{code}\n{issued.url}",
                priority=Priority.URGENT,
                reference=reference(application.id),
                **self._my_certificate_button(locale),
            ),
            *self._menu_button(application, locale),
        ]

    def _menu_button(self, application: Application, locale: str) -> list[Outgoing]:
        """The chat's menu button opens "My certificate" from now on, when it is offered."""
        if not self.miniapp_url:
            return []
        button = {
            "type": "web_app",
            "text": self._("My certificate", locale),
            "web_app": {"url": f"{self.miniapp_url}/app/certificate"},
        }
        return [
            Outgoing(
                application.tourist_id,
                "setChatMenuButton",
                {"menu_button": button},
                Priority.NORMAL,
                reference(application.id),
            )
        ]

    def _my_certificate_button(self, locale: str) -> dict[str, Any]:
        """The web_app button of the "My certificate" Mini App, when it is offered."""
        if not self.miniapp_url:
            return {}
        button = InlineKeyboardButton(
            text="📱 " + self._("My certificate", locale),
            web_app=WebAppInfo(url=f"{self.miniapp_url}/app/certificate"),
        )
        return {"reply_markup": markup([[button]])}

    def rejected(self, application: Application) -> list[Outgoing]:
        locale = application.tourist_locale
        message = self._(
            "Your application for an accommodation certificate was declined: {reason}\n\n"
            "You can correct it and send it again: press “Accommodation certificate”.",
            locale,
        ).format(reason=self._(reason, locale) if (reason := application.reject_reason) else "")
        return [_to_tourist(application, message)]

    def remind_verifiers(self, waiting: Waiting) -> list[Outgoing]:
        """An application waits too long: said in the verifier chat (masked name only)."""
        if self.verifier_chat_id is None:
            return []
        locale = self.staff_locale
        said = self._(
            "⏰ Application A{id} ({name}, {hotel}) has waited {minutes} min for a decision, "
            "since {time} (China time). /pending lists everything that waits.",
            locale,
        ).format(**self._waiting_fields(waiting, locale))
        return [
            Outgoing.text(self.verifier_chat_id, said, reference=reference(waiting.application_id))
        ]

    def remind_admins(self, waiting: Waiting, admin_ids: Iterable[int]) -> list[Outgoing]:
        """Still undecided after the verifiers were reminded: each admin is told."""
        locale = self.staff_locale
        said = self._(
            "⏰ Application A{id} ({name}, {hotel}) has waited {minutes} min and no verifier has "
            "decided it, though the verifier chat was reminded. A tourist is waiting.",
            locale,
        ).format(**self._waiting_fields(waiting, locale))
        return [
            Outgoing.text(admin, said, reference=reference(waiting.application_id))
            for admin in admin_ids
        ]

    def _waiting_fields(self, waiting: Waiting, locale: str) -> dict[str, object]:
        return {
            "id": waiting.application_id,
            "name": waiting.masked_name,
            "hotel": text(self.routing.hotel(waiting.hotel_code).name, locale),
            "minutes": int(waiting.waited.total_seconds() // 60),
            "time": _china_time(waiting.submitted_at),
        }

    def lapsed(self, application: Application) -> list[Outgoing]:
        locale = application.tourist_locale
        message = self._(
            "⌛ Your application for an accommodation certificate lapsed: no reviewer decided it "
            "within {days} days, and the details you gave were deleted.\n\n"
            "To apply again, press “Accommodation certificate” or send /certificate.",
            locale,
        ).format(days=self.undecided_days)
        return [_to_tourist(application, message)]


def _to_tourist(application: Application, text: str) -> Outgoing:
    """A decision's word to the tourist: urgent, they are waiting for it."""
    return Outgoing.text(
        application.tourist_id, text, priority=Priority.URGENT, reference=reference(application.id)
    )


def _china_time(moment: datetime) -> str:
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
