"""What the volunteer service (services/volunteers.py) takes and answers with: the fixed skills,
days and times of day, a volunteer's profile, a task as shown, an answer's outcome, the hours
given, and the `VolunteerWords` the bot renders in each reader's language.

Its own module so the handlers and the routing file's skills (services/volunteer_routing.py)
read this vocabulary without the service's database work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Protocol

from services.models import as_utc
from services.outbox import Outgoing

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
