"""Volunteers, the staff's side: `/task` in a grid's staff chat posts a task (what, grid, when,
how long, how many people, skills wanted), and the task's "Attendance" button records who came.

Every step that changes something asks services/authorization.py about the person acting, at
that moment: staff of a chat the grid's requests go to, or an admin.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from handlers.gates import GROUPS, TYPED
from handlers.staff_access import actor_of
from handlers.volunteer_notices import hours, labels, local_moment
from services.authorization import Actor, Authorization
from services.households import grids_of_chat
from services.models import utcnow
from services.routing import Routing, text
from services.volunteer_contract import WHAT_LIMIT, Attendee, TaskView
from services.volunteer_routing import skill_codes
from services.volunteers import Volunteers

GRID_BUTTONS = 30


class PostTask(StatesGroup):
    what = State()
    grid = State()
    when = State()
    length = State()
    people = State()
    skills = State()


class TaskGrid(CallbackData, prefix="vtg"):
    grid: str


class TaskSkill(CallbackData, prefix="vts"):
    code: str  # a skill, or "post"


class Attendance(CallbackData, prefix="vtl"):
    task: int


class Presence(CallbackData, prefix="vtp"):
    task: int
    user: int
    came: bool


async def task(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    authorization: Authorization,
    routing: Routing,
    i18n: I18n,
) -> None:
    actor = actor_of(message)
    grids = grids_of_chat(routing, message.chat.id)
    if not grids:
        await message.answer(_("This chat looks after no grid, so it cannot post volunteer tasks."))
        return
    if not authorization.is_admin(actor.user_id) and (
        await authorization.staff_scope(message.chat.id, actor) is None
    ):
        authorization.refused(actor, "/task", f"chat {message.chat.id}", "not staff")
        await message.answer(_("Only the staff of this chat can post volunteer tasks."))
        return
    await state.set_state(PostTask.what)
    await state.update_data(skills=[])
    if command.args:
        await take_what(message, state, routing, i18n, words=command.args)
    else:
        await message.answer(_("What is the task? Describe it in a few words."))


async def take_what(
    message: Message, state: FSMContext, routing: Routing, i18n: I18n, words: str | None = None
) -> None:
    what = (words if words is not None else message.text or "").strip()
    if not what or len(what) > WHAT_LIMIT:
        await message.answer(_("Please describe the task in words (up to 500 characters)."))
        return
    await state.update_data(what=what)
    grids = grids_of_chat(routing, message.chat.id)
    if len(grids) == 1:
        await _grid_chosen(message, state, grids[0].code)
        return
    await state.set_state(PostTask.grid)
    buttons = [
        [
            InlineKeyboardButton(
                text=text(grid.name, i18n.current_locale),
                callback_data=TaskGrid(grid=grid.code).pack(),
            )
        ]
        for grid in grids[:GRID_BUTTONS]
    ]
    await message.answer(
        _("In which grid?"), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )


async def take_grid(
    query: CallbackQuery, callback_data: TaskGrid, state: FSMContext, routing: Routing
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _grid_chosen(query.message, state, callback_data.grid)


async def _grid_chosen(message: Message, state: FSMContext, grid_code: str) -> None:
    await state.update_data(grid=grid_code)
    await state.set_state(PostTask.when)
    await message.answer(
        _("When does it start? Write the date and time (local time), e.g. 2026-12-05 09:00.")
    )


async def take_when(message: Message, state: FSMContext, volunteers: Volunteers) -> None:
    try:
        local = datetime.strptime((message.text or "").strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        await message.answer(_("Write the date and time like this: 2026-12-05 09:00."))
        return
    starts = local.replace(tzinfo=volunteers.zone)
    if starts <= utcnow():
        await message.answer(_("That time has passed; write a time still to come."))
        return
    await state.update_data(starts=starts.isoformat())
    await state.set_state(PostTask.length)
    await message.answer(_("How many hours will it take? E.g. 2 or 1.5."))


async def take_length(message: Message, state: FSMContext) -> None:
    try:
        length = float((message.text or "").strip().replace(",", "."))
    except ValueError:
        length = 0
    if not 0.25 <= length <= 24:
        await message.answer(_("Write the hours as a number from 0.25 to 24, e.g. 2 or 1.5."))
        return
    await state.update_data(minutes=round(length * 60))
    await state.set_state(PostTask.people)
    await message.answer(_("How many volunteers are needed?"))


async def take_people(message: Message, state: FSMContext, routing: Routing) -> None:
    number = (message.text or "").strip()
    if not number.isdigit() or not 1 <= int(number) <= 100:
        await message.answer(_("Write how many people as a number from 1 to 100."))
        return
    await state.update_data(needed=int(number))
    await state.set_state(PostTask.skills)
    await message.answer(
        _(
            "Which skills are wanted? Choose any (none: anyone may come), then press “Post "
            "the task”."
        ),
        reply_markup=_skill_buttons([], routing),
    )


def _skill_buttons(chosen: list[str], routing: Routing) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=("✅ " if code in chosen else "") + labels([code], routing=routing),
                callback_data=TaskSkill(code=code).pack(),
            )
        ]
        for code in skill_codes(routing.volunteers)
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=_("📣 Post the task"), callback_data=TaskSkill(code="post").pack()
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def take_skill(
    query: CallbackQuery,
    callback_data: TaskSkill,
    state: FSMContext,
    authorization: Authorization,
    volunteers: Volunteers,
    routing: Routing,
    i18n: I18n,
) -> None:
    data = await state.get_data()
    chosen = list(data.get("skills", []))
    message = query.message if isinstance(query.message, Message) else None
    if callback_data.code != "post":
        if callback_data.code in skill_codes(routing.volunteers):
            chosen.remove(callback_data.code) if callback_data.code in chosen else chosen.append(
                callback_data.code
            )
            await state.update_data(skills=chosen)
            if message is not None:
                await message.edit_reply_markup(reply_markup=_skill_buttons(chosen, routing))
        await query.answer()
        return
    actor = Actor(query.from_user.id, query.from_user.full_name)
    if not await authorization.may_serve_grid(actor, data["grid"], "post volunteer task"):
        await query.answer(
            _("Only the grid's staff can post its volunteer tasks."), show_alert=True
        )
        return
    await query.answer()
    grid = routing.grid(data["grid"])
    posted, invited = await volunteers.post(
        staff_chat_id=message.chat.id if message is not None else query.from_user.id,
        grid_code=grid.code,
        community_code=grid.community_code,
        what=data["what"],
        starts_at=datetime.fromisoformat(data["starts"]),
        minutes=data["minutes"],
        needed=data["needed"],
        skills=chosen,
        created_by=actor.user_id,
    )
    await state.clear()
    if message is None:
        return
    await message.edit_reply_markup(reply_markup=None)
    await message.answer(
        _(
            "📣 Task #{id} posted: {what}\nWhere: {grid}\nWhen: {when}, {hours} hours\n"
            "People needed: {needed}\nSkills: {skills}\n\n"
            "{invited} matching volunteers were invited; their answers come here."
        ).format(
            id=posted.id,
            what=posted.what,
            grid=text(grid.name, i18n.current_locale),
            when=local_moment(posted.starts_at, volunteers.zone),
            hours=hours(posted.minutes),
            needed=posted.needed,
            skills=labels(posted.skills, routing=routing) if posted.skills else _("any"),
            invited=invited,
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("📋 Attendance"), callback_data=Attendance(task=posted.id).pack()
                    )
                ]
            ]
        ),
    )


# --- attendance -------------------------------------------------------------------------------


async def _may_confirm(
    query: CallbackQuery, task_id: int, authorization: Authorization, volunteers: Volunteers
) -> TaskView | None:
    """The task, if the person pressing is staff of its chat (or an admin) now."""
    found = await volunteers.task(task_id)
    actor = Actor(query.from_user.id, query.from_user.full_name)
    if found is None or not (
        authorization.is_admin(actor.user_id)
        or await authorization.staff_scope(found.staff_chat_id, actor) is not None
    ):
        authorization.refused(actor, "volunteer attendance", f"task {task_id}", "not staff")
        await query.answer(
            _("Only the staff of the task's chat can confirm attendance."), show_alert=True
        )
        return None
    return found


async def attendance(
    query: CallbackQuery,
    callback_data: Attendance,
    authorization: Authorization,
    volunteers: Volunteers,
) -> None:
    found = await _may_confirm(query, callback_data.task, authorization, volunteers)
    if found is None:
        return
    if found.starts_at > utcnow():
        await query.answer(
            _("Attendance is confirmed once the task has begun ({when}).").format(
                when=local_moment(found.starts_at, volunteers.zone)
            ),
            show_alert=True,
        )
        return
    await query.answer()
    if isinstance(query.message, Message):
        people = await volunteers.attendees(found.id)
        await query.message.answer(
            _attendance_text(found, people), reply_markup=_presence_buttons(found, people)
        )


def _attendance_text(found: TaskView, people: list[Attendee]) -> str:
    said = {
        "accepted": _("not confirmed yet"),
        "attended": _("came"),
        "absent": _("did not come"),
    }
    lines = [
        _("{name}: {state}").format(name=person.name, state=said[person.state])
        + (" · " + _("{hours} hours").format(hours=hours(person.minutes)) if person.minutes else "")
        for person in people
    ]
    heading = _("Who came to task #{id} “{what}”? Press ✅ or ❌ for each volunteer.").format(
        id=found.id, what=found.what
    )
    return heading + "\n\n" + ("\n".join(lines) if lines else _("Nobody accepted this task."))


def _presence_buttons(found: TaskView, people: list[Attendee]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=f"✅ {person.name}",
                    callback_data=Presence(task=found.id, user=person.user_id, came=True).pack(),
                ),
                InlineKeyboardButton(
                    text=f"❌ {person.name}",
                    callback_data=Presence(task=found.id, user=person.user_id, came=False).pack(),
                ),
            ]
            for person in people
        ]
    )


async def presence(
    query: CallbackQuery,
    callback_data: Presence,
    authorization: Authorization,
    volunteers: Volunteers,
) -> None:
    found = await _may_confirm(query, callback_data.task, authorization, volunteers)
    if found is None:
        return
    done = await volunteers.confirm(
        found.id, callback_data.user, callback_data.came, query.from_user.id, utcnow()
    )
    if not done:
        await query.answer(_("This volunteer did not accept the task."), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        people = await volunteers.attendees(found.id)
        await query.message.edit_text(
            _attendance_text(found, people), reply_markup=_presence_buttons(found, people)
        )


def router() -> Router:
    router = Router(name="volunteer_tasks")
    groups = GROUPS
    router.message.register(task, StateFilter(None), Command("task"), groups)
    router.message.register(take_what, StateFilter(PostTask.what), TYPED, groups)
    router.callback_query.register(take_grid, StateFilter(PostTask.grid), TaskGrid.filter())
    router.message.register(take_when, StateFilter(PostTask.when), TYPED, groups)
    router.message.register(take_length, StateFilter(PostTask.length), TYPED, groups)
    router.message.register(take_people, StateFilter(PostTask.people), TYPED, groups)
    router.callback_query.register(take_skill, StateFilter(PostTask.skills), TaskSkill.filter())
    router.callback_query.register(attendance, Attendance.filter())
    router.callback_query.register(presence, Presence.filter())
    return router
