"""The invited resident's side: choose an option (again, to change it), write or speak an
opinion, and rate the decision once carried out. Each press is checked against the invitation
list and the deadline by services/deliberation, never trusted for where it came from."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.deliberation_live import LiveView
from handlers.deliberation_notices import LETTERS, Ballot, Opine, Satisfaction, tally_lines
from handlers.gates import NOT_A_COMMAND, PRIVATE
from handlers.statuses import local_time
from services.board import Board
from services.deliberation import (
    DeliberationError,
    DeliberationService,
    NotFound,
    NotInvited,
    StaleRound,
    VotingClosed,
)
from services.deliberation_outcome import DeliberationOutcome


class OpinionFlow(StatesGroup):
    words = State()  # the resident's next message: text or voice


def refusal(error: DeliberationError) -> str:
    if isinstance(error, NotInvited):
        return _("You are not invited to this consultation, so you cannot vote in it.")
    if isinstance(error, VotingClosed):
        return _("Voting on this consultation has closed. Your press was not counted.")
    if isinstance(error, StaleRound):
        return _(
            "This ballot is from an earlier round: the consultation was corrected and is in "
            "round {round} now. Use the newer message."
        ).format(round=error.current)
    if isinstance(error, NotFound):
        return _("This consultation no longer exists.")
    return _("That cannot be done now.")


async def choose(
    query: CallbackQuery,
    callback_data: Ballot,
    deliberation: DeliberationService,
    settings: Settings,
    live_tally: LiveView,
) -> None:
    try:
        receipt = await deliberation.choose(
            callback_data.consultation_id,
            callback_data.round,
            query.from_user.id,
            callback_data.option,
        )
    except DeliberationError as error:
        await query.answer(refusal(error), show_alert=True)
        return
    await query.answer()
    await live_tally.refresh(only=callback_data.consultation_id)
    consultation = receipt.consultation
    letter = LETTERS[receipt.choice or 0]
    when = local_time(receipt.recorded_at, settings.zone)
    if receipt.previous is None:
        words = _("✅ Your choice: {letter}, recorded at {time}.").format(letter=letter, time=when)
    elif receipt.previous == receipt.choice:
        words = _("✅ Your choice is still {letter}, recorded at {time}.").format(
            letter=letter, time=when
        )
    else:
        words = _("✅ Your choice is now {letter} (it was {before}), recorded at {time}.").format(
            letter=letter, before=LETTERS[receipt.previous], time=when
        )
    words += " " + _("You can change it until the deadline.")
    if receipt.tally is not None:
        words += (
            "\n\n" + _("The tally so far:") + "\n" + tally_lines(consultation, receipt.tally, _)
        )
    if isinstance(query.message, Message):
        await query.message.answer(words)


async def ask_opinion(
    query: CallbackQuery,
    callback_data: Opine,
    state: FSMContext,
    deliberation: DeliberationService,
) -> None:
    try:  # refuse at once whoever may not speak here, rather than after they wrote
        consultation = await deliberation.get(callback_data.consultation_id)
        await deliberation.check_voter(consultation, query.from_user.id)
    except DeliberationError as error:
        await query.answer(refusal(error), show_alert=True)
        return
    await state.set_state(OpinionFlow.words)
    await state.update_data(dl_opinion=callback_data.consultation_id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            _(
                "Write your opinion in your next message, as text or a voice message. Staff "
                "read it as “Resident” and a number, without your name."
            )
        )


async def opinion(
    message: Message,
    state: FSMContext,
    deliberation: DeliberationService,
    settings: Settings,
    live_tally: LiveView,
) -> None:
    cid = int((await state.get_data()).get("dl_opinion") or 0)
    if not message.text and not message.voice:
        await message.answer(_("An opinion is text or a voice message. Send it again."))
        return
    await state.clear()
    assert message.from_user is not None
    try:
        receipt = await deliberation.opine(
            cid,
            message.from_user.id,
            message.text,
            message.voice.file_id if message.voice else None,
        )
    except DeliberationError as error:
        await message.answer(refusal(error))
        return
    await live_tally.refresh(only=cid)
    await message.answer(
        _(
            "📝 Your opinion is recorded at {time}. A new one replaces it until the deadline."
        ).format(time=local_time(receipt.recorded_at, settings.zone))
    )


async def rate(
    query: CallbackQuery,
    callback_data: Satisfaction,
    deliberation_outcome: DeliberationOutcome,
    board: Board,
    live_tally: LiveView,
) -> None:
    try:
        await deliberation_outcome.rate(
            callback_data.consultation_id, query.from_user.id, callback_data.stars
        )
    except NotInvited as error:
        await query.answer(refusal(error), show_alert=True)
        return
    except DeliberationError:
        await query.answer(_("Rating opens once the decision is carried out."), show_alert=True)
        return
    board.forget()  # the board shows the new average
    await query.answer()
    await live_tally.refresh(only=callback_data.consultation_id)
    if isinstance(query.message, Message):
        await query.message.answer(_("Thank you for your rating."))


def router() -> Router:
    router = Router(name="deliberation_vote")
    router.callback_query.register(choose, Ballot.filter())
    router.callback_query.register(ask_opinion, Opine.filter())
    router.callback_query.register(rate, Satisfaction.filter())
    router.message.register(opinion, PRIVATE, StateFilter(OpinionFlow.words), NOT_A_COMMAND)
    return router
