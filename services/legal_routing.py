"""The routing file's `legal:` section: the legal service point, its lawyers and their days.

    legal:
      chat: -1001000000030          # the lawyers' chat: questions arrive there as cards
      forum: true                   # that chat is a forum: one topic per question
      name: {en: ..., zh: ...}      # the service point, as askers read it
      address: {en: ..., zh: ...}   # where consultations are held
      lawyers:
        - {id: 5001, name: Lawyer Chen, duty: [mon, wed, fri]}
      slots:                        # in-person consultations, local time, per weekday
        mon: ["14:00", "15:00"]
      slot_minutes: 45

Checked when the routing file is loaded (services/routing_file.py calls `check_legal`); a mistake
is a ValueError naming the entry, which the loader turns into its one-line RoutingError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Localized = dict[str, str]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Lawyer(_Model):
    id: Annotated[int, Field(gt=0)]
    name: Annotated[str, Field(min_length=1)]
    duty: list[str] = []


class _Legal(_Model):
    chat: int
    forum: bool = False
    name: Localized = {"en": "Legal service point", "zh": "法律服务点"}
    address: Localized = {"en": "", "zh": ""}
    lawyers: list[_Lawyer] = []
    slots: dict[str, list[str]] = {}
    slot_minutes: Annotated[int, Field(gt=0, le=480)] = 45


@dataclass(frozen=True)
class Lawyer:
    user_id: int
    name: str
    duty: frozenset[int]  # weekdays, Monday 0


@dataclass(frozen=True)
class LegalPoint:
    """The service point as the routing file describes it."""

    chat_id: int
    forum: bool
    name: Localized = field(hash=False)
    address: Localized = field(hash=False)
    lawyers: tuple[Lawyer, ...]
    slots: dict[int, tuple[time, ...]] = field(hash=False)  # weekday → start times
    slot_minutes: int = 45

    def lawyer(self, user_id: int) -> Lawyer | None:
        return next((lawyer for lawyer in self.lawyers if lawyer.user_id == user_id), None)

    def rostered(self, day: date) -> list[Lawyer]:
        """The lawyers the roster puts on duty that day (before anyone's `/duty`)."""
        return [lawyer for lawyer in self.lawyers if day.weekday() in lawyer.duty]

    def week_slots(self, now: datetime, zone: tzinfo, days: int = 7) -> list[datetime]:
        """The consultation slots from now for a week, in order, as aware times."""
        today = now.astimezone(zone).date()
        found = []
        for offset in range(days + 1):
            day = today + timedelta(days=offset)
            for start in self.slots.get(day.weekday(), ()):
                moment = datetime.combine(day, start, tzinfo=zone)
                if now < moment <= now + timedelta(days=days):
                    found.append(moment)
        return found


def check_legal(data: object) -> LegalPoint:
    """The section checked and built; ValueError "legal.where: what is wrong" otherwise."""
    try:
        parsed = _Legal.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"legal.{where}: {first['msg']}".replace(".: ", ": ")) from None
    lawyers = []
    for i, lawyer in enumerate(parsed.lawyers):
        days = set()
        for day in lawyer.duty:
            if day not in WEEKDAYS:
                raise ValueError(f"legal.lawyers[{i}].duty: {day!r} is not one of {WEEKDAYS}")
            days.add(WEEKDAYS.index(day))
        lawyers.append(Lawyer(lawyer.id, lawyer.name, frozenset(days)))
    if len({lawyer.user_id for lawyer in lawyers}) != len(lawyers):
        raise ValueError("legal.lawyers: a lawyer is listed twice")
    slots: dict[int, tuple[time, ...]] = {}
    for day, starts in parsed.slots.items():
        if day not in WEEKDAYS:
            raise ValueError(f"legal.slots.{day}: not one of {WEEKDAYS}")
        try:
            slots[WEEKDAYS.index(day)] = tuple(sorted(time.fromisoformat(s) for s in starts))
        except ValueError:
            raise ValueError(f"legal.slots.{day}: a time is written HH:MM, e.g. 14:30") from None
    return LegalPoint(
        parsed.chat,
        parsed.forum,
        dict(parsed.name),
        dict(parsed.address),
        tuple(lawyers),
        slots,
        parsed.slot_minutes,
    )


def legal_point(section: dict[str, Any] | None) -> LegalPoint | None:
    """The service point of a routing's `legal` section (None: the deployment has none)."""
    return None if section is None else check_legal(section)


class CurrentPoint:
    """The service point of the routing in use now: follows the routing as it changes."""

    def __init__(self, section: dict[str, Any] | None) -> None:
        self.point = legal_point(section)

    def use(self, section: dict[str, Any] | None) -> None:
        self.point = legal_point(section)
