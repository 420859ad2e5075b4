"""The grids' areas on the map: a point in an area, shapes made in bulk, why a shape is unusable,
which shapes overlap.

Its own module because both the routing's look-ups (services/routing.py) and the checks made when
the file is loaded (services/routing_file.py, services/grid_import.py) use it. A city has thousands
of grids, so shapes are made, checked and compared with shapely (GEOS) over a spatial index
(STRtree), never pair by pair. shapely and numpy (about 15 MB of the bot's memory) are imported
by the functions that use them: a routing without areas never loads them
(tests/test_lazy_imports.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import shapely

Ring = tuple[tuple[float, float], ...]  # closed ring of (longitude, latitude), as in GeoJSON
Area = tuple[Ring, ...]  # outer ring first, then holes; empty: the grid has no area on the map

# --- geometry (x = longitude, y = latitude, in degrees) ----------------------------------------

_EPSILON = 1e-9  # degrees, about 0.1 mm: closer than this to an edge counts as on it


def in_ring(x: float, y: float, ring: Ring) -> bool:
    """Ray casting: a ray from the point to the east crosses the ring an odd number of times."""
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > y) != (y2 > y):
            crossing = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < crossing:
                inside = not inside
    return inside


def in_area(x: float, y: float, area: Area) -> bool:
    return in_ring(x, y, area[0]) and not any(in_ring(x, y, hole) for hole in area[1:])


def on_ring(x: float, y: float, ring: Ring) -> bool:
    for (x1, y1), (x2, y2) in pairwise(ring):
        if not (min(x1, x2) - _EPSILON <= x <= max(x1, x2) + _EPSILON):
            continue
        if not (min(y1, y2) - _EPSILON <= y <= max(y1, y2) + _EPSILON):
            continue
        length = math.hypot(x2 - x1, y2 - y1)
        cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
        if length == 0 or abs(cross) / length <= _EPSILON:
            return True
    return False


def signed_area(ring: Ring) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)) / 2


def polygon(area: Area) -> shapely.Polygon:
    """The area as a shapely polygon (outer ring, then holes)."""
    import shapely

    return shapely.Polygon(area[0], area[1:])


def polygons(areas: Sequence[Area]) -> np.ndarray:
    """Every area as a shapely polygon, made in one call (a city has tens of thousands): the
    points in one array, with where each ring and each polygon begins."""
    import numpy as np
    import shapely

    if not areas:
        return np.array([], dtype=object)
    rings = [ring for area in areas for ring in area]
    points = np.array([point for ring in rings for point in ring], dtype=float)
    ring_offsets = np.cumsum([0] + [len(ring) for ring in rings])
    polygon_offsets = np.cumsum([0] + [len(area) for area in areas])
    made = shapely.from_ragged_array(
        shapely.GeometryType.POLYGON, points, (ring_offsets, polygon_offsets)
    )
    return np.asarray(made, dtype=object)


class AreaIndex:
    """Which of the areas holds a point, through a spatial index (STRtree) of their polygons:
    made once per routing, asked for every report with a location."""

    def __init__(self, areas: Sequence[Area]) -> None:
        import shapely

        self.shapes = polygons(areas)
        self._tree = shapely.STRtree(self.shapes)
        self._point = shapely.Point

    def first_holding(self, x: float, y: float) -> int | None:
        """The position of the first area (in the order given) that holds the point, if any."""
        found = self._tree.query(self._point(x, y), predicate="intersects")
        return int(found.min()) if len(found) else None


def shape_problem(shape: shapely.Polygon) -> str | None:
    """Why the polygon is not a usable shape (edges that cross, a hole that cuts it in two);
    None when it is."""
    import shapely

    reason = shapely.is_valid_reason(shape)
    if reason == "Valid Geometry":
        return None
    kind, _, where = reason.partition("[")
    at = f" at [{', '.join(where.rstrip(']').split())}]" if where else ""
    if "Self-intersection" in kind:
        return f"polygon's edges cross{at}"
    return f"polygon is not a valid shape ({kind.strip().lower()}{at})"


def find_overlaps(shapes: Sequence[shapely.Polygon]) -> list[tuple[int, int]]:
    """Pairs (later, earlier) of positions in `shapes` whose insides overlap, in order.

    Through a spatial index: each shape is compared only with those whose boxes meet it.
    Neighbours sharing a border, and a grid that fills another's hole, only touch; a sliver
    thinner than _EPSILON along the border (rounding in an export) does not count either.
    """
    if not shapes:
        return []
    import numpy as np
    import shapely

    geometries = np.array(shapes, dtype=object)
    later, earlier = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    keep = later > earlier
    later, earlier = later[keep], earlier[keep]
    crossing = ~shapely.touches(geometries[later], geometries[earlier])
    later, earlier = later[crossing], earlier[crossing]
    if len(later):
        shared = shapely.area(shapely.intersection(geometries[later], geometries[earlier]))
        border = np.minimum(shapely.length(geometries[later]), shapely.length(geometries[earlier]))
        real = shared > _EPSILON * border
        later, earlier = later[real], earlier[real]
    return sorted(zip(later.tolist(), earlier.tolist(), strict=True))
