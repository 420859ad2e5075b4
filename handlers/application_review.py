"""The review: verifiers approve or decline applications in their chat, and see the figures."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from aiogram import F, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.application_notices import ApplicationTelegramNotices, Review
from handlers.gates import GROUPS
from handlers.menu import (
    N_,
)
from handlers.roles import hotel_name
from services.application_contract import (
    LAPSED,
    AlreadyDecided,
    ApplicationError,
    StayOver,
    Verifier,
)
from services.applications import ApplicationService
from services.authorization import Actor, Authorization
from services.identity import InvalidDocument
from services.review_queue import Figures, ReviewQueue
from services.routing import Routing

log = logging.getLogger(__name__)
REJECT_REASONS = {
    "details_mismatch": N_("The details do not match the document."),
    "photo_unclear": N_("The photo is unclear."),
}
STAY_OVER = N_(
    "The dates of your stay are already past. Correct them (the day you arrive and the nights) "
    "and send the application again."
)
SEED_WAIT_MINUTES = 93  # the seed's Wuzhen tourist: submitted 06:25, certificate 07:58
REASON_LIMIT = 400  # a written reason for declining, as the tourist reads it


class VerifierChat(Filter):
    """In the chat whose members review applications."""

    async def __call__(self, message: Message, verifier_chat_id: int | None) -> bool:
        return message.chat.id == verifier_chat_id


class RejectWithWords(StatesGroup):
    writing = State()


def verifier_of(query: CallbackQuery) -> Verifier:
    return Verifier(query.from_user.id, query.from_user.full_name)


async def review(
    query: CallbackQuery,
    callback_data: Review,
    state: FSMContext,
    applications: ApplicationService,
    application_notices: ApplicationTelegramNotices,
    i18n: I18n,
    authorization: Authorization,
) -> None:
    actor = Actor(query.from_user.id, query.from_user.full_name)
    target = f"application {callback_data.application_id}"
    if not await authorization.may_review(actor, f"review:{callback_data.action}", target):
        await query.answer(_("Only verifiers can decide applications."), show_alert=True)
        return
    message = query.message
    if not isinstance(message, Message):  # too old for Telegram to show us
        await query.answer(_("This card is too old to use."), show_alert=True)
        return
    application_id = callback_data.application_id
    locale = i18n.current_locale
    if callback_data.action == "reject":
        await query.answer()
        reasons = [
            [
                InlineKeyboardButton(
                    text=_(label),
                    callback_data=Review(
                        action="reason", application_id=application_id, reason=code
                    ).pack(),
                )
            ]
            for code, label in REJECT_REASONS.items()
        ]
        reasons.append(
            [
                InlineKeyboardButton(
                    text=_("Other (write it)"),
                    callback_data=Review(
                        action="reason", application_id=application_id, reason="other"
                    ).pack(),
                )
            ]
        )
        reasons.append(
            [
                InlineKeyboardButton(
                    text="⬅️ " + _("Back"),
                    callback_data=Review(action="back", application_id=application_id).pack(),
                )
            ]
        )
        await message.edit_reply_markup(reply_markup=InlineKeyboardMarkup(inline_keyboard=reasons))
        return
    if callback_data.action == "back":
        await query.answer()
        await message.edit_reply_markup(
            reply_markup=InlineKeyboardMarkup.model_validate(
                application_notices.review_buttons(application_id, locale)
            )
        )
        return
    if callback_data.action == "reason" and callback_data.reason == "other":
        await query.answer()
        await state.set_state(RejectWithWords.writing)
        await state.update_data(application_id=application_id)
        await message.reply(_("Write the reason for declining; the tourist will read it."))
        return
    try:
        if callback_data.action == "approve":
            try:
                issued = await applications.approve(application_id, verifier_of(query))
            except StayOver:  # ask the tourist to correct the dates, not a dead certificate
                await applications.reject(application_id, verifier_of(query), STAY_OVER)
                await query.answer(
                    _(
                        "Not issued: the stay is already over. The tourist is asked to correct "
                        "the dates and send the application again."
                    ),
                    show_alert=True,
                )
                return
            note = _("✅ Approved by {name}: certificate {serial}").format(
                name=query.from_user.full_name, serial=issued.certificate.serial
            )
        else:
            reason = REJECT_REASONS[callback_data.reason]  # the tourist reads it in their language
            await applications.reject(application_id, verifier_of(query), reason)
            note = _("❌ Declined by {name}: {reason}").format(
                name=query.from_user.full_name, reason=_(reason)
            )
    except AlreadyDecided as decided:
        await query.answer(already_decided(decided, applications), show_alert=True)
        return
    except (ApplicationError, InvalidDocument, ValueError) as error:
        log.warning("application %s could not be decided: %s", application_id, error)
        await query.answer(
            _("This application cannot be approved: {error}").format(error=error), show_alert=True
        )
        return
    await query.answer(note)  # the card itself is edited down to a summary (the outbox)


def already_decided(decided: AlreadyDecided, applications: ApplicationService) -> str:
    if decided.status == LAPSED:
        return _("This application lapsed: nobody decided it within {days} days.").format(
            days=applications.undecided_days
        )
    return _("Already decided by {name}.").format(name=decided.by)


async def reject_with_words(
    message: Message,
    state: FSMContext,
    applications: ApplicationService,
    authorization: Authorization,
) -> None:
    data = await state.get_data()
    await state.clear()
    assert message.from_user is not None
    actor = Actor(message.from_user.id, message.from_user.full_name)
    target = f"application {data.get('application_id')}"
    if not await authorization.may_review(actor, "review:reason", target):  # lost the role since
        await message.reply(_("Only verifiers can decide applications."))
        return
    written = (message.text or "").strip()
    reason = written[:REASON_LIMIT]
    assert message.from_user is not None
    try:
        await applications.reject(
            int(data["application_id"]),
            Verifier(message.from_user.id, message.from_user.full_name),
            reason,
        )
    except AlreadyDecided as decided:
        await message.reply(already_decided(decided, applications))
        return
    note = _("❌ Declined by {name}: {reason}").format(
        name=message.from_user.full_name, reason=reason
    )
    if len(written) > REASON_LIMIT:
        note += "\n\n" + _(
            "The reason was cut to its first {limit} characters; the tourist reads only those."
        ).format(limit=REASON_LIMIT)
    await message.reply(note)


def minutes(value: timedelta | None) -> str:
    return "—" if value is None else f"{value.total_seconds() / 60:.0f} min"


def figures_line(label: str, figures: Figures) -> str:
    return _("{label}: {count} certificates, median {median}, 90% within {p90}").format(
        label=label, count=figures.count, median=minutes(figures.median), p90=minutes(figures.p90)
    )


async def review_stats(
    message: Message,
    applications: ApplicationService,
    review_queue: ReviewQueue,
    authorization: Authorization,
) -> None:
    assert message.from_user is not None
    actor = Actor(message.from_user.id, message.from_user.full_name)
    if not await authorization.may_review(actor, "/stats", "applications"):
        await message.answer(_("Only verifiers can see the figures of applications."))
        return
    now = datetime.now(UTC)
    since = now - timedelta(days=30)
    stats = await applications.review_stats(since=since)
    delivery = await review_queue.delivery_stats(since)
    lines = [
        _(
            "📊 Applications in the last 30 days: {submitted} submitted, {approved} approved, "
            "{rejected} declined, {waiting} waiting.\n"
            "Review time: median {median}, 90% within {p90}."
        ).format(
            submitted=stats.submitted,
            approved=stats.approved,
            rejected=stats.rejected,
            waiting=stats.waiting,
            median=minutes(stats.median_review),
            p90=minutes(stats.p90_review),
        ),
        "",
        _(
            "From submission to the certificate in the tourist's chat (the seed waited {seed} min):"
        ).format(seed=SEED_WAIT_MINUTES),
        figures_line(_("All"), delivery.overall),
    ]
    lines += [figures_line(day.isoformat(), figures) for day, figures in delivery.by_day[:7]]
    lines += [figures_line(name, figures) for name, figures in delivery.by_reviewer[:10]]
    await message.answer("\n".join(lines))


async def pending(
    message: Message,
    review_queue: ReviewQueue,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    """Undecided applications, oldest first, with how long each has waited: verifiers only."""
    assert message.from_user is not None
    actor = Actor(message.from_user.id, message.from_user.full_name)
    if not await authorization.may_review(actor, "/pending", "applications"):
        await message.answer(_("Only verifiers can see the applications waiting."))
        return
    waiting = await review_queue.pending(datetime.now(UTC))
    if not waiting:
        await message.answer(_("No application is waiting for a decision."))
        return
    lines = [_("⏳ Waiting for a decision, oldest first:")]
    for each in waiting[:50]:
        lines.append(
            _("A{id} · {name} · {hotel} · waiting {minutes} min").format(
                id=each.application_id,
                name=each.masked_name,
                hotel=hotel_name(routing, each.hotel_code, i18n.current_locale),
                minutes=int(each.waited.total_seconds() // 60),
            )
        )
    if len(waiting) > 50:
        lines.append(_("…and {more} more.").format(more=len(waiting) - 50))
    await message.answer("\n".join(lines))


def router() -> Router:
    """Verifiers' buttons and commands; a new Router for every Dispatcher."""
    router = Router(name="application-review")
    router.callback_query.register(review, Review.filter())
    router.message.register(reject_with_words, StateFilter(RejectWithWords.writing), F.text)
    router.message.register(review_stats, GROUPS, Command("stats"), VerifierChat())
    router.message.register(pending, Command("pending"))
    return router
