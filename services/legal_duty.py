"""Who is on duty at the legal service point, and who may act as a lawyer, asked now.

The routing file's roster gives each lawyer's weekdays; a lawyer changes one day for themself
with `/duty on|off` (a row per day and lawyer, the last word kept). Acting as a lawyer (taking a
question, answering, recording hours) needs both: listed as a lawyer, and a member of the
lawyers' chat at that moment (asked of Telegram through Authorization).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlmodel import select

from services.authorization import Actor, Authorization, ChatStanding, MembershipUnknown
from services.legal_routing import CurrentPoint, Lawyer, LegalPoint
from services.models import LegalDuty, utcnow
from services.storage import Database


class Standing(StrEnum):
    LAWYER = "lawyer"
    NOT_LAWYER = "not_lawyer"  # a member of the chat, or anyone, who is not on the roster
    OUTSIDER = "outsider"  # on the roster but not in the lawyers' chat (left, removed)
    UNKNOWN = "unknown"  # Telegram could not say: refused now, try again
    NO_POINT = "no_point"  # the deployment has no legal service point


@dataclass(frozen=True)
class DutyDay:
    day: date
    lawyers: list[Lawyer]


class DutyRoster:
    def __init__(self, db: Database, current: CurrentPoint, authorization: Authorization) -> None:
        self.db, self.current, self.authorization = db, current, authorization

    @property
    def point(self) -> LegalPoint | None:
        return self.current.point

    async def standing(self, actor: Actor, action: str) -> tuple[Standing, Lawyer | None]:
        """Whether this person may act as a lawyer now; a refusal is logged."""
        point = self.point
        if point is None:
            return Standing.NO_POINT, None
        lawyer = point.lawyer(actor.user_id)
        if lawyer is None or actor.as_chat is not None:
            self.authorization.refused(actor, action, "legal service point", "not a lawyer")
            return Standing.NOT_LAWYER, None
        try:
            standing = await self.authorization.standing(point.chat_id, actor.user_id)
        except MembershipUnknown:
            return Standing.UNKNOWN, lawyer
        if standing is ChatStanding.OUTSIDER:
            self.authorization.refused(actor, action, "legal service point", "left the chat")
            return Standing.OUTSIDER, lawyer
        return Standing.LAWYER, lawyer

    async def on_duty(self, day: date) -> DutyDay:
        """The lawyers on duty that day: the roster's, as each lawyer's own word changes it."""
        point = self.point
        if point is None:
            return DutyDay(day, [])
        async with self.db.session() as session:
            rows = await session.exec(select(LegalDuty).where(LegalDuty.day == day))
            said = {row.lawyer_id: row.on_duty for row in rows}
        rostered = {lawyer.user_id for lawyer in point.rostered(day)}
        return DutyDay(
            day,
            [
                lawyer
                for lawyer in point.lawyers
                if said.get(lawyer.user_id, lawyer.user_id in rostered)
            ],
        )

    async def is_on_duty(self, user_id: int, day: date) -> bool:
        return any(lawyer.user_id == user_id for lawyer in (await self.on_duty(day)).lawyers)

    async def set(self, user_id: int, day: date, on_duty: bool) -> None:
        """A lawyer's own word for a day (the caller checked they are a lawyer now)."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(LegalDuty).where(LegalDuty.day == day, LegalDuty.lawyer_id == user_id)
            )
            row = rows.first() or LegalDuty(day=day, lawyer_id=user_id)
            row.on_duty, row.set_at = on_duty, utcnow()
            session.add(row)
            await session.commit()
