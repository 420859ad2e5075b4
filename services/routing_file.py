"""The routing file's format (ROUTING_FILE), read and checked: the YAML is parsed with pydantic
and every mistake is one `RoutingError` line naming the file and the entry, such as
``routing.yaml: communities[0].grids[2].area.coordinates[0]: a ring needs at least 4 points``.

`services/data/routing.sample.yaml` is the bundled sample; its header documents the format. The
loaded routing and its look-ups are services/routing.py (imported here only when built, as it
imports this module for `load_routing`). A city has thousands of grids, so shapes are checked and
overlaps found with shapely over a spatial index (services/routing_geometry.py), loaded only when
the routing has areas.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from services.mediation_routing import MediationSection
from services.rental_routing import parse_rental
from services.routing_geometry import (
    Area,
    Ring,
    find_overlaps,
    in_ring,
    on_ring,
    shape_problem,
    signed_area,
)
from services.routing_messages import describe_validation_error, describe_yaml_error
from services.routing_yaml import FastUniqueKeyLoader, UniqueKeyLoader

if TYPE_CHECKING:
    from services.routing import Grid, Routing

SAMPLE_PATH = Path(__file__).parent / "data" / "routing.sample.yaml"
REQUIRED_LOCALES = ("en", "zh")


class RoutingError(Exception):
    """The routing file cannot be used; the message is one line naming the file and the entry."""


# --- the file format, parsed with pydantic -----------------------------------------------------


def _check_localized(value: dict[str, str]) -> dict[str, str]:
    missing = [locale for locale in REQUIRED_LOCALES if locale not in value]
    if missing:
        raise ValueError(f"needs a text in {' and '.join(missing)} (en and zh are required)")
    return value


_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
_Localized = Annotated[dict[str, _Text], AfterValidator(_check_localized)]
_Keywords = dict[_Text, list[_Text]]
_UserId = Annotated[int, Field(gt=0)]
_Position = Annotated[list[float], Field(min_length=2, max_length=3)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Area(_Model):
    type: Literal["Polygon"]
    coordinates: Annotated[list[list[_Position]], Field(min_length=1)]


class _Grid(_Model):
    code: _Code
    name: _Localized
    chat: int | None  # null: not bound to a chat yet (bound from Telegram with /bind)
    forum: bool = False
    workers: list[_UserId] = []
    area: _Area | None = None
    address_keywords: _Keywords = {}


class _Community(_Model):
    code: _Code
    name: _Localized
    chat: int | None = None
    grids: list[_Grid] = []


class _Category(_Model):
    code: _Code
    name: _Localized
    keywords: _Keywords = {}
    chat: int | None = None


class _Hotel(_Model):
    code: _Code
    name: _Localized
    address: _Localized


class _StreetOffice(_Model):
    name: _Localized
    chat: int | None = None


class _File(_Model):
    street_office: _StreetOffice
    communities: list[_Community]
    categories: Annotated[list[_Category], Field(min_length=1)]
    hotels: list[_Hotel] = []
    chat_locales: dict[int, Literal["en", "zh"]] = {}  # a staff chat that reads another language
    rental: dict[str, Any] | None = None  # checked by services/rental_routing.py
    mediation: MediationSection | None = None  # services/mediation_routing.py
    legal: dict[str, Any] | None = None  # the legal service point (services/legal_routing.py)
    volunteers: dict[str, Any] | None = None  # their skills (services/volunteer_routing.py)


# --- loading --------------------------------------------------------------------------------


def load_routing(path: Path | None, fallback_chat_id: int | None) -> Routing:
    """Read and check a routing file; None: the bundled sample. Raises RoutingError."""
    path = SAMPLE_PATH if path is None else path
    name = path.name
    try:
        source = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise RoutingError(f"{path}: cannot read the routing file: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise RoutingError(f"{name}: not UTF-8 text (byte {error.start})") from None
    return parse_routing(source, name, fallback_chat_id)


@contextlib.contextmanager
def no_gc_pauses() -> Iterator[None]:
    """A city is millions of small objects, none of them garbage: without this the cyclic
    collector walks them all again and again while they are made (a third of the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_routing(source: str, name: str, fallback_chat_id: int | None) -> Routing:
    """Check the text of a routing file; `name` is the file name used in error messages."""
    with no_gc_pauses():
        return _parse_routing(source, name, fallback_chat_id)


def _parse_routing(source: str, name: str, fallback_chat_id: int | None) -> Routing:
    try:
        try:
            data = yaml.load(source, Loader=FastUniqueKeyLoader)
        except (yaml.YAMLError, RecursionError):  # read again, slowly, for PyYAML's own words
            data = yaml.load(source, Loader=UniqueKeyLoader)  # and position (or an alias cycle)
    except yaml.MarkedYAMLError as error:
        raise RoutingError(f"{name}: {describe_yaml_error(error)}") from None
    except yaml.YAMLError as error:
        raise RoutingError(f"{name}: YAML syntax error: {error}") from None
    return _routing_from_data(data, name, fallback_chat_id)


def routing_from_data(data: object, name: str, fallback_chat_id: int | None) -> Routing:
    """Check a routing document (the file's data, as from YAML or the database)."""
    with no_gc_pauses():
        return _routing_from_data(data, name, fallback_chat_id)


def _routing_from_data(data: object, name: str, fallback_chat_id: int | None) -> Routing:
    if data is None:
        raise RoutingError(f"{name}: the file is empty")
    if not isinstance(data, dict):
        raise RoutingError(
            f"{name}: the top level must be a mapping with street_office, communities, "
            "categories and hotels"
        )
    try:
        parsed = _File.model_validate(data)
    except ValidationError as error:
        raise RoutingError(f"{name}: {describe_validation_error(error, data)}") from None
    return _build(parsed, name, fallback_chat_id)


def _build(parsed: _File, name: str, fallback_chat_id: int | None) -> Routing:
    from services.routing import Category, Community, Grid, Hotel, Routing  # imports this module

    def fail(where: str, message: str) -> RoutingError:
        return RoutingError(f"{name}: {where}: {message}")

    def unique(kind: str, entries: Iterable[tuple[str, str]]) -> None:
        seen: dict[str, str] = {}
        for code, where in entries:
            if code in seen:
                raise fail(f"{where}.code", f"duplicate {kind} code {code!r} (also {seen[code]})")
            seen[code] = where

    unique(
        "community",
        ((c.code, f"communities[{i}]") for i, c in enumerate(parsed.communities)),
    )
    unique(
        "grid",
        (
            (g.code, f"communities[{i}].grids[{j}]")
            for i, c in enumerate(parsed.communities)
            for j, g in enumerate(c.grids)
        ),
    )
    unique("category", ((c.code, f"categories[{i}]") for i, c in enumerate(parsed.categories)))
    unique("hotel", ((h.code, f"hotels[{i}]") for i, h in enumerate(parsed.hotels)))

    fallbacks = [
        (i, c)
        for i, c in enumerate(parsed.categories)
        if not any(words for words in c.keywords.values())
    ]
    if not fallbacks:
        raise fail(
            "categories",
            "one category must have no keywords: it is the fallback (such as 'other')",
        )
    if len(fallbacks) > 1:
        (i, first), (j, second) = fallbacks[0], fallbacks[1]
        raise fail(
            f"categories[{j}].keywords",
            f"only one category may have no keywords (the fallback); "
            f"{second.code!r} and categories[{i}] {first.code!r} both have none",
        )

    communities: list[Community] = []
    written: dict[str, str] = {}  # grid code → where the file has it
    for i, community in enumerate(parsed.communities):
        grids: list[Grid] = []
        for j, grid in enumerate(community.grids):
            where = f"communities[{i}].grids[{j}].area"
            area = _check_area(grid.area, where, fail) if grid.area is not None else ()
            built = Grid(
                code=grid.code,
                name=dict(grid.name),
                community_code=community.code,
                chat_id=grid.chat,
                forum=grid.forum,
                workers=tuple(grid.workers),
                area=area,
                address_keywords={k: tuple(v) for k, v in grid.address_keywords.items()},
            )
            written[grid.code] = where.removesuffix(".area")
            grids.append(built)
        communities.append(
            Community(
                code=community.code,
                name=dict(community.name),
                chat_id=community.chat,
                grids=tuple(grids),
            )
        )

    categories = [
        Category(
            code=c.code,
            name=dict(c.name),
            keywords={k: tuple(v) for k, v in c.keywords.items()},
            chat_id=c.chat,
        )
        for c in parsed.categories
    ]
    hotels = [Hotel(code=h.code, name=dict(h.name), address=dict(h.address)) for h in parsed.hotels]
    try:
        rental = parse_rental(parsed.rental)
    except ValueError as error:
        raise RoutingError(f"{name}: {error}") from None
    routing = Routing(
        street_office_name=dict(parsed.street_office.name),
        street_office_chat_id=parsed.street_office.chat,
        fallback_chat_id=fallback_chat_id,
        communities=communities,
        categories=categories,
        hotels=hotels,
        source=name,
        chat_locales=parsed.chat_locales,
        rental=rental,
        mediation=parsed.mediation,
        legal=parsed.legal,
        volunteers=parsed.volunteers,
    )
    if parsed.volunteers is not None:
        from services.volunteer_routing import check_volunteers

        try:
            check_volunteers(parsed.volunteers)
        except ValueError as error:
            raise RoutingError(f"{name}: {error}") from None
    if parsed.legal is not None:
        from services.legal_routing import check_legal  # its own module: merges stay easy

        try:
            check_legal(parsed.legal)
        except ValueError as error:
            raise RoutingError(f"{name}: {error}") from None
    check_shapes(routing, lambda grid: written[grid.code], fail)
    return routing


def check_shapes(
    routing: Routing, where: Callable[[Grid], str], fail: Callable[[str, str], RoutingError]
) -> None:
    """Every area a valid polygon, and no two overlapping; the first problem found raises,
    naming the grid where `where` says it is written."""
    placed = routing.shapes()
    if not placed:
        return
    import numpy as np
    import shapely

    valid = shapely.is_valid(np.array([shape for _, shape in placed], dtype=object))
    for position in np.flatnonzero(~valid)[:1]:  # all at once; the first one's reason
        grid, shape = placed[position]
        raise fail(f"{where(grid)}.area", shape_problem(shape) or "polygon is not a valid shape")
    for later, earlier in find_overlaps([shape for _, shape in placed])[:1]:
        other = placed[earlier][0]
        raise fail(f"{where(placed[later][0])}.area", f"overlaps {where(other)} ({other.code})")


def _check_area(area: _Area, where: str, fail: Callable[[str, str], RoutingError]) -> Area:
    rings: list[Ring] = []
    for k, coordinates in enumerate(area.coordinates):
        ring_where = f"{where}.coordinates[{k}]"
        kind = "the outer ring" if k == 0 else "a hole"
        if len(coordinates) < 4:
            raise fail(
                ring_where,
                f"polygon needs at least 4 points ({kind} has {len(coordinates)}; "
                "the last repeats the first)",
            )
        ring: Ring = tuple((position[0], position[1]) for position in coordinates)
        for n, (longitude, latitude) in enumerate(ring):
            if not -180 <= longitude <= 180 or not -90 <= latitude <= 90:
                raise fail(
                    f"{ring_where}[{n}]",
                    f"[{longitude}, {latitude}] is not a [longitude, latitude] on Earth "
                    "(longitude -180..180, latitude -90..90)",
                )
        if ring[0] != ring[-1]:
            raise fail(ring_where, "polygon is not closed: the last point must repeat the first")
        if abs(signed_area(ring)) < 1e-12:
            raise fail(ring_where, "polygon has no area (its points are on one line)")
        if k > 0 and not all(in_ring(x, y, rings[0]) or on_ring(x, y, rings[0]) for x, y in ring):
            raise fail(ring_where, "a hole must lie inside the outer ring")
        rings.append(ring)
    return tuple(rings)
