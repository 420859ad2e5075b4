"""The street map's figures and drawing (services/street_map.py), with plain pytest: counts per
grid by SQL, a viewer's grids only, points with no personal data, tiles that line up.

Uses the bundled sample routing file: grids SJB-01 ("Grid 1: east gate") and SJB-02.
"""

from __future__ import annotations

import re
from datetime import timedelta

from services.models import Ticket, utcnow
from services.routing import load_routing
from services.storage import Database
from services.street_map import (
    GridCount,
    MapFilter,
    Names,
    StreetMap,
    draw,
    frame_of,
    level,
    mercator,
    tiles,
)

EAST_GATE = (30.7610, 120.7550)
RIVERSIDE = (30.7610, 120.7515)


def ticket(
    number: int, grid: str | None, place: tuple[float, float] | None, **rest: object
) -> Ticket:
    fields: dict[str, object] = {
        "number": f"2026-{number:06d}",
        "resident_id": 7000 + number,
        "resident_name": "Zhang Wei",
        "category": "drainage",
        "grid": grid,
        "staff_chat_id": -1001000000011,
        "text": "Call me at 13800138000",
        "address": "Room 301, building 4",
        "latitude": place[0] if place else None,
        "longitude": place[1] if place else None,
        **rest,
    }
    return Ticket(**fields)  # type: ignore[arg-type]


async def test_counts_scope_points_and_a_drawing_without_personal_data(
    database_url: str,
) -> None:
    db = Database(database_url)
    now = utcnow()
    async with db.session() as session:
        for row in (
            ticket(1, "SJB-01", EAST_GATE),
            ticket(2, "SJB-01", EAST_GATE, status="taken", escalation_level=2),
            ticket(3, "SJB-01", None, status="resolved"),
            ticket(4, "SJB-02", RIVERSIDE, category="noise"),
            ticket(5, None, (30.70, 120.70)),
            ticket(6, "SJB-01", EAST_GATE, created_at=now - timedelta(days=200)),
        ):
            session.add(row)
        await session.commit()
    routing = load_routing(None, None)
    street = StreetMap(db, lambda: routing)
    try:
        recent = MapFilter(since=now - timedelta(days=30))
        everything = await street.view(recent, None)
        counts = {count.code: count for count in everything.grids}
        assert counts["SJB-01"] == GridCount("SJB-01", open=2, overdue=1)
        assert counts["SJB-02"] == GridCount("SJB-02", open=1, overdue=0)
        assert counts["QD-01"] == GridCount("QD-01", open=0, overdue=0)
        assert everything.outside == GridCount("", open=1, overdue=0)
        assert sorted(p.number for p in everything.points) == [
            "2026-000001",
            "2026-000002",
            "2026-000004",
            "2026-000005",
        ]
        assert [p.overdue for p in everything.points if p.number == "2026-000002"] == [True]

        # a grid's staff member: their grid only, nothing outside every grid
        mine = await street.view(recent, frozenset({"SJB-02"}))
        assert [count.code for count in mine.grids] == ["SJB-02"]
        assert [p.number for p in mine.points] == ["2026-000004"] and mine.outside is None
        # asking for another grid by the filter shows nothing of it
        other = await street.view(MapFilter(grid="SJB-01"), frozenset({"SJB-02"}))
        assert other.grids == [] and other.points == []
        # the category filter
        noise = await street.view(MapFilter(category="noise"), None)
        assert [p.number for p in noise.points] == ["2026-000004"]
        assert sum(count.open for count in noise.grids) == 1

        names = Names(
            grids={g.code: g.name["en"] for g in routing.grids},
            categories={"drainage": "Drains and sewers", "noise": "Noise"},
            statuses={"new": "waiting to be taken", "taken": "taken"},
            title="Map of open requests",
        )
        svg = draw(everything, routing, names, "open", lambda n: f"/dashboard/tickets/{n}")
        assert svg.startswith('<svg class="street-map"')
        assert len(re.findall(r'<path class="grid level-\d"', svg)) == len(routing.grids)
        assert 'data-grid="SJB-01"' in svg and "<title>Grid 1: east gate: 2</title>" in svg
        assert 'href="/dashboard/tickets/2026-000002"' in svg
        assert "<title>2026-000002 · Drains and sewers · taken</title>" in svg
        for private in ("Zhang Wei", "13800138000", "Room 301"):
            assert private not in svg
        assert "<image" not in svg  # no base map unless one is set
        with_tiles = draw(
            everything,
            routing,
            names,
            "overdue",
            str,
            "https://tiles.example.cn/{z}/{x}/{y}.png",
        )
        assert '<image href="https://tiles.example.cn/' in with_tiles
    finally:
        await db.close()


def test_grid_colours_follow_open_tickets_or_the_overdue_share() -> None:
    assert level(GridCount("a", 0, 0), "open", 10) == 0
    assert level(GridCount("a", 1, 0), "open", 10) == 1
    assert level(GridCount("a", 10, 0), "open", 10) == 4
    assert level(GridCount("a", 10, 0), "overdue", 10) == 0
    assert level(GridCount("a", 4, 2), "overdue", 10) == 3
    assert level(GridCount("a", 4, 4), "overdue", 10) == 4


def test_tiles_line_up_with_the_projection() -> None:
    frame = frame_of([(30.76, 120.75), (30.7627, 120.76)])
    assert frame is not None
    laid = tiles(frame, "https://t.example/{z}/{x}/{y}.png")
    assert 1 <= len(laid) <= 64
    address, x, y, size = laid[0]
    zoom, column, row = (int(part) for part in re.findall(r"/(\d+)", address))
    # the tile's corner is where the projection puts that corner of the world
    assert x == (column / 2**zoom - frame.left) * frame.scale
    assert y == (row / 2**zoom - frame.top) * frame.scale
    assert size == frame.scale / 2**zoom
    west, north = mercator(30.7627, 120.75)
    assert frame.left < west and frame.top < north
