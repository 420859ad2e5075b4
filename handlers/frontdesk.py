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
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers import revocation
from handlers.desk_words import (
    HOLDER_SEEN,
    NO_SELFIE,
    actions,
    flag_for_verifiers,
    standing_of,
    warning,
)
from handlers.menu import drop_buttons
from handlers.roles import china_time, hotel_name
from handlers.verification import DOCUMENT_NAMES, STATUS_MEANINGS, STATUS_WORDS, code_note
from services.authorization import Actor, Authorization
from services.certificates import CertificateNotFound, CertificateService, Channel, token_from_text
from services.checkins import (
    CheckInRefused,
    CheckInService,
    DeskAnswer,
    NotCheckedIn,
    WrongHotel,
    qr_texts,
)
from services.outbox import Outbox
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


class CheckInButton(CallbackData, prefix="ci"):
    serial: str


class DeskButton(CallbackData, prefix="dk"):
    action: str  # checkout, undo
    serial: str


class UndoReason(StatesGroup):
    writing = State()


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


def desk_buttons(serial: str, allowed: list[str]) -> InlineKeyboardMarkup | None:
    labels = {
        "checkin": _("✅ Check in"),
        "checkout": _("Check out"),
        "undo": _("Undo the check-in"),
    }
    row = [
        InlineKeyboardButton(
            text=labels[action],
            callback_data=(
                CheckInButton(serial=serial)
                if action == "checkin"
                else DeskButton(action=action, serial=serial)
            ).pack(),
        )
        for action in allowed
    ]
    return InlineKeyboardMarkup(inline_keyboard=[row]) if row else None


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


async def desk_now(
    query: CallbackQuery | Message, authorization: Authorization, what: str
) -> str | None:
    """The hotel of the person acting, asked now; None (and they are told) if not a desk."""
    user = query.from_user
    assert user is not None
    desk = await authorization.frontdesk_hotel(user.id)
    if desk is None:
        authorization.refused(
            Actor(user.id, user.full_name), what, "front desk", "not a front desk"
        )
        refusal = _("This button is for the hotel's front desk only.")
        if isinstance(query, CallbackQuery):
            await query.answer(refusal, show_alert=True)
        else:
            await query.answer(refusal)
    return desk


async def check_in(
    query: CallbackQuery,
    callback_data: CheckInButton,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    locale = i18n.current_locale
    desk = await desk_now(query, authorization, f"check in {callback_data.serial}")
    if desk is None:
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
            ),
            reply_markup=desk_buttons(record.serial, actions(record, desk, may_check_in=False)),
        )


async def desk_action(
    query: CallbackQuery,
    callback_data: DeskButton,
    state: FSMContext,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    serial = callback_data.serial
    desk = await desk_now(query, authorization, f"{callback_data.action} {serial}")
    if desk is None or not isinstance(query.message, Message):
        return
    if callback_data.action == "undo":
        await query.answer()
        await state.set_state(UndoReason.writing)
        await state.update_data(serial=serial)
        await query.message.answer(
            _("Why is the check-in of {serial} wrong? Write the reason.").format(serial=serial)
        )
        return
    try:
        record = await checkins.check_out(serial, hotel_code=desk, user_id=query.from_user.id)
    except NotCheckedIn as missing:
        await query.answer(not_checked_in(missing, routing, i18n.current_locale), show_alert=True)
        return
    await query.answer()
    await drop_buttons(query.message)
    text = f"{record.serial}: {standing_of(record, routing, i18n.current_locale, _)}"
    await query.message.answer(
        text, reply_markup=desk_buttons(record.serial, actions(record, desk, may_check_in=False))
    )


def not_checked_in(missing: NotCheckedIn, routing: Routing, locale: str) -> str:
    text = _("{serial} has no open check-in at your hotel.").format(serial=missing.serial)
    if missing.standing is not None:
        text += " " + standing_of(missing.standing, routing, locale, _)
    return text


async def undo_with_reason(
    message: Message,
    state: FSMContext,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    serial = str((await state.get_data()).get("serial", ""))
    await state.clear()
    desk = await desk_now(message, authorization, f"undo {serial}")
    reason = (message.text or "").strip()
    if desk is None or message.from_user is None:
        return
    try:
        await checkins.undo(serial, hotel_code=desk, user_id=message.from_user.id, reason=reason)
    except NotCheckedIn as missing:
        await message.answer(not_checked_in(missing, routing, i18n.current_locale))
        return
    log.info("check-in of %s undone at %s", serial, desk)
    await message.answer(
        _("The check-in of {serial} is undone; the reason is on record.").format(serial=serial)
    )


async def today(
    message: Message,
    checkins: CheckInService,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    desk = await desk_now(message, authorization, "/today")
    if desk is None:
        return
    locale = i18n.current_locale
    arrivals = await checkins.arrivals(desk)
    hotel = hotel_name(routing, desk, locale)
    if not arrivals:
        await message.answer(_("Nobody is due to arrive today.") + f" ({hotel})")
        return
    lines = [_("Arriving today") + f" · {hotel}"]
    for arrival in arrivals:
        state = _("not checked in")
        if arrival.check_in is not None:
            state = standing_of(arrival.check_in, routing, locale, _)
        lines.append(f"• {arrival.serial} · {arrival.holder_masked} · {state}")
    await message.answer("\n".join(lines))


def router() -> Router:
    """Wires this module's handlers; a new Router for every Dispatcher.

    Comes before the residents' router, which takes any plain text as a new report.
    """
    router = Router(name="frontdesk")
    router.include_router(revocation.router())
    router.callback_query.register(check_in, CheckInButton.filter())
    router.callback_query.register(desk_action, DeskButton.filter())
    private = F.chat.type == "private"
    router.message.register(today, private, Command("today"))
    router.message.register(undo_with_reason, private, UndoReason.writing, F.text)
    router.message.register(take_photo, private, StateFilter(None), F.photo, ~F.reply_to_message)
    typed = F.text & ~F.text.startswith("/")
    router.message.register(take_code, private, StateFilter(None), typed, looks_like_a_certificate)
    return router
