"""Checking a certificate in the bot: a photo of its QR code, or its link or code as text.

Anyone gets the public status (the same as the /v/ page). A front desk gets a Check in button
when the certificate is valid and for their hotel, and a clear warning when it is for another.
Verifiers and administrators revoke a certificate with /revoke.
"""

from __future__ import annotations

import asyncio
import logging
import re

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.menu import drop_buttons
from handlers.roles import china_time, hotel_name
from handlers.verification import DOCUMENT_NAMES, STATUS_MEANINGS, STATUS_WORDS, code_note
from services.authorization import Actor, Authorization
from services.certificates import CertificateNotFound, CertificateService, Channel, token_from_text
from services.checkins import CheckInRefused, CheckInService, WrongHotel, qr_texts
from services.outbox import Outbox, Outgoing, Priority
from services.routing import Routing
from services.signing import Status, Verification

log = logging.getLogger(__name__)

STATUS_ICONS = {
    Status.VALID: "✅",
    Status.EXPIRED: "⌛",
    Status.NOT_YET_VALID: "🕒",
    Status.REVOKED: "⛔",
    Status.INVALID: "❌",
    Status.STALE: "⏱",
}
CODE_LIKE = re.compile(r"^[^/\s]\S{19,}$")  # a front desk's mistyped or cut code: still checked
SERIAL = re.compile(r"^C\d{4}-\d{6}$", re.IGNORECASE)


class CheckInButton(CallbackData, prefix="ci"):
    serial: str


def field(label: str, value: str) -> str:
    return _("{label}: {value}").format(label=label, value=value)


def describe(result: Verification, routing: Routing, locale: str | None) -> str:
    """The public answer: the status in words, then the masked fields."""
    lines = [f"{STATUS_ICONS[result.status]} {_(STATUS_WORDS[result.status])}"]
    lines.append(_(STATUS_MEANINGS[result.status]))
    if note := code_note(result, _):
        lines.append(note)
    claims = result.claims
    if claims is not None:
        document = f"{_(DOCUMENT_NAMES[claims.document_type])} {claims.document}"
        lines += [
            "",
            field(_("Serial"), claims.serial),
            field(_("Holder"), claims.holder),
            field(_("Document"), document),
            field(_("Hotel"), hotel_name(routing, claims.hotel, locale)),
            field(_("Valid from"), claims.valid_from.isoformat()),
            field(_("Valid until"), claims.valid_until.isoformat()),
        ]
        if result.revoked_at is not None:
            lines.append(field(_("Revoked on"), china_time(result.revoked_at)))
    return "\n".join(lines)


async def answer_verification(
    message: Message,
    raw: str,
    certificates: CertificateService,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    result = await certificates.verify(token_from_text(raw) or raw, Channel.BOT)
    locale = i18n.current_locale
    answer = describe(result, routing, locale)
    markup = None
    desk = await authorization.frontdesk_hotel(message.from_user.id) if message.from_user else None
    claims = result.claims
    if desk is not None and claims is not None:
        if claims.hotel != desk:
            answer += "\n\n" + _(
                "⚠️ This certificate is for {hotel}, not your hotel ({yours}). "
                "Do not check the guest in here."
            ).format(
                hotel=hotel_name(routing, claims.hotel, locale),
                yours=hotel_name(routing, desk, locale),
            )
        elif result.status is Status.VALID:
            done = await checkins.get(claims.serial)
            if done is not None:
                answer += "\n\n" + _("Already checked in here on {time} (China time).").format(
                    time=china_time(done.at)
                )
            else:
                button = InlineKeyboardButton(
                    text=_("✅ Check in"), callback_data=CheckInButton(serial=claims.serial).pack()
                )
                markup = InlineKeyboardMarkup(inline_keyboard=[[button]])
    await message.answer(answer, reply_markup=markup)


async def take_photo(
    message: Message,
    bot: Bot,
    certificates: CertificateService,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    assert message.photo
    largest = max(message.photo, key=lambda size: size.width * size.height)
    downloaded = await bot.download(largest.file_id)
    texts = await asyncio.to_thread(qr_texts, downloaded.read()) if downloaded else []
    if not texts:
        await message.answer(
            _(
                "I could not find a QR code in this photo; try again closer and in focus, "
                "or type the code."
            )
        )
        return
    raw = next((found for found in texts if token_from_text(found)), texts[0])
    await answer_verification(message, raw, certificates, checkins, authorization, routing, i18n)


async def take_code(
    message: Message,
    certificates: CertificateService,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    assert message.text is not None
    await answer_verification(
        message, message.text, certificates, checkins, authorization, routing, i18n
    )


async def looks_like_a_certificate(message: Message, authorization: Authorization) -> bool:
    """A link or code of a certificate; from a front desk, anything code-like is checked too."""
    raw = (message.text or "").strip()
    if token_from_text(raw):
        return True
    if message.from_user is None or not CODE_LIKE.match(raw):
        return False
    return await authorization.frontdesk_hotel(message.from_user.id) is not None


async def check_in(
    query: CallbackQuery,
    callback_data: CheckInButton,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    locale = i18n.current_locale
    desk = await authorization.frontdesk_hotel(query.from_user.id)
    if desk is None:
        authorization.refused(
            Actor(query.from_user.id, query.from_user.full_name),
            "check in",
            f"certificate {callback_data.serial}",
            "not a front desk",
        )
        await query.answer(_("This button is for the hotel's front desk only."), show_alert=True)
        return
    try:
        outcome = await checkins.check_in(
            callback_data.serial, hotel_code=desk, user_id=query.from_user.id
        )
    except CertificateNotFound:
        await query.answer(_("This certificate no longer exists."), show_alert=True)
        return
    except WrongHotel as wrong:
        text = _("Not checked in: this certificate is for {hotel}, not your hotel.")
        await query.answer(
            text.format(hotel=hotel_name(routing, wrong.hotel_code, locale)), show_alert=True
        )
        return
    except CheckInRefused as refused:
        text = _("Not checked in: the certificate is no longer valid ({status}).")
        await query.answer(text.format(status=_(STATUS_WORDS[refused.status])), show_alert=True)
        return
    record = outcome.check_in
    where = hotel_name(routing, record.hotel_code, locale)
    when = china_time(record.at)
    if not outcome.newly:
        text = _("{serial} was already checked in at {hotel} on {time} (China time).")
        await query.answer(
            text.format(serial=record.serial, hotel=where, time=when), show_alert=True
        )
        return
    log.info("certificate %s checked in at %s", record.serial, record.hotel_code)
    await query.answer()
    if isinstance(query.message, Message):
        await drop_buttons(query.message)
        await query.message.answer(
            _("✅ {serial} is checked in at {hotel} on {time} (China time).").format(
                serial=record.serial, hotel=where, time=when
            )
        )


async def revoke(
    message: Message,
    command: CommandObject,
    bot: Bot,
    certificates: CertificateService,
    checkins: CheckInService,
    authorization: Authorization,
    outbox: Outbox,
    i18n: I18n,
) -> None:
    user = message.from_user
    if user is None:
        return
    if not authorization.is_admin(user.id) and not await authorization.is_verifier(user.id):
        authorization.refused(Actor(user.id, user.full_name), "/revoke", "certificates", "no role")
        await message.answer(_("Only verifiers and administrators can revoke certificates."))
        return
    parts = (command.args or "").split(maxsplit=1)
    if not parts or not SERIAL.match(parts[0]):
        await message.answer(
            _(
                "Send /revoke with the serial and the reason, for example: "
                "/revoke C2026-000001 the details do not match the guest"
            )
        )
        return
    serial = parts[0].upper()
    reason = parts[1].strip() if len(parts) > 1 else ""
    if not reason:
        await message.answer(
            _("Please give the reason too: /revoke {serial} and why.").format(serial=serial)
        )
        return
    try:
        revocation = await certificates.revoke(serial, reason)
    except CertificateNotFound:
        await message.answer(_("There is no certificate {serial}.").format(serial=serial))
        return
    certificate = revocation.certificate
    if not revocation.newly:
        assert certificate.revoked_at is not None
        await message.answer(
            _("Certificate {serial} was already revoked on {time} (China time).").format(
                serial=serial, time=china_time(certificate.revoked_at)
            )
        )
        return
    log.info("user %s revoked certificate %s", user.id, serial)
    await message.answer(_("Certificate {serial} is revoked.").format(serial=serial))
    tourist = await checkins.tourist_of(certificate)
    if tourist is not None:
        chat_id, locale = tourist
        notice = i18n.gettext(
            "Your accommodation certificate {serial} has been revoked: {reason}\n\n"
            "If you think this is a mistake, apply again or ask the local police station.",
            locale=locale,
        ).format(serial=serial, reason=reason)
        await outbox.send(
            Outgoing.text(
                chat_id, notice, priority=Priority.URGENT, reference=f"certificate:{serial}"
            )
        )


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher.

    Comes before the residents' router, which takes any plain text as a new report.
    """
    router = Router(name="frontdesk")
    router.message.register(revoke, Command("revoke"))
    router.callback_query.register(check_in, CheckInButton.filter())
    private = F.chat.type == "private"
    router.message.register(take_photo, private, StateFilter(None), F.photo, ~F.reply_to_message)
    typed = F.text & ~F.text.startswith("/")
    router.message.register(take_code, private, StateFilter(None), typed, looks_like_a_certificate)
    return router
