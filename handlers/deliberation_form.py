"""`/consult` in a staff chat: the guided form that opens a consultation (or corrects one).

The question, background, options (2 to 6), whose residents are invited (grids of this chat's
area, and the requests that raised it), the deadline (in TIMEZONE; a past one is refused) and
whether the tally is shown while voting. A summary to confirm; then the invitations go out.
Who may: the staff of this chat, or an admin, asked of services/authorization at each step
that changes something.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.settings import Settings
from handlers.deliberation_access import (
    NONE,
    ConsultForm,
    FormPress,
    grid_name,
    grids_of_chat,
    may_open,
)
from handlers.deliberation_confirm import cancel, confirm, got_tally
from handlers.gates import NOT_A_COMMAND
from handlers.staff_access import GROUPS, actor_of
from services.authorization import Authorization
from services.deadlines import parse_deadline
from services.deliberation import (
    BadOptions,
    PastDeadline,
    check_deadline,
    check_options,
)
from services.models import utcnow
from services.routing import Routing
from services.tickets import TicketService


async def start(message: Message, state: FSMContext, authorization: Authorization) -> None:
    """Begin the form: for the staff of this chat (or an admin), here."""
    actor = actor_of(message)
    if not await may_open(message.chat.id, actor, authorization):
        authorization.refused(actor, "consult", f"chat {message.chat.id}", "not its staff")
        await message.answer(
            _("Only the staff of a grid's or community's chat can open a consultation, there.")
        )
        return
    await state.set_state(ConsultForm.question)
    await state.set_data({"dl_editing": None, "dl_new_round": False})
    await message.answer(
        _("🗳 A new consultation.")
        + " "
        + _("What is the question? For example: How should the village road be repaired?")
    )


async def got_question(message: Message, state: FSMContext) -> None:
    words = (message.text or "").strip()
    if not words or len(words) > 300:
        await message.answer(_("A question is text of 1 to 300 characters. Send it again."))
        return
    await state.update_data(dl_question=words)
    await state.set_state(ConsultForm.background)
    await message.answer(
        _("Background for residents: what they should know before choosing. Send “-” for none.")
    )


async def got_background(message: Message, state: FSMContext) -> None:
    words = (message.text or "").strip()
    await state.update_data(dl_background="" if words == NONE else words[:2000])
    await state.set_state(ConsultForm.options)
    await message.answer(_("The options, one per line: 2 to 6."))


async def got_options(message: Message, state: FSMContext, routing: Routing) -> None:
    lines = (message.text or "").splitlines()
    try:
        options = check_options(lines)
    except BadOptions:
        await message.answer(
            _(
                "A consultation needs 2 to 6 options, one per line, each up to 60 characters. "
                "Send the options again."
            )
        )
        return
    await state.update_data(dl_options=options, dl_grids=[])
    await state.set_state(ConsultForm.grids)
    await message.answer(
        _(
            "Whose residents are invited? Press the grids (everyone who has filed a request "
            "there), then “Done”."
        ),
        reply_markup=grid_keyboard(routing, grids_of_chat(routing, message.chat.id), []),
    )


def grid_keyboard(routing: Routing, grids: list[str], chosen: list[str]) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=("☑️ " if code in chosen else "⬜ ") + grid_name(routing, code),
                callback_data=FormPress(action="grid", value=code).pack(),
            )
        ]
        for code in grids
    ]
    rows.append(
        [InlineKeyboardButton(text=_("✅ Done"), callback_data=FormPress(action="done").pack())]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def toggle_grid(
    query: CallbackQuery, callback_data: FormPress, state: FSMContext, routing: Routing
) -> None:
    if not isinstance(query.message, Message):
        return
    allowed = grids_of_chat(routing, query.message.chat.id)
    if callback_data.value not in allowed:
        await query.answer(_("That grid is not in this chat's area."), show_alert=True)
        return
    chosen: list[str] = list((await state.get_data()).get("dl_grids") or [])
    if callback_data.value in chosen:
        chosen.remove(callback_data.value)
    else:
        chosen.append(callback_data.value)
    await state.update_data(dl_grids=chosen)
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=grid_keyboard(routing, allowed, chosen))


async def grids_done(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(ConsultForm.tickets)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            _(
                "Which requests raised it? Send their numbers (such as 2026-000001), separated "
                "by spaces, or “-” for none."
            )
        )


async def got_tickets(
    message: Message,
    state: FSMContext,
    tickets: TicketService,
    authorization: Authorization,
    settings: Settings,
) -> None:
    words = (message.text or "").strip()
    found: list[int] = []
    numbers: list[str] = []
    if words != NONE:
        scope = authorization.scope_of(message.chat.id)
        for number in words.replace(",", " ").split():
            ticket = await tickets.by_number(number)
            if ticket is None or ticket.id is None or not scope.covers(ticket):
                await message.answer(
                    _(
                        "There is no request {number} among this chat's requests. Send the "
                        "numbers again, or “-” for none."
                    ).format(number=number)
                )
                return
            found.append(ticket.id)
            numbers.append(ticket.number)
    await state.update_data(dl_tickets=found, dl_numbers=numbers)
    await state.set_state(ConsultForm.deadline)
    await message.answer(
        _(
            "The deadline: a date and time ({zone}), e.g. 2026-12-10 18:00, 12-10 18:00, "
            "10 Dec 18:00, tomorrow 18:00 or 12月10日18点."
        ).format(zone=settings.timezone)
    )


async def got_deadline(message: Message, state: FSMContext, settings: Settings) -> None:
    words = " ".join((message.text or "").split())
    local = parse_deadline(words, utcnow(), settings.zone)
    if local is None:
        await message.answer(
            _(
                "“{words}” is not a date and time I can read. Write it as 2026-12-10 18:00, "
                "12-10 18:00, 10 Dec 18:00, tomorrow 18:00 (or today, the day after tomorrow), "
                "12月10日18点 or 明天 18:00."
            ).format(words=words[:40])
        )
        return
    try:
        check_deadline(local, utcnow())
    except PastDeadline:
        await message.answer(
            _("That time has already passed ({deadline}). Send a deadline in the future.").format(
                deadline=words
            )
        )
        return
    await state.update_data(dl_deadline=local.isoformat())
    await state.set_state(ConsultForm.tally)
    await message.answer(
        _("Should residents see the tally while voting, or only after the deadline?"),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("👁 While voting"),
                        callback_data=FormPress(action="tally", value="1").pack(),
                    )
                ],
                [
                    InlineKeyboardButton(
                        text=_("🙈 Only after the deadline"),
                        callback_data=FormPress(action="tally", value="0").pack(),
                    )
                ],
            ]
        ),
    )


def router() -> Router:
    router = Router(name="deliberation_form")
    typed = (GROUPS, NOT_A_COMMAND)
    router.message.register(got_question, *typed, StateFilter(ConsultForm.question))
    router.message.register(got_background, *typed, StateFilter(ConsultForm.background))
    router.message.register(got_options, *typed, StateFilter(ConsultForm.options))
    router.message.register(got_tickets, *typed, StateFilter(ConsultForm.tickets))
    router.message.register(got_deadline, *typed, StateFilter(ConsultForm.deadline))
    router.callback_query.register(
        toggle_grid, FormPress.filter(F.action == "grid"), StateFilter(ConsultForm.grids)
    )
    router.callback_query.register(
        grids_done, FormPress.filter(F.action == "done"), StateFilter(ConsultForm.grids)
    )
    router.callback_query.register(
        got_tally, FormPress.filter(F.action == "tally"), StateFilter(ConsultForm.tally)
    )
    router.callback_query.register(
        confirm, FormPress.filter(F.action == "open"), StateFilter(ConsultForm.confirm)
    )
    router.callback_query.register(cancel, FormPress.filter(F.action == "cancel"))
    return router
