"""Figures about rental houses, as SQL aggregates: for `/houses` now, the dashboard later."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, func
from sqlmodel import col, select

from services.models import RentalHouse
from services.rental_routing import COLOURS
from services.storage import Database

__all__ = ["RentalFigures"]


class RentalFigures:
    """Counts per colour and per grid, and the houses that need attention."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def counts_per_grid(
        self, grids: Sequence[str] | None = None
    ) -> dict[str, dict[str, int]]:
        """grid → colour → number of houses (every colour present, zero or not); `grids`
        None: every grid."""
        query = (
            select(RentalHouse.grid, RentalHouse.colour, func.count())
            .where(col(RentalHouse.removed_on).is_(None))
            .group_by(col(RentalHouse.grid), col(RentalHouse.colour))
        )
        if grids is not None:
            query = query.where(col(RentalHouse.grid).in_(list(grids)))
        async with self.db.session() as session:
            rows = (await session.exec(query)).all()
        counts: dict[str, dict[str, int]] = {}
        for grid, colour, number in rows:
            counts.setdefault(grid, dict.fromkeys(COLOURS, 0))[colour] = int(number)
        return counts

    async def counts(self, grids: Sequence[str]) -> dict[str, int]:
        """colour → number of houses on these grids together."""
        query = (
            select(RentalHouse.colour, func.count())
            .where(col(RentalHouse.grid).in_(list(grids)))
            .where(col(RentalHouse.removed_on).is_(None))
            .group_by(col(RentalHouse.colour))
        )
        async with self.db.session() as session:
            rows = (await session.exec(query)).all()
        counts = dict.fromkeys(COLOURS, 0)
        for colour, number in rows:
            counts[colour] = int(number)
        return counts

    async def flagged(self, grids: Sequence[str], limit: int = 50) -> list[RentalHouse]:
        """The red and yellow houses on these grids, red first, longest in that colour first."""
        order = case((col(RentalHouse.colour) == "red", 0), else_=1)
        query = (
            select(RentalHouse)
            .where(col(RentalHouse.grid).in_(list(grids)))
            .where(col(RentalHouse.colour).in_(("red", "yellow")))
            .where(col(RentalHouse.removed_on).is_(None))
            .order_by(order, col(RentalHouse.updated_at), col(RentalHouse.id))
            .limit(limit)
        )
        async with self.db.session() as session:
            return list((await session.exec(query)).all())
