"""The lawyers' chat: take a question, answer its asker through the relay, offer a consultation.

Every press and every message is asked of services/legal_duty.py at that moment: a lawyer of
the roster who is in the lawyers' chat now. Taking also needs the lawyer on duty today; only
the lawyer who took a question writes to its asker, who reads "Lawyer on duty".
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from aiogram import Router
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.gates import NOT_A_COMMAND
from handlers.lawyer_notices import LegalAction, TelegramLegalNotices
from handlers.relayed import media_of, source_of, words_of
from handlers.staff_access import GROUPS, ChatLanguage, actor_of
from services.authorization import Actor
from services.legal import LegalDesk
from services.legal_bookings import Bookings
from services.legal_contract import AlreadyTaken, NotTaken, NotYours, QuestionNotFound, WrongState
from services.legal_duty import DutyRoster, Standing
from services.legal_hours import ServiceHours
from services.legal_routing import CurrentPoint, Lawyer
from services.models import LegalQuestion, utcnow


def today(zone: tzinfo, now: datetime | None = None) -> date:
    """The local day (TIMEZONE): duty and hours count by it."""
    return (now or utcnow()).astimezone(zone).date()


def refusal(standing: Standing) -> str:
    if standing is Standing.UNKNOWN:
        return _("Telegram could not say whether you are in the lawyers' chat; try again.")
    if standing is Standing.NO_POINT:
        return _("Legal advice is not offered here yet. Ask your street office.")
    return _("Only the service point's lawyers, in the lawyers' chat, can do that.")


class InLawyersChat(Filter):
    """A message in the lawyers' chat about a question: in its topic, or a reply to the bot's
    message about it. Hands the handler the `question`."""

    async def __call__(
        self, message: Message, current: CurrentPoint, legal: LegalDesk
    ) -> bool | dict[str, Any]:
        point = current.point
        if point is None or message.chat.id != point.chat_id:
            return False
        question = None
        if message.is_topic_message and message.message_thread_id is not None:
            question = await legal.by_topic(message.chat.id, message.message_thread_id)
        replied = message.reply_to_message
        bot_message = (
            replied is not None and replied.from_user is not None and replied.from_user.is_bot
        )
        if question is None and replied is not None and bot_message:
            question = await legal.by_bot_message(message.chat.id, replied.message_id)
        return {"question": question} if question is not None else False


async def lawyer_pressing(query: CallbackQuery, duty: DutyRoster, action: str) -> Lawyer | None:
    standing, lawyer = await duty.standing(
        Actor(query.from_user.id, query.from_user.full_name), action
    )
    if standing is not Standing.LAWYER or lawyer is None:
        await query.answer(refusal(standing), show_alert=True)
        return None
    return lawyer


async def legal_action(
    query: CallbackQuery,
    callback_data: LegalAction,
    legal: LegalDesk,
    duty: DutyRoster,
    bookings: Bookings,
    hours: ServiceHours,
    legal_notices: TelegramLegalNotices,
    settings: Settings,
) -> None:
    lawyer = await lawyer_pressing(query, duty, callback_data.action)
    if lawyer is None:
        return
    name = lawyer.name
    try:
        question = await legal.get(callback_data.question_id)
        if callback_data.action == "take":
            if not await duty.is_on_duty(lawyer.user_id, today(settings.zone)):
                await query.answer(
                    _(
                        "You are not on duty today. Send /duty on in the lawyers' chat to go on "
                        "duty, then take it."
                    ),
                    show_alert=True,
                )
                return
            question = await legal.take(question.id or 0, lawyer.user_id, lawyer.name)
            await mark_card(
                query, _("🙋 Taken by {name}").format(name=name), question, legal_notices
            )
        elif callback_data.action == "answered":
            question = await legal.mark_answered(question.id or 0, lawyer.user_id)
            await mark_card(
                query, _("✅ Answered by {name}").format(name=name), question, legal_notices
            )
        elif callback_data.action == "offer":
            if question.lawyer_id != lawyer.user_id:
                raise NotYours()
            slots = await bookings.offer(question.id or 0, utcnow())
            await query.answer(
                _("Offered {count} times to the asker of {number}.").format(
                    count=len(slots), number=question.number
                )
            )
        else:
            minutes = callback_data.minutes
            await hours.record(
                lawyer.user_id, lawyer.name, minutes, today(settings.zone), question.id
            )
            await query.answer(
                _("⏱ Recorded {minutes} min for {number}.").format(
                    minutes=minutes, number=question.number
                ),
                show_alert=True,
            )
    except QuestionNotFound:
        await query.answer(_("This question no longer exists."), show_alert=True)
    except AlreadyTaken as taken:
        await query.answer(
            _("{name} has already taken this question.").format(name=taken.by), show_alert=True
        )
    except NotTaken:
        await query.answer(_("Take the question first."), show_alert=True)
    except NotYours:
        await query.answer(
            _("Only the lawyer who took this question can do that."), show_alert=True
        )
    except (WrongState, ValueError):
        await query.answer(_("That has been done already."), show_alert=True)


async def mark_card(
    query: CallbackQuery, note: str, question: LegalQuestion, notices: TelegramLegalNotices
) -> None:
    await query.answer(_("Done: {number}").format(number=question.number))
    message = query.message
    if isinstance(message, Message) and message.text is not None:
        await message.edit_text(
            f"{message.text}\n\n{note}",
            reply_markup=InlineKeyboardMarkup.model_validate(
                notices.lawyer_buttons(question, True)
            ),
        )


async def relay_to_asker(
    message: Message, question: LegalQuestion, legal: LegalDesk, duty: DutyRoster
) -> None:
    """A lawyer writes in the question's topic or replies to it: the asker gets it, signed
    "Lawyer on duty". A message starting with "!" stays in the chat."""
    if message.from_user is None:
        return
    standing, lawyer = await duty.standing(actor_of(message), "answer")
    if standing is not Standing.LAWYER or lawyer is None:
        await message.reply(
            _(
                "Only the lawyer who took question {number} can write to its asker; "
                "this was not sent."
            ).format(number=question.number)
        )
        return
    words = words_of(message)
    if words.startswith("!"):
        note = words[1:].strip()
        await legal.note(question.id or 0, lawyer.user_id, lawyer.name, note)
        shown = _("🔒 Internal note on {number}, kept for the lawyers; the asker does not see it:")
        await message.reply(f"{shown.format(number=question.number)}\n{note}")
        return
    media = media_of(message)
    if not words and media is None:
        await message.reply(_("This kind of message cannot be passed on to the asker."))
        return
    try:
        await legal.reply_from_lawyer(
            question.id or 0, lawyer.user_id, words, media, source_of(message)
        )
    except NotTaken:
        await message.reply(
            _("Take question {number} first (🙋 Take on its card); this was not sent.").format(
                number=question.number
            )
        )
        return
    except NotYours:
        await message.reply(
            _(
                "Question {number} was taken by {name}; only they answer its asker. "
                "This was not sent."
            ).format(number=question.number, name=question.lawyer_name or "")
        )
        return
    await message.reply(
        _("✉️ Sent to the asker of {number}, signed “Lawyer on duty”.").format(
            number=question.number
        )
    )


async def edit_in_chat(message: Message, legal: LegalDesk, duty: DutyRoster) -> None:
    """The lawyer edited what the asker read: the asker's copy follows (asked again now)."""
    source = source_of(message)
    question = await legal.relayed_question(source)
    if question is None or message.from_user is None:
        return
    standing, lawyer = await duty.standing(actor_of(message), "edit")
    if standing is not Standing.LAWYER or lawyer is None or lawyer.user_id != question.lawyer_id:
        return
    await legal.edit_relayed(source, words_of(message))


def router() -> Router:
    router = Router(name="lawyer-desk")
    for observer in (router.message, router.edited_message, router.callback_query):
        observer.middleware(ChatLanguage())
    router.callback_query.register(legal_action, LegalAction.filter())
    router.message.register(relay_to_asker, GROUPS, NOT_A_COMMAND, InLawyersChat())
    router.edited_message.register(edit_in_chat, GROUPS, InLawyersChat())
    return router
