"""Checking a certificate in the bot: a photo of its QR code, or its link or code as text.

Anyone gets the public status (the same as the /v/ page). A front desk, asked of Authorization
at each step, gets what the console shows (handlers.miniapp_desk): for a certificate of its own
hotel valid today the holder's reviewed selfie, full name and the document's last four; Check
in, Check out and Undo (with a reason) buttons; /today for today's arrivals; and a warning, also
told to the verifiers, for another hotel's certificate or a stale live code.
"""

from __future__ import annotations

import asyncio
import logging
import re

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.types import (
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers import frontdesk_actions, revocation
from handlers.desk_words import (
    HOLDER_SEEN,
    NO_SELFIE,
    actions,
    flag_for_verifiers,
    standing_of,
    warning,
)
from handlers.frontdesk_actions import desk_buttons
from handlers.gates import PRIVATE, TYPED, Inline
from handlers.roles import china_time, hotel_name
from handlers.verification import DOCUMENT_NAMES, STATUS_MEANINGS, STATUS_WORDS, code_note
from services.authorization import Authorization
from services.certificate_token import Status, Verification
from services.certificates import CertificateService, Channel, token_from_text
from services.checkins import (
    CheckInService,
    DeskAnswer,
    qr_texts,
)
from services.outbox import Outbox
from services.routing import Routing

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
    outbox: Outbox,
    verifier_chat_id: int | None,
) -> None:
    token = token_from_text(raw) or raw.strip()
    locale = i18n.current_locale
    desk = await authorization.frontdesk_hotel(message.from_user.id) if message.from_user else None
    if desk is None or message.from_user is None:
        result = await certificates.verify(token, Channel.BOT)
        await message.answer(describe(result, routing, locale))
        return
    answer = await checkins.at_desk(token, desk)
    await tell_desk(message, answer, desk, routing, locale)
    verifiers = i18n.default_locale
    await flag_for_verifiers(
        answer,
        desk_hotel=desk,
        desk_user=message.from_user.id,
        outbox=outbox,
        verifier_chat_id=verifier_chat_id,
        routing=routing,
        locale=verifiers,
        _=lambda text: i18n.gettext(text, locale=verifiers),
    )


async def tell_desk(
    message: Message, answer: DeskAnswer, desk: str, routing: Routing, locale: str
) -> None:
    """The status; for its own hotel's valid certificate the holder and the selfie; buttons."""
    result = answer.result
    text = describe(result, routing, locale)
    if warned := warning(answer, desk, routing, locale, _):
        text += "\n\n" + warned
    if answer.check_in is not None:
        text += "\n\n" + standing_of(answer.check_in, routing, locale, _)
    holder = answer.holder
    if holder is not None:
        last4 = _("last four: {last4}").format(last4=holder.document_last4)
        text += "\n\n" + field(_("Full name"), holder.full_name)
        text += "\n" + field(_("Document"), last4)
        text += "\n" + (_(HOLDER_SEEN) if holder.selfie_file_id else _(NO_SELFIE))
        if holder.selfie_file_id:  # Telegram's own copy, sent by its id: nothing stored here
            await message.answer_photo(holder.selfie_file_id, caption=holder.full_name)
    markup = None
    if result.claims is not None:
        may = result.claims.hotel == desk and result.status is Status.VALID
        markup = desk_buttons(
            result.claims.serial, actions(answer.check_in, desk, may_check_in=may)
        )
    await message.answer(text, reply_markup=markup)


async def take_photo(
    message: Message,
    bot: Bot,
    certificates: CertificateService,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
    outbox: Outbox,
    verifier_chat_id: int | None,
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
    await answer_verification(
        message, raw, certificates, checkins, authorization, routing, i18n, outbox, verifier_chat_id
    )


async def take_code(
    message: Message,
    certificates: CertificateService,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
    outbox: Outbox,
    verifier_chat_id: int | None,
) -> None:
    assert message.text is not None
    await answer_verification(
        message,
        message.text,
        certificates,
        checkins,
        authorization,
        routing,
        i18n,
        outbox,
        verifier_chat_id,
    )


async def looks_like_a_certificate(message: Message, authorization: Authorization) -> bool:
    """A link or code of a certificate; from a front desk, anything code-like is checked too."""
    raw = (message.text or "").strip()
    if token_from_text(raw):
        return True
    if message.from_user is None or not CODE_LIKE.match(raw):
        return False
    return await authorization.frontdesk_hotel(message.from_user.id) is not None


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher.

    Comes before the residents' router, which takes any plain text as a new report.
    """
    router = Router(name="frontdesk")
    router.include_router(revocation.router())
    router.include_router(frontdesk_actions.router())
    private = PRIVATE
    not_a_reply = Inline(~F.reply_to_message)
    router.message.register(take_photo, private, StateFilter(None), Inline(F.photo), not_a_reply)
    router.message.register(take_code, private, StateFilter(None), TYPED, looks_like_a_certificate)
    return router
