"""A generated city, as a GIS export would look: irregular grids that tile the map, some with holes.

The grids are cells of a jittered lattice near Jiaxing: every lattice vertex and every edge's
middle point is moved at random but shared by the cells on both sides, so neighbours meet
exactly along a zigzag border and never overlap; every fifth grid has a hole (a school, a
pond) that belongs to no grid. Used by the routing benchmark (4,379 and 50,000 grids) and by the
tests (a few hundred).
"""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass
from typing import Any

WEST, SOUTH = 120.55, 30.60  # Jiaxing's south-west corner, roughly
CELL = 0.003  # degrees, about 300 m
GRIDS_PER_COMMUNITY = 40
NAME = {"en": "Name", "zh": "名字"}


@dataclass(frozen=True)
class CityGrid:
    code: str
    community: str
    rings: list[list[list[float]]]  # outer ring, then holes; [longitude, latitude]

    @property
    def number(self) -> int:
        return int(self.code[1:])

    def inside_point(self) -> tuple[float, float]:
        """(latitude, longitude) well inside the grid (the hole is elsewhere)."""
        (x1, y1), (x2, y2) = self.rings[0][0], self.rings[0][4]  # opposite corners
        x, y = x1 + (x2 - x1) * 0.25, y1 + (y2 - y1) * 0.25
        return y, x


def city(count: int, seed: int = 18) -> list[CityGrid]:
    """`count` grids in a roughly square lattice, in code order."""
    rng = random.Random(seed)
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)

    def jitter(share: float) -> float:
        return rng.uniform(-share, share) * CELL

    def point(x: float, y: float) -> list[float]:
        return [round(x, 6), round(y, 6)]

    corner = [
        [
            point(WEST + i * CELL + jitter(0.2), SOUTH + j * CELL + jitter(0.2))
            for j in range(rows + 1)
        ]
        for i in range(columns + 1)
    ]

    def middle(a: list[float], b: list[float], horizontal: bool) -> list[float]:
        x, y = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        return point(x, y + jitter(0.1)) if horizontal else point(x + jitter(0.1), y)

    bottom = [
        [middle(corner[i][j], corner[i + 1][j], True) for j in range(rows + 1)]
        for i in range(columns)
    ]
    side = [
        [middle(corner[i][j], corner[i][j + 1], False) for j in range(rows)]
        for i in range(columns + 1)
    ]
    grids: list[CityGrid] = []
    for n in range(count):
        i, j = n % columns, n // columns
        outer = [
            corner[i][j],
            bottom[i][j],
            corner[i + 1][j],
            side[i + 1][j],
            corner[i + 1][j + 1],
            bottom[i][j + 1],
            corner[i][j + 1],
            side[i][j],
            corner[i][j],
        ]
        rings = [[list(position) for position in outer]]  # no list shared between grids
        if n % 5 == 4:  # a hole round the cell's middle, well inside any jitter (clockwise)
            cx, cy, half = WEST + (i + 0.5) * CELL, SOUTH + (j + 0.5) * CELL, 0.075 * CELL
            hole = [(cx - half, cy - half), (cx - half, cy + half), (cx + half, cy + half)]
            hole += [(cx + half, cy - half), (cx - half, cy - half)]
            rings.append([point(x, y) for x, y in hole])
        grids.append(CityGrid(f"G{n + 1:05d}", f"C{n // GRIDS_PER_COMMUNITY + 1:04d}", rings))
    return grids


def community_name(code: str) -> dict[str, str]:
    return {"en": f"Community {code}", "zh": f"{code}社区"}


def chat_of(grid: CityGrid) -> int:
    return -1_002_000_000_000 - grid.number


def routing_data(grids: list[CityGrid]) -> dict[str, Any]:
    """A routing file (services/routing_file.py's format) for the city."""
    communities: dict[str, list[dict[str, Any]]] = {}
    for grid in grids:
        communities.setdefault(grid.community, []).append(
            {
                "code": grid.code,
                "name": {"en": f"Grid {grid.number}", "zh": f"第{grid.number}网格"},
                "chat": chat_of(grid),
                "workers": [1_000_000 + grid.number],
                "area": {"type": "Polygon", "coordinates": copy.deepcopy(grid.rings)},
            }
        )
    return {
        "street_office": {"name": dict(NAME), "chat": -1_002_000_000_000},
        "communities": [
            {"code": code, "name": community_name(code), "grids": members}
            for code, members in communities.items()
        ],
        "categories": [
            {"code": "drainage", "name": dict(NAME), "keywords": {"en": ["drain"]}},
            {"code": "other", "name": dict(NAME)},
        ],
    }


def geojson(grids: list[CityGrid]) -> dict[str, Any]:
    """The city as a GIS export: a FeatureCollection with code, names and community."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "WGBM": grid.code,  # 网格编码
                    "WGMC": f"第{grid.number}网格",  # 网格名称
                    "NAME_EN": f"Grid {grid.number}",
                    "SQBM": grid.community,  # 社区编码
                },
                "geometry": {"type": "Polygon", "coordinates": copy.deepcopy(grid.rings)},
            }
            for grid in grids
        ],
    }
