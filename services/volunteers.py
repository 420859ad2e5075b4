"""Volunteers: residents who offer skills and time, the tasks staff post, and hours given.

A resident signs up with skills, when they are free and where they live. Staff post a task
(what, which grid, when, how long, how many people, skills wanted); the volunteers who match
(a wanted skill, free at that time of the week, living in that grid or its community) are
invited through the outbox. The first `needed` to accept get the places: the database counts
them (`accepted <= needed`, raised only by a conditional update), so two presses at once can
never overfill a task. After the task staff confirm who came; the hours are recorded per
volunteer and thanked for once a month (`thank`, in the bot's minute round).

A volunteer's name and phone are personal data: encrypted (services.privacy.FieldCipher).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Protocol

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from services.models import (
    Volunteer,
    VolunteerShift,
    VolunteerTask,
    VolunteerThanks,
    as_utc,
    utcnow,
)
from services.outbox import Outbox, Outgoing
from services.privacy import FieldCipher
from services.storage import Database

__all__ = [
    "DAYS",
    "SKILLS",
    "TIMES",
    "Answer",
    "Attendee",
    "Hours",
    "Profile",
    "TaskView",
    "VolunteerWords",
    "Volunteers",
    "when_of",
]

SKILLS = ("elderly_care", "tutoring", "cleaning", "translation", "first_aid", "other")
DAYS = ("weekdays", "weekends")
TIMES = ("mornings", "afternoons", "evenings")
WHAT_LIMIT = 500
NEEDED_LIMIT = 100


class Answer(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    FULL = "full"  # every place was taken before this accept
    ALREADY = "already"  # the same answer again
    NOT_INVITED = "not invited"
    STARTED = "started"  # too late to answer: the task has begun


@dataclass(frozen=True)
class Profile:
    user_id: int
    name: str
    phone: str | None
    skills: tuple[str, ...]
    availability: tuple[str, ...]
    grid_code: str
    community_code: str
    locale: str
    active: bool = True


@dataclass(frozen=True)
class TaskView:
    id: int
    staff_chat_id: int
    grid_code: str
    what: str
    starts_at: datetime
    minutes: int
    needed: int
    accepted: int
    skills: tuple[str, ...]


@dataclass(frozen=True)
class Attendee:
    user_id: int
    name: str
    state: str  # accepted, attended, absent
    minutes: int


@dataclass(frozen=True)
class Hours:
    month_minutes: int  # tasks that started this month (local time)
    total_minutes: int
    tasks: int  # attended, in all


class VolunteerWords(Protocol):
    """What volunteers and staff are told, in each reader's language (the bot supplies it)."""

    def invitation(self, task: TaskView, volunteer: Profile) -> Outgoing: ...

    def answered(self, task: TaskView, volunteer: Profile, accepted: bool) -> Outgoing: ...

    def thanks(self, volunteer: Profile, month: str, minutes: int, tasks: int) -> Outgoing: ...


def when_of(moment: datetime, zone: tzinfo) -> tuple[str, str]:
    """(weekdays or weekends, mornings, afternoons or evenings) of a moment, in local time."""
    local = as_utc(moment).astimezone(zone)
    day = "weekends" if local.weekday() >= 5 else "weekdays"
    time = "mornings" if local.hour < 12 else "afternoons" if local.hour < 18 else "evenings"
    return day, time


def _codes(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split(",") if part)


class Volunteers:
    """Framework-free: sign-ups, tasks, answers, attendance, hours and monthly thanks."""

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        cipher: FieldCipher,
        words: VolunteerWords,
        zone: tzinfo = UTC,
    ) -> None:
        self.db, self.outbox, self.cipher, self.words, self.zone = db, outbox, cipher, words, zone
        self.skills: tuple[str, ...] = SKILLS  # the routing file's, when it names its own

    # --- volunteers

    async def sign_up(self, profile: Profile) -> Profile:
        """Sign up, or change what one offers; active again if one had stopped."""
        skills = [s for s in profile.skills if s in self.skills]
        when = [a for a in profile.availability if a in DAYS + TIMES]
        if not skills or not set(when) & set(DAYS) or not set(when) & set(TIMES):
            raise ValueError("a volunteer offers a skill, and some days and times of day")
        async with self.db.session() as session:
            row = await session.get(Volunteer, profile.user_id)
            if row is None:
                row = Volunteer(
                    user_id=profile.user_id,
                    name_encrypted="",
                    grid_code=profile.grid_code,
                    community_code=profile.community_code,
                )
            row.name_encrypted = self.cipher.encrypt(profile.name)
            row.phone_encrypted = self.cipher.encrypt(profile.phone) if profile.phone else None
            row.skills, row.availability = ",".join(skills), ",".join(when)
            row.grid_code, row.community_code = profile.grid_code, profile.community_code
            row.locale, row.active, row.updated_at = profile.locale, True, utcnow()
            session.add(row)
            await session.commit()
            return self._profile(row)

    async def profile(self, user_id: int) -> Profile | None:
        async with self.db.session() as session:
            row = await session.get(Volunteer, user_id)
        return self._profile(row) if row is not None else None

    async def stop(self, user_id: int) -> bool:
        """No more invitations, and the phone is forgotten; the hours given stay on record."""
        async with self.db.session() as session:
            done = await session.exec(
                update(Volunteer)
                .where(col(Volunteer.user_id) == user_id, col(Volunteer.active).is_(True))
                .values(active=False, phone_encrypted=None, updated_at=utcnow())
            )
            await session.commit()
        return bool(done.rowcount)

    def _profile(self, row: Volunteer) -> Profile:
        return Profile(
            row.user_id,
            self.cipher.decrypt(row.name_encrypted),
            self.cipher.decrypt(row.phone_encrypted) if row.phone_encrypted else None,
            _codes(row.skills),
            _codes(row.availability),
            row.grid_code,
            row.community_code,
            row.locale,
            row.active,
        )

    # --- tasks

    async def post(
        self,
        *,
        staff_chat_id: int,
        grid_code: str,
        community_code: str,
        what: str,
        starts_at: datetime,
        minutes: int,
        needed: int,
        skills: Iterable[str],
        created_by: int,
    ) -> tuple[TaskView, int]:
        """Post a task and invite every matching volunteer; the task and how many were
        invited. Matching: active, living in the grid or its community, offering a wanted
        skill (any, when none is named), free at that time of the week."""
        wanted = tuple(s for s in skills if s in self.skills)
        what = what.strip()
        if not what or len(what) > WHAT_LIMIT or not 1 <= needed <= NEEDED_LIMIT or minutes < 1:
            raise ValueError("a task says what (up to 500 characters), for 1 to 100 people")
        day, time = when_of(starts_at, self.zone)
        async with self.db.session() as session:
            task = VolunteerTask(
                staff_chat_id=staff_chat_id,
                grid_code=grid_code,
                what=what,
                starts_at=as_utc(starts_at).astimezone(UTC),
                minutes=minutes,
                needed=needed,
                skills=",".join(wanted),
                created_by=created_by,
            )
            session.add(task)
            await session.flush()
            near = await session.exec(
                select(Volunteer).where(
                    col(Volunteer.active).is_(True),
                    (col(Volunteer.grid_code) == grid_code)
                    | (col(Volunteer.community_code) == community_code),
                )
            )
            view = self._task(task)
            invited = 0
            for row in near.all():
                offered, free = set(_codes(row.skills)), set(_codes(row.availability))
                if (wanted and not offered & set(wanted)) or not {day, time} <= free:
                    continue
                assert task.id is not None
                session.add(VolunteerShift(task_id=task.id, user_id=row.user_id))
                self.outbox.add(session, self.words.invitation(view, self._profile(row)))
                invited += 1
            await session.commit()
        return view, invited

    async def task(self, task_id: int) -> TaskView | None:
        async with self.db.session() as session:
            row = await session.get(VolunteerTask, task_id, populate_existing=True)
        return self._task(row) if row is not None else None

    @staticmethod
    def _task(row: VolunteerTask) -> TaskView:
        assert row.id is not None
        return TaskView(
            row.id,
            row.staff_chat_id,
            row.grid_code,
            row.what,
            as_utc(row.starts_at),
            row.minutes,
            row.needed,
            row.accepted,
            _codes(row.skills),
        )

    async def answer(self, task_id: int, user_id: int, accept: bool, now: datetime) -> Answer:
        """An invited volunteer accepts or declines (also after accepting: a place frees)."""
        async with self.db.session() as session:
            shift = await session.get(VolunteerShift, (task_id, user_id))
            task = await session.get(VolunteerTask, task_id)
            volunteer = await session.get(Volunteer, user_id)
            if shift is None or task is None or volunteer is None:
                return Answer.NOT_INVITED
            if as_utc(task.starts_at) <= as_utc(now):
                return Answer.STARTED
            was = shift.state
            if (was == "accepted") == accept:
                return Answer.ALREADY
            if accept:  # a place, if one is left: counted by the database, not here
                taken = await session.exec(
                    update(VolunteerTask)
                    .where(
                        col(VolunteerTask.id) == task_id,
                        col(VolunteerTask.accepted) < col(VolunteerTask.needed),
                    )
                    .values(accepted=VolunteerTask.accepted + 1)
                )
                if taken.rowcount != 1:
                    await session.rollback()
                    return Answer.FULL
            elif was == "accepted":
                await session.exec(
                    update(VolunteerTask)
                    .where(col(VolunteerTask.id) == task_id, col(VolunteerTask.accepted) > 0)
                    .values(accepted=VolunteerTask.accepted - 1)
                )
            moved = await session.exec(
                update(VolunteerShift)
                .where(
                    col(VolunteerShift.task_id) == task_id,
                    col(VolunteerShift.user_id) == user_id,
                    col(VolunteerShift.state) == was,
                )
                .values(state="accepted" if accept else "declined", answered_at=as_utc(now))
            )
            if moved.rowcount != 1:  # the same person pressed twice at once
                await session.rollback()
                return Answer.ALREADY
            if accept or was == "accepted":  # staff hear of a place taken or freed
                await session.refresh(task)
                told = self.words.answered(self._task(task), self._profile(volunteer), accept)
                self.outbox.add(session, told)
            await session.commit()
        return Answer.ACCEPTED if accept else Answer.DECLINED

    async def attendees(self, task_id: int) -> list[Attendee]:
        """Who accepted, and what staff confirmed of them so far."""
        async with self.db.session() as session:
            rows = (
                await session.exec(
                    select(VolunteerShift, Volunteer)
                    .join(Volunteer, col(Volunteer.user_id) == col(VolunteerShift.user_id))
                    .where(
                        col(VolunteerShift.task_id) == task_id,
                        col(VolunteerShift.state).in_(("accepted", "attended", "absent")),
                    )
                    .order_by(col(VolunteerShift.answered_at))
                )
            ).all()
        return [
            Attendee(
                shift.user_id,
                self.cipher.decrypt(volunteer.name_encrypted),
                shift.state,
                shift.minutes,
            )
            for shift, volunteer in rows
        ]

    async def confirm(
        self, task_id: int, user_id: int, attended: bool, by: int, now: datetime
    ) -> bool:
        """Staff record whether an accepted volunteer came; the task's length becomes their
        hours. Not before the task starts; can be corrected."""
        async with self.db.session() as session:
            task = await session.get(VolunteerTask, task_id)
            if task is None or as_utc(task.starts_at) > as_utc(now):
                return False
            done = await session.exec(
                update(VolunteerShift)
                .where(
                    col(VolunteerShift.task_id) == task_id,
                    col(VolunteerShift.user_id) == user_id,
                    col(VolunteerShift.state).in_(("accepted", "attended", "absent")),
                )
                .values(
                    state="attended" if attended else "absent",
                    minutes=task.minutes if attended else 0,
                    confirmed_by=by,
                )
            )
            await session.commit()
        return bool(done.rowcount)

    # --- hours and thanks

    def _month_start(self, moment: datetime) -> datetime:
        local = as_utc(moment).astimezone(self.zone)
        return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    async def hours(self, user_id: int, now: datetime) -> Hours:
        month = self._month_start(now)
        async with self.db.session() as session:
            rows = (
                await session.exec(
                    select(VolunteerShift.minutes, VolunteerTask.starts_at)
                    .join(VolunteerTask, col(VolunteerTask.id) == col(VolunteerShift.task_id))
                    .where(
                        col(VolunteerShift.user_id) == user_id,
                        col(VolunteerShift.state) == "attended",
                    )
                )
            ).all()
        this_month = sum(m for m, starts in rows if as_utc(starts) >= month)
        return Hours(this_month, sum(m for m, _ in rows), len(rows))

    async def thank(self, now: datetime) -> int:
        """Once a month, from its first day: each volunteer with hours last month is thanked
        with a summary of it, once (one `volunteer_thanks` row per volunteer and month)."""
        this_month = self._month_start(now)
        last_month = self._month_start(this_month - timedelta(days=1))
        label = f"{last_month:%Y-%m}"
        async with self.db.session() as session:
            rows = (
                await session.exec(
                    select(
                        VolunteerShift.user_id,
                        func.sum(VolunteerShift.minutes),
                        func.count(),
                    )
                    .join(VolunteerTask, col(VolunteerTask.id) == col(VolunteerShift.task_id))
                    .where(
                        col(VolunteerShift.state) == "attended",
                        col(VolunteerTask.starts_at) >= last_month.astimezone(UTC),
                        col(VolunteerTask.starts_at) < this_month.astimezone(UTC),
                    )
                    .group_by(col(VolunteerShift.user_id))
                )
            ).all()
            thanked = set(
                (
                    await session.exec(
                        select(VolunteerThanks.user_id).where(VolunteerThanks.month == label)
                    )
                ).all()
            )
        sent = 0
        for user_id, minutes, tasks in rows:
            if user_id in thanked or not minutes:
                continue
            async with self.db.session() as session:
                volunteer = await session.get(Volunteer, user_id)
                if volunteer is None:
                    continue
                session.add(VolunteerThanks(user_id=user_id, month=label, sent_at=as_utc(now)))
                message = self.words.thanks(self._profile(volunteer), label, int(minutes), tasks)
                self.outbox.add(session, message)
                try:
                    await session.commit()
                except IntegrityError:  # another process thanked them a moment ago
                    await session.rollback()
                    continue
            sent += 1
        return sent
