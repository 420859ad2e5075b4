"""The end of the `/consult` form: whether residents see the tally while voting, the summary
to check, and the consultation opened (or corrected) once staff confirm, asked of
services/authorization again at that moment."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.deliberation_access import ConsultForm, FormPress, grid_name, may_open
from handlers.deliberation_notices import LETTERS, deadline_text, staff_buttons
from services.authorization import Actor, Authorization
from services.deliberation import (
    DeliberationService,
    Draft,
    Frozen,
    NoOneInvited,
    PastDeadline,
    WrongStatus,
)
from services.models import Consultation, utcnow
from services.routing import Routing

if TYPE_CHECKING:  # handlers.deliberation_live renders the staff view, which imports this
    from handlers.deliberation_live import LiveView


async def got_tally(
    query: CallbackQuery,
    callback_data: FormPress,
    state: FSMContext,
    routing: Routing,
    settings: Settings,
) -> None:
    await state.update_data(dl_tally=callback_data.value == "1")
    await state.set_state(ConsultForm.confirm)
    await query.answer()
    data = await state.get_data()
    if not isinstance(query.message, Message):
        return
    label = (
        _("📨 Open and invite") if data.get("dl_editing") is None else _("📨 Save the correction")
    )
    await query.message.answer(
        summary(data, routing, settings),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=label, callback_data=FormPress(action="open").pack())],
                [
                    InlineKeyboardButton(
                        text=_("✖️ Cancel"), callback_data=FormPress(action="cancel").pack()
                    )
                ],
            ]
        ),
    )


def summary(data: dict[str, Any], routing: Routing, settings: Settings) -> str:
    options = "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(data["dl_options"]))
    grids = ", ".join(grid_name(routing, code) for code in data["dl_grids"]) or "—"
    numbers = ", ".join(data.get("dl_numbers") or []) or "—"
    deadline = deadline_text(datetime.fromisoformat(data["dl_deadline"]), settings.zone)
    tally = _("shown while voting") if data["dl_tally"] else _("only after the deadline")
    return (
        _("Please check the consultation:")
        + f"\n\n{data['dl_question']}\n"
        + (f"{data['dl_background']}\n" if data.get("dl_background") else "")
        + f"\n{options}\n\n"
        + _("Invited: the residents of {grids}; the requests {numbers}").format(
            grids=grids, numbers=numbers
        )
        + "\n"
        + _("Deadline: {deadline}").format(deadline=deadline)
        + "\n"
        + _("Tally: {tally}").format(tally=tally)
    )


async def cancel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(_("Cancelled: nothing was sent."))


async def confirm(
    query: CallbackQuery,
    state: FSMContext,
    authorization: Authorization,
    deliberation: DeliberationService,
    live_tally: LiveView,
) -> None:
    """Open (or correct) it: asked of Authorization again, at the moment it goes out."""
    message = query.message
    if not isinstance(message, Message):
        return
    actor = Actor(query.from_user.id, query.from_user.full_name)
    if not await may_open(message.chat.id, actor, authorization):
        authorization.refused(actor, "consult", f"chat {message.chat.id}", "not its staff")
        await query.answer(_("Only this chat's staff can open a consultation."), show_alert=True)
        return
    data = await state.get_data()
    await state.clear()
    await query.answer()
    draft = Draft(
        chat_id=message.chat.id,
        opened_by=actor.user_id,
        question=data["dl_question"],
        background=data.get("dl_background", ""),
        options=data["dl_options"],
        grids=data["dl_grids"],
        ticket_ids=data.get("dl_tickets") or [],
        deadline=datetime.fromisoformat(data["dl_deadline"]),
        show_tally=bool(data["dl_tally"]),
    )
    try:
        if data.get("dl_editing") is None:
            consultation = await deliberation.open(draft)
            said = _("🗳 Consultation {id} is open: {count} residents invited.")
        else:
            consultation = await deliberation.revise(
                int(data["dl_editing"]), draft, bool(data.get("dl_new_round"))
            )
            said = (
                _("🔁 Consultation {id} is in round {round} now: everyone invited is told.")
                if data.get("dl_new_round")
                else _("✏️ Consultation {id} is corrected: everyone invited is told.")
            )
    except NoOneInvited:
        await message.answer(
            _(
                "No one to invite: no resident of those grids or requests has used Linkage yet. "
                "Nothing was sent."
            )
        )
        return
    except PastDeadline:
        await message.answer(_("The deadline has passed meanwhile. Nothing was sent."))
        return
    except Frozen:
        await message.answer(_("Votes came in meanwhile: nothing changed. Press “Correct” again."))
        return
    except WrongStatus:
        await message.answer(_("This consultation is closed: it can no longer be corrected."))
        return
    tally = await deliberation.tally(consultation_id(consultation))
    sent = await message.answer(
        said.format(id=consultation.id, count=tally.invited, round=consultation.round)
        + " "
        + _("Follow it with /consult {id}.").format(id=consultation.id),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=staff_buttons(consultation, _)),
    )
    # this message shows the tally from now on, edited as votes come
    await live_tally.live.attach(consultation_id(consultation), sent.message_id, utcnow())


def consultation_id(consultation: Consultation) -> int:
    assert consultation.id is not None
    return consultation.id
