"""The street on a map: the grids' shapes coloured by their open or overdue tickets, and the
tickets as points, drawn server-side as SVG (no script, no tile server needed).

Nothing personal is on the map: a point is a ticket's number, category and status at its
place; no name, no words of the resident, no address. What a viewer sees is limited to the
grids they may see (`grids`; None: all, including tickets outside every grid).

The projection is Web Mercator scaled to the shapes' bounding box, so a base map of standard
{z}/{x}/{y} tiles (MAP_TILES_URL) lines up under the shapes when one is allowed.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlmodel import col

from services.models import Ticket
from services.routing import Routing
from services.storage import Database
from services.ticket_queries import OPEN

WIDTH = 800.0  # the SVG's width in its own units; the height follows the area's shape
PADDING = 0.06  # of the box, around the shapes
POINTS_SHOWN = 2000  # the newest tickets of the period that have a place
MAX_TILES = 64
LEVELS = 5  # colour steps of a grid (level-0 … level-4)
COLOURINGS = ("open", "overdue")


@dataclass(frozen=True)
class MapFilter:
    """The dashboard's filters: tickets received in [since, until), of a grid, of a category."""

    since: datetime | None = None
    until: datetime | None = None
    grid: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class GridCount:
    code: str
    open: int
    overdue: int  # open and escalated at least once (waited past its time)

    @property
    def overdue_share(self) -> float | None:
        return None if not self.open else self.overdue / self.open


@dataclass(frozen=True)
class TicketPoint:
    number: str
    category: str
    status: str
    grid: str | None
    latitude: float
    longitude: float
    overdue: bool


@dataclass(frozen=True)
class StreetView:
    """What one viewer may see on the map with these filters."""

    grids: list[GridCount]
    points: list[TicketPoint]
    outside: GridCount | None = None  # tickets outside every grid (only for those who see all)


@dataclass(frozen=True)
class Names:
    """The words the drawing needs, already in the reader's language."""

    grids: Mapping[str, str]
    categories: Mapping[str, str]
    statuses: Mapping[str, str]
    title: str
    grid_title: Callable[[str, GridCount], str] = field(
        default=lambda name, count: f"{name}: {count.open}"
    )


class StreetMap:
    def __init__(self, db: Database, routing: Callable[[], Routing]) -> None:
        self.db = db
        self.routing = routing  # the routing in use now (services.routing_store.LiveRouting)

    async def view(
        self,
        filters: MapFilter,
        grids: frozenset[str] | None,
        categories: frozenset[str] = frozenset(),
    ) -> StreetView:
        """Counts per grid and the points, read with SQL aggregates and one bounded query.
        `categories`: with `grids`, tickets of these categories too, whatever their grid."""
        routing = self.routing()
        shown = [g.code for g in routing.grids if grids is None or g.code in grids]
        if filters.grid is not None:
            shown = [code for code in shown if code == filters.grid]
        conditions = []
        if filters.since is not None:
            conditions.append(col(Ticket.created_at) >= filters.since)
        if filters.until is not None:
            conditions.append(col(Ticket.created_at) < filters.until)
        if filters.category is not None:
            conditions.append(col(Ticket.category) == filters.category)
        sees_outside = grids is None and filters.grid is None
        in_scope: ColumnElement[bool] = col(Ticket.grid).in_(shown or [""])
        if sees_outside:
            in_scope = or_(in_scope, col(Ticket.grid).is_(None))
        elif categories and filters.grid is None:
            in_scope = or_(in_scope, col(Ticket.category).in_(sorted(categories)))
        is_open = col(Ticket.status).in_(OPEN)
        overdue = is_open & (col(Ticket.escalation_level) > 0)
        counts = (
            select(
                col(Ticket.grid),
                func.count().filter(is_open),
                func.count().filter(overdue),
            )
            .where(in_scope, *conditions)
            .group_by(col(Ticket.grid))
        )
        points = (
            select(
                col(Ticket.number),
                col(Ticket.category),
                col(Ticket.status),
                col(Ticket.grid),
                col(Ticket.latitude),
                col(Ticket.longitude),
                col(Ticket.escalation_level),
            )
            .where(in_scope, *conditions)
            .where(col(Ticket.latitude).is_not(None), col(Ticket.longitude).is_not(None))
            .order_by(col(Ticket.created_at).desc())
            .limit(POINTS_SHOWN)
        )
        async with self.db.engine.connect() as connection:  # reading only
            found = {grid: (int(o), int(d)) for grid, o, d in await connection.execute(counts)}
            rows = list(await connection.execute(points))
        outside = None
        if sees_outside:
            opened, late = found.get(None, (0, 0))
            outside = GridCount("", opened, late)
        return StreetView(
            grids=[GridCount(code, *found.get(code, (0, 0))) for code in shown],
            points=[
                TicketPoint(
                    number,
                    category,
                    status,
                    grid,
                    float(latitude or 0.0),
                    float(longitude or 0.0),
                    status in OPEN and level > 0,
                )
                for number, category, status, grid, latitude, longitude, level in rows
            ],
            outside=outside,
        )


# --- drawing ---------------------------------------------------------------------------------


def mercator(latitude: float, longitude: float) -> tuple[float, float]:
    """Web Mercator, as 0…1 across the world (x east, y south), as map tiles are cut."""
    latitude = max(-85.05112878, min(85.05112878, latitude))
    x = (longitude + 180.0) / 360.0
    sine = math.sin(math.radians(latitude))
    y = 0.5 - math.log((1 + sine) / (1 - sine)) / (4 * math.pi)
    return x, y


@dataclass(frozen=True)
class Frame:
    """The part of the world drawn: its corner and size in Mercator units, and the scale."""

    left: float
    top: float
    width: float
    height: float

    @property
    def scale(self) -> float:
        return WIDTH / self.width

    @property
    def pixel_height(self) -> float:
        return self.height * self.scale

    def place(self, latitude: float, longitude: float) -> tuple[float, float]:
        x, y = mercator(latitude, longitude)
        return (x - self.left) * self.scale, (y - self.top) * self.scale


def frame_of(places: Iterable[tuple[float, float]]) -> Frame | None:
    """The box around (latitude, longitude) places, padded; None if there are none."""
    projected = [mercator(lat, lon) for lat, lon in places]
    if not projected:
        return None
    xs, ys = [x for x, _ in projected], [y for _, y in projected]
    width = max(max(xs) - min(xs), 1e-6)
    height = max(max(ys) - min(ys), 1e-6)
    width, height = max(width, height / 3), max(height, width / 3)  # never a sliver
    pad_x, pad_y = width * PADDING, height * PADDING
    left = (min(xs) + max(xs) - width) / 2 - pad_x
    top = (min(ys) + max(ys) - height) / 2 - pad_y
    return Frame(left, top, width + 2 * pad_x, height + 2 * pad_y)


def tiles(frame: Frame, template: str) -> list[tuple[str, float, float, float]]:
    """The base map's tiles under the frame: (address, x, y, size) in SVG units."""
    zoom = int(max(0, min(19, math.floor(math.log2(WIDTH / (256 * frame.width))) + 1)))
    while True:
        count = 2**zoom
        first_x, last_x = int(frame.left * count), int((frame.left + frame.width) * count)
        first_y, last_y = int(frame.top * count), int((frame.top + frame.height) * count)
        if (last_x - first_x + 1) * (last_y - first_y + 1) <= MAX_TILES or zoom == 0:
            break
        zoom -= 1
    size = frame.scale / count
    return [
        (
            template.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y)),
            (x / count - frame.left) * frame.scale,
            (y / count - frame.top) * frame.scale,
            size,
        )
        for y in range(max(0, first_y), min(count - 1, last_y) + 1)
        for x in range(max(0, first_x), min(count - 1, last_x) + 1)
    ]


def level(count: GridCount, colouring: str, most_open: int) -> int:
    """The colour step of a grid: by its open tickets (against the busiest grid) or by the
    share of them that are overdue."""
    if colouring == "overdue":
        share = count.overdue_share
        return 0 if not share else min(LEVELS - 1, 1 + int(share * (LEVELS - 1)))
    if not count.open or not most_open:
        return 0
    return min(LEVELS - 1, 1 + int((count.open - 1) * (LEVELS - 1) / most_open))


def draw(
    view: StreetView,
    routing: Routing,
    names: Names,
    colouring: str,
    link: Callable[[str], str],
    tile_template: str | None = None,
) -> str:
    """The map as an SVG element: grid shapes, then points, each point a link to its ticket.

    Every word escaped; titles give screen readers and pointers the same words as the list.
    """
    e = html.escape
    counts = {count.code: count for count in view.grids}
    shapes = [grid for grid in routing.grids if grid.code in counts and grid.area]
    places = [(lat, lon) for grid in shapes for lon, lat in grid.area[0]]
    places += [(point.latitude, point.longitude) for point in view.points]
    frame = frame_of(places)
    if frame is None:
        return ""
    most_open = max((count.open for count in view.grids), default=0)
    parts = [
        f'<svg class="street-map" viewBox="0 0 {WIDTH:.0f} {frame.pixel_height:.0f}" '
        f'role="img" aria-labelledby="map-title" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="map-title">{e(names.title)}</title>'
        f'<rect class="ground" width="{WIDTH:.0f}" height="{frame.pixel_height:.0f}"/>'
    ]
    if tile_template:
        parts.append('<g class="tiles">')
        for address, x, y, size in tiles(frame, tile_template):
            parts.append(
                f'<image href="{e(address)}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{size:.1f}" height="{size:.1f}"/>'
            )
        parts.append("</g>")
    for grid in shapes:
        count = counts[grid.code]
        rings = " ".join(
            "M"
            + " L".join(f"{x:.1f},{y:.1f}" for x, y in (frame.place(la, lo) for lo, la in ring))
            + " Z"
            for ring in grid.area
        )
        name = names.grids.get(grid.code, grid.code)
        parts.append(
            f'<path class="grid level-{level(count, colouring, most_open)}" '
            f'data-grid="{e(grid.code)}" fill-rule="evenodd" d="{rings}">'
            f"<title>{e(names.grid_title(name, count))}</title></path>"
        )
    for point in reversed(view.points):  # the newest drawn last, on top
        x, y = frame.place(point.latitude, point.longitude)
        words = " · ".join(
            (
                point.number,
                names.categories.get(point.category, point.category),
                names.statuses.get(point.status, point.status),
            )
        )
        late = " overdue" if point.overdue else ""
        parts.append(
            f'<a href="{e(link(point.number))}" class="point status-{e(point.status)}{late}" '
            f'data-number="{e(point.number)}" aria-label="{e(words)}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="7"/><title>{e(words)}</title></a>'
        )
    parts.append("</svg>")
    return "".join(parts)
