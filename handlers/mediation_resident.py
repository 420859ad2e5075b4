"""The applicant's side after filing (booking, moving, cancelling, more evidence, rating,
their cases under "My requests"), and the other party's invitation link."""

from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.gates import NOT_A_COMMAND, PRIVATE
from handlers.mediation_evidence import evidence_of, too_large
from handlers.mediation_notices import AddEvidence, Attend, Book, Rate
from handlers.mediation_session_notices import MediationNotices
from handlers.menu import CANCEL, MenuButton, keyboard, main_menu, take_press
from handlers.report_questions import DONE
from services.mediation import (
    INVITE_PREFIX,
    CaseNotFound,
    EvidenceFile,
    MediationService,
    WrongState,
)
from services.mediation_appointments import MediationAppointments, SlotTaken
from services.mediation_outcomes import MediationOutcomes


class AddingEvidence(StatesGroup):
    sending = State()


async def book(
    query: CallbackQuery,
    callback_data: Book,
    mediation: MediationService,
    mediation_appointments: MediationAppointments,
    mediation_notices: MediationNotices,
) -> None:
    user = query.from_user.id
    try:
        case = await mediation.get(callback_data.case_id)
        if case.resident_id != user:
            raise CaseNotFound(case.id)
        if callback_data.index == -2:  # move: the times again
            await query.answer()
            if isinstance(query.message, Message):
                await query.message.answer(
                    _("Choose the new time (China time):"),
                    reply_markup=InlineKeyboardMarkup.model_validate(
                        mediation_notices.time_buttons(case)
                    ),
                )
            return
        if callback_data.index == -1:
            await mediation_appointments.cancel(case.id or 0, user)
            await take_press(query)
            await _answer(query, _("Your booking is cancelled. You can book another time above."))
            return
        await mediation_appointments.book(case.id or 0, user, callback_data.index)
        await take_press(query)
    except SlotTaken:
        await query.answer()
        await _answer(
            query, _("That time was just taken by someone else. Please choose another one.")
        )
    except (CaseNotFound, WrongState):
        await query.answer(_("This booking can no longer be changed."), show_alert=True)


async def _answer(query: CallbackQuery, words: str) -> None:
    if isinstance(query.message, Message):
        await query.message.answer(words)


async def rate(
    query: CallbackQuery, callback_data: Rate, mediation_outcomes: MediationOutcomes
) -> None:
    try:
        await mediation_outcomes.rate(
            callback_data.case_id, query.from_user.id, callback_data.stars
        )
    except (CaseNotFound, WrongState, ValueError):
        await query.answer(_("This case cannot be rated now."), show_alert=True)
        return
    await take_press(query)
    await _answer(query, _("Thank you for your rating."))


async def add_evidence(query: CallbackQuery, callback_data: AddEvidence, state: FSMContext) -> None:
    await query.answer()
    await state.set_state(AddingEvidence.sending)
    await state.update_data(case_id=callback_data.case_id, evidence=[])
    if isinstance(query.message, Message):
        await query.message.answer(
            _("Send the photos, documents or voice notes, then press “Done”."),
            reply_markup=keyboard(
                [KeyboardButton(text=DONE.text())], [KeyboardButton(text=CANCEL.text())]
            ),
        )


async def cancel_more(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("No evidence was added."), reply_markup=main_menu())


async def take_more(message: Message, state: FSMContext, settings: Settings) -> None:
    item = evidence_of(message)
    if item is None:
        await message.answer(_("Please send a photo, a document or a voice note, or press “Done”."))
        return
    if await too_large(message, item, settings):
        return
    data = await state.get_data()
    files = [
        *data.get("evidence", []),
        {
            "kind": item.kind,
            "file_id": item.file_id,
            "size": item.size,
            "at": item.added_at.isoformat(),
            "name": item.file_name,
        },
    ]
    await state.update_data(evidence=files)
    await message.answer(
        _("Evidence added ({count}). Send more, or press “Done”.").format(count=len(files))
    )


async def more_done(message: Message, state: FSMContext, mediation: MediationService) -> None:
    data = await state.get_data()
    await state.clear()
    files = [
        EvidenceFile(e["kind"], e["file_id"], e["size"], datetime.fromisoformat(e["at"]), e["name"])
        for e in data.get("evidence", [])
    ]
    assert message.from_user is not None
    try:
        case = await mediation.add_evidence(int(data["case_id"]), message.from_user.id, files)
    except (CaseNotFound, WrongState):
        await message.answer(_("This case no longer takes evidence."), reply_markup=main_menu())
        return
    await message.answer(
        _("Thank you: {count} files added to case {number}.").format(
            count=len(files), number=case.number
        ),
        reply_markup=main_menu(),
    )


async def invitation(
    message: Message,
    command: CommandObject,
    mediation: MediationService,
    mediation_notices: MediationNotices,
    i18n: I18n,
) -> None:
    """The other party opens their link: the case summary, not the evidence, and a button."""
    case = await mediation.by_invitation(command.args or "")
    assert message.from_user is not None
    if case is None or case.other_party_id not in (None, message.from_user.id):
        await message.answer(
            _("I do not know this invitation. Check the link."), reply_markup=main_menu()
        )
        return
    opened = mediation.open(case)
    locale = i18n.current_locale
    appointment = await mediation.appointment(case.id or 0)
    session = (
        _("{time} (China time)").format(time=mediation_notices.at(appointment.starts_at))
        if appointment is not None
        else _("not booked yet")
    )
    words = _(
        "⚖️ You are invited to mediation: case {number} ({kind}) at {org}.\n\nApplicant: "
        "{applicant}\n\nWhat happened:\n“{account}”\n\nWhat they ask for:\n“{claim}”\n\n"
        "Session: {session}"
    ).format(
        number=case.number,
        kind=mediation_notices.kind(case.kind, locale),
        org=mediation_notices.org(case, locale),
        applicant=opened.resident_name,
        account=opened.account,
        claim=opened.claim,
        session=session,
    )
    evidence = await mediation.evidence(case.id or 0) if case.evidence_shared else []
    if not case.evidence_shared:
        words += "\n\n" + _("The evidence is shown to you when the mediator shares it.")
    elif evidence:
        words += "\n\n" + _("Evidence:") + "\n" + mediation_notices.evidence_list(evidence, locale)
    button = InlineKeyboardButton(
        text="✅ " + _("I will attend"), callback_data=Attend(code=case.invite_code or "").pack()
    )
    await message.answer(words, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]))
    for item in evidence:  # shared by the mediator: the files themselves
        if item.kind == "photo":
            await message.answer_photo(item.file_id, caption=case.number)
        elif item.kind == "voice":
            await message.answer_voice(item.file_id, caption=case.number)
        else:
            await message.answer_document(item.file_id, caption=case.number)


async def attend(query: CallbackQuery, callback_data: Attend, mediation: MediationService) -> None:
    try:
        case = await mediation.confirm_attendance(callback_data.code, query.from_user.id)
    except (CaseNotFound, WrongState):
        await query.answer(_("This invitation can no longer be answered."), show_alert=True)
        return
    await take_press(query)
    await _answer(
        query,
        _("Thank you. The mediator and the applicant know you will attend case {number}.").format(
            number=case.number
        ),
    )


def router() -> Router:
    router = Router(name="mediation-resident")
    router.message.filter(PRIVATE)
    router.message.register(
        invitation, CommandStart(deep_link=True, magic=F.args.startswith(INVITE_PREFIX))
    )
    router.callback_query.register(book, Book.filter())
    router.callback_query.register(rate, Rate.filter())
    router.callback_query.register(attend, Attend.filter())
    router.callback_query.register(add_evidence, AddEvidence.filter())
    router.message.register(more_done, StateFilter(AddingEvidence.sending), MenuButton(DONE))
    router.message.register(cancel_more, StateFilter(AddingEvidence.sending), MenuButton(CANCEL))
    router.message.register(take_more, StateFilter(AddingEvidence.sending), NOT_A_COMMAND)
    return router
