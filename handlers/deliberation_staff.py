"""A consultation in its staff chat: `/consult N` (the tally and opinions as they come, by
pseudonym), the export, a correction, `/decide N` (the decision with its reasons), and
"carried out". Every action asks services/authorization about whoever acts, at that moment,
and only in the consultation's own chat (an admin anywhere)."""

from __future__ import annotations

import csv
import io

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers import deliberation_form as form
from handlers.deliberation_access import ConsultForm
from handlers.deliberation_notices import (
    LETTERS,
    StaffAct,
    deadline_text,
    staff_buttons,
    tally_lines,
)
from handlers.gates import TYPED
from handlers.menu import N_
from handlers.staff_access import actor_of
from services.authorization import Actor, Authorization
from services.board import Board
from services.deliberation import (
    CLOSED,
    OPEN,
    DeliberationError,
    DeliberationService,
    NotFound,
    WrongStatus,
)
from services.deliberation_outcome import DeliberationOutcome
from services.models import Consultation, as_utc, utcnow


class DecideFlow(StatesGroup):
    decision = State()  # the next message of whoever asked to publish the decision


STATUS = {
    "open": N_("open until {deadline}"),
    "closed": N_("closed at {deadline}, waiting for the decision"),
    "decided": N_("decided"),
    "done": N_("decided and carried out"),
}


async def allowed(
    consultation_id: int,
    actor: Actor,
    chat_id: int,
    deliberation: DeliberationService,
    authorization: Authorization,
) -> Consultation | str:
    """The consultation if this person may run it from this chat now; else what to say."""
    try:
        consultation = await deliberation.get(consultation_id)
    except NotFound:
        return _("There is no consultation {id}.").format(id=consultation_id)
    if authorization.is_admin(actor.user_id):
        return consultation
    if chat_id != consultation.chat_id:
        authorization.refused(actor, "consultation", f"{consultation_id}", "another chat")
        return _("Consultation {id} is run from another team's chat.").format(id=consultation_id)
    if await authorization.staff_scope(consultation.chat_id, actor) is None:
        authorization.refused(actor, "consultation", f"{consultation_id}", "not its staff")
        return _("Only the staff of this chat can do that.")
    return consultation


async def staff_view(
    consultation: Consultation, deliberation: DeliberationService, settings: Settings
) -> str:
    """The question, the tally, and every opinion as "Resident N" (never a name)."""
    assert consultation.id is not None
    tally = await deliberation.tally(consultation.id)
    when = deadline_text(consultation.deadline, settings.zone)
    status = _(STATUS.get(consultation.status, consultation.status)).format(deadline=when)
    parts = [
        _("🗳 Consultation {id} · round {round} · {status}").format(
            id=consultation.id, round=consultation.round, status=status
        )
        + "\n"
        + consultation.question,
        tally_lines(consultation, tally, _),
        _("Residents see the tally while voting.")
        if consultation.show_tally
        else _("Residents see the tally only after the deadline."),
    ]
    said = []
    for opinion in await deliberation.opinions(consultation.id):
        if opinion.text:
            said.append(
                _("Resident {number}: {words}").format(number=opinion.number, words=opinion.text)
            )
        if opinion.voice_file_id:
            said.append(_("Resident {number}: 🎤 a voice opinion").format(number=opinion.number))
    parts.append(_("Opinions:") + "\n" + ("\n".join(said) if said else _("none yet")))
    if consultation.decision:
        parts.append(_("Decision:") + "\n" + consultation.decision)
    average, count = await deliberation.average_rating(consultation.id)
    if average is not None:
        parts.append(
            _("Satisfaction: {rating} of 5 ({count} ratings)").format(
                rating=f"{average:.1f}", count=count
            )
        )
    return "\n\n".join(parts)


async def consult(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    authorization: Authorization,
    deliberation: DeliberationService,
    deliberation_outcome: DeliberationOutcome,
    settings: Settings,
) -> None:
    """`/consult` opens the form; `/consult N` shows it; `/consult N export|edit`."""
    args = (command.args or "").split()
    if not args:
        await form.start(message, state, authorization)
        return
    if not args[0].isdigit():
        await message.answer(_("Write /consult to open one, or /consult 3 to see consultation 3."))
        return
    found = await allowed(
        int(args[0]), actor_of(message), message.chat.id, deliberation, authorization
    )
    if isinstance(found, str):
        await message.answer(found)
        return
    what = args[1] if len(args) > 1 else "refresh"
    await act(
        message, what, found, actor_of(message), state, deliberation, deliberation_outcome, settings
    )


async def pressed(
    query: CallbackQuery,
    callback_data: StaffAct,
    state: FSMContext,
    authorization: Authorization,
    deliberation: DeliberationService,
    deliberation_outcome: DeliberationOutcome,
    settings: Settings,
) -> None:
    if not isinstance(query.message, Message):
        await query.answer()
        return
    actor = Actor(query.from_user.id, query.from_user.full_name)
    found = await allowed(
        callback_data.consultation_id, actor, query.message.chat.id, deliberation, authorization
    )
    if isinstance(found, str):
        await query.answer(found, show_alert=True)
        return
    await query.answer()
    await act(
        query.message,
        callback_data.action,
        found,
        actor,
        state,
        deliberation,
        deliberation_outcome,
        settings,
    )


async def act(
    message: Message,
    action: str,
    consultation: Consultation,
    actor: Actor,
    state: FSMContext,
    deliberation: DeliberationService,
    deliberation_outcome: DeliberationOutcome,
    settings: Settings,
) -> None:
    assert consultation.id is not None
    cid = consultation.id
    if action == "export":
        await send_export(message, cid, deliberation_outcome)
    elif action in ("edit", "round"):
        await correct(message, consultation, action == "round", state, deliberation)
    elif action == "decide":
        if consultation.status == OPEN and as_utc(consultation.deadline) > utcnow():
            await message.answer(
                _("Voting is open until {deadline}: decide after it closes.").format(
                    deadline=deadline_text(consultation.deadline, settings.zone)
                )
            )
            return
        if consultation.status not in (OPEN, CLOSED):
            await message.answer(_("Consultation {id} is already decided.").format(id=cid))
            return
        await state.set_state(DecideFlow.decision)
        await state.update_data(dl_decide=cid)
        await message.answer(
            _(
                "📣 {name}, write the decision on consultation {id} in your next message, with "
                "its reasons. It goes to everyone invited, to the requests that raised it and "
                "onto the public board."
            ).format(name=actor.name, id=cid)
        )
    elif action == "done":
        try:
            consultation = await deliberation_outcome.carried_out(cid)
        except WrongStatus:
            await message.answer(_("Only a decided consultation can be marked carried out."))
            return
        await message.answer(
            _(
                "✅ Consultation {id} is marked carried out: everyone invited is asked how "
                "satisfied they are."
            ).format(id=cid)
        )
    else:
        await message.answer(
            await staff_view(consultation, deliberation, settings),
            reply_markup=InlineKeyboardMarkup(inline_keyboard=staff_buttons(consultation, _)),
        )


async def correct(
    message: Message,
    consultation: Consultation,
    new_round: bool,
    state: FSMContext,
    deliberation: DeliberationService,
) -> None:
    """Before the first choice: the form again. After it: refused, with a new round offered."""
    assert consultation.id is not None
    if consultation.status != OPEN:
        await message.answer(_("This consultation is closed: it can no longer be corrected."))
        return
    if not new_round and await deliberation.is_frozen(consultation.id):
        await message.answer(
            _(
                "Votes are in, so the question, options, who is invited and the deadline are "
                "frozen. A correction opens round {next}, and the choices made in round {round} "
                "will no longer count."
            ).format(next=consultation.round + 1, round=consultation.round),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("🔁 Open round {next}").format(next=consultation.round + 1),
                            callback_data=StaffAct(
                                action="round", consultation_id=consultation.id
                            ).pack(),
                        )
                    ]
                ]
            ),
        )
        return
    await state.set_state(ConsultForm.question)
    await state.set_data({"dl_editing": consultation.id, "dl_new_round": new_round})
    await message.answer(
        _("✏️ Correcting consultation {id}.").format(id=consultation.id)
        + " "
        + _("What is the question? For example: How should the village road be repaired?")
    )


async def send_export(
    message: Message, consultation_id: int, deliberation_outcome: DeliberationOutcome
) -> None:
    """A CSV of the round by pseudonym; a hidden tally stays hidden until the deadline."""
    export = await deliberation_outcome.export(consultation_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("Resident"), _("Choice"), _("Opinion"), _("Voice"), _("Recorded at")])
    hidden = _("hidden until the deadline")
    options = export.consultation.options
    for row in export.rows:
        if export.hidden:
            choice = hidden
        elif row.choice is None:
            choice = ""
        else:
            choice = f"{LETTERS[row.choice]}. {options[row.choice]}"
        writer.writerow(
            [
                row.number,
                choice,
                row.opinion,
                "yes" if row.voice else "",
                row.recorded_at.isoformat(),
            ]
        )
    if export.tally is not None:
        for index, option in enumerate(options):
            writer.writerow(["", f"{LETTERS[index]}. {option}", export.tally.counts[index], "", ""])
    data = buffer.getvalue().encode("utf-8-sig")  # spreadsheets read the Chinese right
    caption = _("Consultation {id}: the votes and opinions, by resident number.").format(
        id=consultation_id
    )
    if export.hidden:
        caption += " " + _("The choices are hidden until the deadline.")
    await message.answer_document(
        BufferedInputFile(data, filename=f"consultation-{consultation_id}.csv"), caption=caption
    )


async def decide_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    authorization: Authorization,
    deliberation: DeliberationService,
    deliberation_outcome: DeliberationOutcome,
    settings: Settings,
) -> None:
    number = (command.args or "").strip()
    if not number.isdigit():
        await message.answer(_("Write /decide and the consultation's number, such as /decide 3."))
        return
    actor = actor_of(message)
    found = await allowed(int(number), actor, message.chat.id, deliberation, authorization)
    if isinstance(found, str):
        await message.answer(found)
        return
    await act(message, "decide", found, actor, state, deliberation, deliberation_outcome, settings)


async def decision_written(
    message: Message,
    state: FSMContext,
    authorization: Authorization,
    deliberation: DeliberationService,
    deliberation_outcome: DeliberationOutcome,
    board: Board,
) -> None:
    cid = int((await state.get_data()).get("dl_decide") or 0)
    await state.clear()
    actor = actor_of(message)
    found = await allowed(cid, actor, message.chat.id, deliberation, authorization)
    if isinstance(found, str):
        await message.answer(found)
        return
    try:
        decided = await deliberation_outcome.decide(
            cid, message.text or "", actor.user_id, actor.name
        )
    except WrongStatus:
        await message.answer(_("Consultation {id} cannot be decided now.").format(id=cid))
        return
    except DeliberationError:
        await message.answer(
            _("A decision is text of 1 to 2000 characters. Send /decide {id} again.").format(id=cid)
        )
        return
    board.forget()
    await message.answer(
        _(
            "📣 The decision on consultation {id} is published: everyone invited and the "
            "requests that raised it are told, and it is on the public board."
        ).format(id=cid),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=staff_buttons(decided, _)),
    )


def router() -> Router:
    router = Router(name="deliberation_staff")
    router.message.register(consult, Command("consult"))
    router.message.register(decide_command, Command("decide"))
    router.message.register(decision_written, StateFilter(DecideFlow.decision), TYPED)
    router.callback_query.register(pressed, StaffAct.filter())
    return router
