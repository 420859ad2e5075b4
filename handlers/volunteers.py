"""Volunteers, the resident's side: `/volunteer` to sign up (skills, when free, where, phone) or
see one's hours; the answers to a task's invitation. What volunteers and staff are told is
handlers/volunteer_notices.py.

The rules (matching, the places a task has, hours) are services/volunteers.py's; the staff's
side (posting a task, confirming attendance) is handlers/volunteer_tasks.py.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
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

from handlers.gates import PRIVATE, TYPED
from handlers.menu import CANCEL, MenuButton, keyboard, main_menu
from handlers.neighbours import PHONE
from handlers.report_questions import SHARE_LOCATION, SKIP
from handlers.volunteer_notices import Reply, grid_name, hours, labels, local_moment
from services.models import utcnow
from services.routing import Routing, text
from services.volunteer_contract import DAYS, TIMES, Answer, Profile
from services.volunteer_routing import skill_codes
from services.volunteers import Volunteers


class SignUp(StatesGroup):
    skills = State()
    times = State()
    place = State()
    phone = State()


class Pick(CallbackData, prefix="vp"):
    code: str  # a skill or a time, or "next"


class Manage(CallbackData, prefix="vm"):
    action: str  # change, stop


def toggles(
    codes: tuple[str, ...], chosen: list[str], routing: Routing | None = None
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=("✅ " if code in chosen else "") + labels([code], routing=routing),
                callback_data=Pick(code=code).pack(),
            )
        ]
        for code in codes
    ]
    rows.append([InlineKeyboardButton(text=_("Next ➡️"), callback_data=Pick(code="next").pack())])
    return InlineKeyboardMarkup(inline_keyboard=rows)


# --- /volunteer -------------------------------------------------------------------------------


async def volunteer(
    message: Message, state: FSMContext, volunteers: Volunteers, routing: Routing, i18n: I18n
) -> None:
    assert message.from_user is not None
    profile = await volunteers.profile(message.from_user.id)
    if profile is None or not profile.active:
        await _begin(message, state, routing)
        return
    given = await volunteers.hours(profile.user_id, utcnow())
    grid = grid_name(routing, profile.grid_code, i18n.current_locale)
    await message.answer(
        _(
            "You are a volunteer in {grid}.\nSkills: {skills}\nFree: {times}\n"
            "Hours this month: {month} · in all: {total} ({tasks} tasks)"
        ).format(
            grid=grid,
            skills=labels(profile.skills, routing=routing),
            times=labels(profile.availability),
            month=hours(given.month_minutes),
            total=hours(given.total_minutes),
            tasks=given.tasks,
        ),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=_("✏️ Change what I offer"),
                        callback_data=Manage(action="change").pack(),
                    )
                ],
                [
                    InlineKeyboardButton(
                        text=_("⏹ Stop volunteering"), callback_data=Manage(action="stop").pack()
                    )
                ],
            ]
        ),
    )


async def _begin(message: Message, state: FSMContext, routing: Routing) -> None:
    await state.set_state(SignUp.skills)
    await state.update_data(chosen=[])
    await message.answer(
        _("Thank you for volunteering! Which skills can you offer? Choose any, then press “Next”."),
        reply_markup=toggles(skill_codes(routing.volunteers), [], routing),
    )


async def manage(
    query: CallbackQuery,
    callback_data: Manage,
    state: FSMContext,
    volunteers: Volunteers,
    routing: Routing,
) -> None:
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if callback_data.action == "stop":
        await volunteers.stop(query.from_user.id)
        await query.message.answer(
            _(
                "You no longer get volunteer tasks; your hours stay on record. /volunteer signs "
                "you up again."
            )
        )
    else:
        await _begin(query.message, state, routing)


async def pick(
    query: CallbackQuery, callback_data: Pick, state: FSMContext, routing: Routing
) -> None:
    current = await state.get_state()
    codes = skill_codes(routing.volunteers) if current == SignUp.skills.state else DAYS + TIMES
    chosen = list((await state.get_data()).get("chosen", []))
    message = query.message if isinstance(query.message, Message) else None
    if callback_data.code != "next":
        if callback_data.code in codes:
            chosen.remove(callback_data.code) if callback_data.code in chosen else chosen.append(
                callback_data.code
            )
            await state.update_data(chosen=chosen)
            if message is not None:
                await message.edit_reply_markup(reply_markup=toggles(codes, chosen, routing))
        await query.answer()
        return
    if current == SignUp.skills.state:
        if not chosen:
            await query.answer(_("Choose at least one skill."), show_alert=True)
            return
        await query.answer()
        await state.update_data(skills=chosen, chosen=[])
        await state.set_state(SignUp.times)
        if message is not None:
            await message.answer(
                _(
                    "When are you free? Choose weekdays or weekends, and the times of day, "
                    "then press “Next”."
                ),
                reply_markup=toggles(DAYS + TIMES, []),
            )
        return
    if not set(chosen) & set(DAYS) or not set(chosen) & set(TIMES):
        await query.answer(
            _("Choose weekdays or weekends (or both), and at least one time of day."),
            show_alert=True,
        )
        return
    await query.answer()
    await state.update_data(times=chosen)
    await state.set_state(SignUp.place)
    if message is not None:
        await message.answer(
            _(
                "Where do you live? Share your location with the button below, or write your "
                "grid's code."
            ),
            reply_markup=keyboard(
                [KeyboardButton(text=SHARE_LOCATION.text(), request_location=True)],
                [KeyboardButton(text=CANCEL.text())],
            ),
        )


async def take_location(message: Message, state: FSMContext, routing: Routing) -> None:
    assert message.location is not None
    grid = routing.grid_at(message.location.latitude, message.location.longitude)
    if grid is None:
        await message.answer(
            _(
                "That place is outside the grids we serve. Share another location, or write your "
                "grid's code."
            )
        )
        return
    await _placed(message, state, grid.code)


async def take_grid_code(message: Message, state: FSMContext, routing: Routing) -> None:
    code = (message.text or "").strip()
    try:
        routing.grid(code)
    except KeyError:
        await message.answer(_("There is no grid with the code {code}.").format(code=code))
        return
    await _placed(message, state, code)


async def _placed(message: Message, state: FSMContext, grid_code: str) -> None:
    await state.update_data(grid=grid_code)
    await state.set_state(SignUp.phone)
    await message.answer(
        _("Your phone number, so the staff can reach you? Write it, or press “Skip”."),
        reply_markup=keyboard(
            [KeyboardButton(text=SKIP.text())], [KeyboardButton(text=CANCEL.text())]
        ),
    )


async def take_phone(
    message: Message, state: FSMContext, volunteers: Volunteers, routing: Routing, i18n: I18n
) -> None:
    assert message.from_user is not None
    skipped = await MenuButton(SKIP)(message, i18n)
    phone = None if skipped else (message.text or "").strip()
    if phone is not None and not PHONE.match(phone):
        await message.answer(_("That is not a phone number; write digits only, e.g. 13812345678."))
        return
    data = await state.get_data()
    grid = routing.grid(data["grid"])
    profile = await volunteers.sign_up(
        Profile(
            message.from_user.id,
            message.from_user.full_name,
            phone,
            tuple(data["skills"]),
            tuple(data["times"]),
            grid.code,
            grid.community_code,
            i18n.current_locale,
        )
    )
    await state.clear()
    await message.answer(
        _(
            "Thank you! You are a volunteer in {grid}.\nSkills: {skills}\nFree: {times}\n"
            "When a task fits you, I will ask you here. /volunteer shows your hours."
        ).format(
            grid=text(grid.name, i18n.current_locale),
            skills=labels(profile.skills, routing=routing),
            times=labels(profile.availability),
        ),
        reply_markup=main_menu(),
    )


# --- answering an invitation ------------------------------------------------------------------


async def reply(query: CallbackQuery, callback_data: Reply, volunteers: Volunteers) -> None:
    outcome = await volunteers.answer(
        callback_data.task, query.from_user.id, callback_data.yes, utcnow()
    )
    task = await volunteers.task(callback_data.task)
    said = {
        Answer.ACCEPTED: _(
            "Thank you! You will come: {what}, {when}. If you cannot after all, press “I can't”."
        ),
        Answer.DECLINED: _("Thank you for telling us. You will not come: {what}."),
        Answer.FULL: _(
            "This task already has all the volunteers it needs. Thank you all the same; you "
            "will be asked again."
        ),
        Answer.ALREADY: _("You have already answered so."),
        Answer.STARTED: _("This task has already begun; it can no longer be answered."),
        Answer.NOT_INVITED: _("This invitation is not yours."),
    }[outcome]
    if outcome in (Answer.ALREADY, Answer.NOT_INVITED, Answer.STARTED) or task is None:
        await query.answer(said, show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            said.format(what=task.what, when=local_moment(task.starts_at, volunteers.zone))
        )


def router() -> Router:
    router = Router(name="volunteers")
    router.message.filter(PRIVATE)
    router.message.register(volunteer, StateFilter(None), Command("volunteer"))
    router.callback_query.register(manage, Manage.filter())
    router.callback_query.register(pick, StateFilter(SignUp.skills, SignUp.times), Pick.filter())
    router.message.register(take_location, StateFilter(SignUp.place), F.location)
    router.message.register(take_grid_code, StateFilter(SignUp.place), TYPED)
    router.message.register(take_phone, StateFilter(SignUp.phone), TYPED)
    router.callback_query.register(reply, Reply.filter())
    return router
