"""The community's programmes on the dashboard: rental houses by risk colour, mediation, the
legal service point and deliberation's decisions, each read with SQL aggregates.

Nothing personal: a rental house is its code, grid, colour and the findings behind the colour
(never the address, the landlord or a tenant); mediation and the legal service point are
counts; a decision is the question and staff's words. A grid's staff see their grids' houses;
the other programmes (the whole street's) only those who see everything.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import col

from services.deliberation_outcome import PublicDecision, public_decisions
from services.legal_hours import month_bounds
from services.mediation_stats import MediationStats, organisation_stats
from services.models import LegalHours, LegalQuestion, RentalHouse
from services.rental_queries import RentalFigures
from services.routing import Routing
from services.storage import Database
from services.street_map import WIDTH, frame_of

__all__ = [
    "HOUSES_SHOWN",
    "DashboardProgrammes",
    "HousePoint",
    "LegalFigures",
    "Programmes",
    "draw_houses",
]

HOUSES_SHOWN = 2000  # red first, then yellow, then green
COLOUR_ORDER = ("red", "yellow", "green")


@dataclass(frozen=True)
class HousePoint:
    code: str
    grid: str
    colour: str
    reasons: list[dict[str, Any]]
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class LegalFigures:
    per_topic: list[tuple[str, int, int]]  # topic, questions, answered
    month: date  # the first day of the month the hours are of
    minutes: int  # lawyers' service minutes recorded for the month
    lawyers: int  # how many lawyers gave them

    @property
    def asked(self) -> int:
        return sum(n for _t, n, _a in self.per_topic)

    @property
    def answered_share(self) -> float | None:
        answered = sum(a for _t, _n, a in self.per_topic)
        return answered / self.asked if self.asked else None


@dataclass(frozen=True)
class Programmes:
    houses: list[HousePoint]
    houses_per_grid: dict[str, dict[str, int]]  # grid → colour → houses
    mediation: MediationStats | None = None  # None: not the viewer's to see
    legal: LegalFigures | None = None
    decisions: list[PublicDecision] | None = None

    @property
    def houses_total(self) -> int:
        return sum(sum(colours.values()) for colours in self.houses_per_grid.values())


class DashboardProgrammes:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.rental = RentalFigures(db)

    async def programmes(
        self, grids: frozenset[str] | None, today: date, decisions: int = 20
    ) -> Programmes:
        """What a viewer of `grids` (None: everything) sees of the programmes."""
        shown = None if grids is None else sorted(grids)
        houses = await self.houses(shown)
        per_grid = await self.rental.counts_per_grid(shown) if shown != [] else {}
        if grids is not None:
            return Programmes(houses, per_grid)
        return Programmes(
            houses,
            per_grid,
            mediation=await organisation_stats(self.db, None),
            legal=await self.legal(today),
            decisions=await public_decisions(self.db, decisions),
        )

    async def houses(self, grids: Sequence[str] | None) -> list[HousePoint]:
        """The houses of these grids (None: all), red first, at most HOUSES_SHOWN."""
        if grids is not None and not grids:
            return []
        h = RentalHouse
        order = case((col(h.colour) == "red", 0), (col(h.colour) == "yellow", 1), else_=2)
        query = (
            select(
                col(h.code),
                col(h.grid),
                col(h.colour),
                col(h.reasons),
                col(h.latitude),
                col(h.longitude),
            )
            .where(col(h.removed_on).is_(None))  # a removed house is no longer watched
            .order_by(order, col(h.grid), col(h.code))
            .limit(HOUSES_SHOWN)
        )
        if grids is not None:
            query = query.where(col(h.grid).in_(list(grids)))
        async with self.db.engine.connect() as connection:  # reading only
            rows = list(await connection.execute(query))
        return [
            HousePoint(code, grid, colour, list(reasons or []), latitude, longitude)
            for code, grid, colour, reasons, latitude, longitude in rows
        ]

    async def legal(self, today: date) -> LegalFigures:
        """Questions per topic (all time) and how many were answered; this month's hours."""
        q = LegalQuestion
        answered = func.sum(case((col(q.answered_at).is_not(None), 1), else_=0))
        topics = (
            select(col(q.topic), func.count(), answered)
            .group_by(col(q.topic))
            .order_by(func.count().desc(), col(q.topic))
        )
        start, end = month_bounds(today.year, today.month)
        hours = select(
            func.coalesce(func.sum(col(LegalHours.minutes)), 0),
            func.count(func.distinct(col(LegalHours.lawyer_id))),
        ).where(col(LegalHours.day) >= start, col(LegalHours.day) < end)
        async with self.db.engine.connect() as connection:  # reading only
            per_topic = [
                (str(topic), int(n), int(done or 0))
                for topic, n, done in await connection.execute(topics)
            ]
            minutes, lawyers = (await connection.execute(hours)).one()
        return LegalFigures(per_topic, start, int(minutes or 0), int(lawyers or 0))


def draw_houses(
    houses: Sequence[HousePoint],
    routing: Routing,
    grids: frozenset[str] | None,
    title: str,
    words: Callable[[HousePoint], str],
) -> str:
    """The viewer's grids as plain shapes and each house that has a place as a dot of its
    colour, titled with `words` (code, colour, reasons: never an address). SVG, no script."""
    e = html.escape
    shapes = [g for g in routing.grids if g.area and (grids is None or g.code in grids)]
    placed = [h for h in houses if h.latitude is not None and h.longitude is not None]
    places = [(lat, lon) for grid in shapes for lon, lat in grid.area[0]]
    places += [(float(h.latitude or 0), float(h.longitude or 0)) for h in placed]
    frame = frame_of(places)
    if frame is None:
        return ""
    parts = [
        f'<svg class="street-map houses-map" viewBox="0 0 {WIDTH:.0f} '
        f'{frame.pixel_height:.0f}" role="img" aria-labelledby="houses-map-title" '
        'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="houses-map-title">{e(title)}</title>'
        f'<rect class="ground" width="{WIDTH:.0f}" height="{frame.pixel_height:.0f}"/>'
    ]
    for grid in shapes:
        rings = " ".join(
            "M"
            + " L".join(f"{x:.1f},{y:.1f}" for x, y in (frame.place(la, lo) for lo, la in ring))
            + " Z"
            for ring in grid.area
        )
        parts.append(
            f'<path class="grid level-0" data-grid="{e(grid.code)}" fill-rule="evenodd" '
            f'd="{rings}"/>'
        )
    for house in reversed(placed):  # red drawn last, on top
        x, y = frame.place(float(house.latitude or 0), float(house.longitude or 0))
        said = words(house)
        parts.append(
            f'<g class="house house-{e(house.colour)}" data-house="{e(house.code)}" '
            f'role="img" aria-label="{e(said)}"><circle cx="{x:.1f}" cy="{y:.1f}" r="7"/>'
            f"<title>{e(said)}</title></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
