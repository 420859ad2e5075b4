"""Inspections of rental houses: a grid worker goes down the checklist, item by item.

Each answer (pass or fail, and an optional photo) is stored as it is given, so an inspection
survives a restart and any process takes the next press. When the last item is answered the
inspection is finished: the next one is due after the cadence of the colour it left (the
routing file's `cadence_days`), and the house's colour is worked out again, with its
notifications (services/rental.py).

Who may inspect is asked at every press: the staff of the house's grid chat, of its community's
chat or of the street office's chat (services/authorization.py), or an admin.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select

from services.authorization import Actor, Authorization
from services.models import RentalHouse, RentalInspection, utcnow
from services.rental import RentalError, RentalService
from services.rental_colour import assess, failed_items
from services.rental_routing import ChecklistItem
from services.routing import Routing

__all__ = ["InspectionService", "may_inspect"]


async def may_inspect(
    authorization: Authorization, routing: Routing, house: RentalHouse, actor: Actor
) -> bool:
    """Staff of the house's grid (its chat, its community's, the street office's) or an admin,
    asked now; a refusal is logged."""
    if authorization.is_admin(actor.user_id):
        return True
    try:
        grid = routing.grid(house.grid)
    except KeyError:
        grid = None
    chats = [] if grid is None else routing.escalation_chain(grid)
    for chat in dict.fromkeys(chats):
        if await authorization.staff_scope(chat, actor) is not None:
            return True
    authorization.refused(actor, "inspect", f"rental house {house.code}", "not staff of its grid")
    return False


class InspectionService:
    """Starts, records and finishes inspections; the colour is the rental service's."""

    def __init__(self, rental: RentalService) -> None:
        self.rental = rental
        self.db = rental.db

    @property
    def checklist(self) -> tuple[ChecklistItem, ...]:
        return self.rental.rules.checklist

    async def start(
        self, house_id: int, chat_id: int, actor: Actor, now: datetime | None = None
    ) -> RentalInspection:
        async with self.db.session() as session:
            inspection = RentalInspection(
                house_id=house_id,
                chat_id=chat_id,
                inspector_id=actor.user_id,
                inspector_name=actor.name,
                started_at=now or utcnow(),
            )
            session.add(inspection)
            await session.commit()
            return inspection

    async def get(self, inspection_id: int) -> RentalInspection | None:
        async with self.db.session() as session:
            return await session.get(RentalInspection, inspection_id)

    def next_item(self, inspection: RentalInspection) -> ChecklistItem | None:
        """The first item not answered yet; None when every item is."""
        answered = {code for code, r in inspection.results.items() if r.get("ok") is not None}
        return next((i for i in self.checklist if i.code not in answered), None)

    async def shown_in(self, inspection_id: int, message_id: int) -> None:
        """The bot shows the inspection in this message: a photo replying to it is evidence."""
        async with self.db.session() as session:
            inspection = await session.get(RentalInspection, inspection_id)
            if inspection is None:
                return
            inspection.message_ids = [*inspection.message_ids, message_id]
            session.add(inspection)
            await session.commit()

    async def record(
        self, inspection_id: int, item_code: str, ok: bool, now: datetime | None = None
    ) -> tuple[RentalInspection, RentalHouse, bool]:
        """Store one answer (a second press on the same item changes nothing); finish the
        inspection when it was the last. (inspection, house, finished now)."""
        now = now or utcnow()
        async with self.db.session() as session:
            inspection = await session.get(RentalInspection, inspection_id)
            if inspection is None or self.rental.rules.item(item_code) is None:
                raise RentalError(f"no inspection {inspection_id} or item {item_code}")
            house = await session.get(RentalHouse, inspection.house_id)
            assert house is not None
            earlier = inspection.results.get(item_code) or {}
            if inspection.finished_at is not None or earlier.get("ok") is not None:
                return inspection, house, False
            answer = {"ok": ok, "photo": earlier.get("photo")}
            inspection.results = {**inspection.results, item_code: answer}
            finished = self.next_item(inspection) is None
            if finished:
                inspection.finished_at = now
                colour, _ = assess(
                    self.rental.rules,
                    failed=failed_items(inspection),
                    tenants=len(await self.rental._current_tenants(session, inspection.house_id)),
                    beds=house.beds,
                    next_due=now + timedelta(days=1),  # as if on time: the cadence's colour
                    now=now,
                )
                house.last_inspected_at = now
                house.next_due = now + timedelta(days=self.rental.rules.cadence_days[colour])
                session.add(inspection)
                await session.flush()
                await self.rental.reassess(session, house, now)
            session.add(inspection)
            await session.commit()
            return inspection, house, finished

    async def shown_at(self, chat_id: int, message_id: int) -> RentalInspection | None:
        """The inspection the bot shows in this message, if any (recent ones of the chat)."""
        async with self.db.session() as session:
            rows = await session.exec(
                select(RentalInspection)
                .where(RentalInspection.chat_id == chat_id)
                .order_by(col(RentalInspection.id).desc())
                .limit(20)
            )
            for inspection in rows.all():
                if message_id in inspection.message_ids:
                    return inspection
        return None

    async def attach_photo(self, inspection_id: int, file_id: str) -> ChecklistItem | None:
        """A photo for the item being inspected (the last one once all are answered); the
        latest photo of an item counts."""
        async with self.db.session() as session:
            inspection = await session.get(RentalInspection, inspection_id)
            if inspection is None:
                return None
            item = self.next_item(inspection) or self.checklist[-1]
            result = dict(inspection.results.get(item.code) or {"ok": None})
            result["photo"] = file_id
            inspection.results = {**inspection.results, item.code: result}
            session.add(inspection)
            await session.commit()
            return item

    async def last_finished(self, house_id: int) -> RentalInspection | None:
        async with self.db.session() as session:
            rows = await session.exec(
                select(RentalInspection)
                .where(RentalInspection.house_id == house_id)
                .where(col(RentalInspection.finished_at).is_not(None))
                .order_by(col(RentalInspection.finished_at).desc())
                .limit(1)
            )
            return rows.first()
