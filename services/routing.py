"""The routing configuration (ROUTING_FILE): who looks after what, and where a report goes.

The file names the street office, its communities and their grids (each with a staff chat, grid
workers, an area on the map and address words), the categories of problems (with the words that
suggest them and an optional chat of their own), and the hotels that check accommodation
certificates. `services/data/routing.sample.yaml` is the bundled sample; its header documents
the format.

Everything is checked when the file is loaded: any mistake is one `RoutingError` line naming the
file and the entry, such as
``routing.yaml: communities[0].grids[2].area.coordinates[0]: a ring needs at least 4 points``.

A city has thousands of grids (Jiaxing: 4,379), so nothing here compares grids pair by pair:
shapes are checked and overlaps found with shapely (GEOS) over a spatial index (STRtree), and a
point is routed through the same index (bench/routing.py measures both).
"""

from __future__ import annotations

import contextlib
import gc
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
import shapely
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from services.mediation_routing import MediationSection, section_document
from services.rental_routing import RentalRules, parse_rental

__all__ = [
    "SAMPLE_PATH",
    "Area",
    "Category",
    "Community",
    "Grid",
    "Hotel",
    "Localized",
    "Ring",
    "Routing",
    "RoutingError",
    "distance_m",
    "find_overlaps",
    "load_routing",
    "no_gc_pauses",
    "polygon",
    "shape_problem",
    "text",
]


_T = TypeVar("_T")

SAMPLE_PATH = Path(__file__).parent / "data" / "routing.sample.yaml"
REQUIRED_LOCALES = ("en", "zh")
EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)

Localized = dict[str, str]  # {"en": ..., "zh": ...}
Ring = tuple[tuple[float, float], ...]  # closed ring of (longitude, latitude), as in GeoJSON
Area = tuple[Ring, ...]  # outer ring first, then holes; empty: the grid has no area on the map


class RoutingError(Exception):
    """The routing file cannot be used; the message is one line naming the file and the entry."""


def text(localized: Mapping[str, str], locale: str | None) -> str:
    """The text in `locale` ("zh", "zh-hans", "en-US" ...), else in English."""
    if locale:
        if locale in localized:
            return localized[locale]
        base = locale.replace("_", "-").split("-", 1)[0].lower()
        if base in localized:
            return localized[base]
    if "en" in localized:
        return localized["en"]
    return next(iter(localized.values()), "")


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (latitude, longitude) points (haversine)."""
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


# --- the domain -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    code: str
    name: Localized = field(hash=False)
    keywords: dict[str, tuple[str, ...]] = field(hash=False)  # by language; empty: the fallback
    chat_id: int | None  # a chat of its own (mediation, property management), else the grid's

    @property
    def is_fallback(self) -> bool:
        return not any(self.keywords.values())


@dataclass(frozen=True)
class Grid:
    code: str
    name: Localized = field(hash=False)
    community_code: str
    chat_id: int | None  # None: not bound yet, its reports go to the community's chat
    forum: bool  # the chat is a forum supergroup: one topic per ticket
    workers: tuple[int, ...]  # Telegram user ids of the grid workers
    area: Area
    address_keywords: dict[str, tuple[str, ...]] = field(hash=False)

    def contains(self, latitude: float, longitude: float) -> bool:
        """Whether the point lies in the grid's area (inside the outer ring, outside its holes)."""
        return bool(self.area) and _in_area(longitude, latitude, self.area)


@dataclass(frozen=True)
class Community:
    code: str
    name: Localized = field(hash=False)
    chat_id: int | None
    grids: tuple[Grid, ...]


@dataclass(frozen=True)
class Hotel:
    code: str
    name: Localized = field(hash=False)
    address: Localized = field(hash=False)


class Routing:
    """The loaded routing file, with the look-ups the bot needs. Build it with `load_routing`."""

    def __init__(
        self,
        *,
        street_office_name: Localized,
        street_office_chat_id: int | None,
        fallback_chat_id: int | None,
        communities: Sequence[Community],
        categories: Sequence[Category],
        hotels: Sequence[Hotel],
        source: str = "",
        chat_locales: Mapping[int, str] | None = None,
        rental: RentalRules | None = None,
        mediation: MediationSection | None = None,
        legal: Mapping[str, Any] | None = None,
        volunteers: Mapping[str, Any] | None = None,
    ) -> None:
        self.rental = rental or RentalRules()  # the `rental:` section (services/rental_routing)
        self.street_office_name = street_office_name
        self.street_office_chat_id = street_office_chat_id
        self.fallback_chat_id = fallback_chat_id
        self.source = source
        self.communities = tuple(communities)
        self.grids = tuple(grid for community in self.communities for grid in community.grids)
        self.categories = tuple(categories)
        self.hotels = tuple(hotels)
        self.chat_locales = dict(chat_locales or {})  # a staff chat's own language
        self.mediation = mediation  # the `mediation:` section (services.mediation_routing)
        self.legal = dict(legal) if legal is not None else None  # services/legal_routing.py
        self.volunteers = dict(volunteers) if volunteers is not None else None  # its skills
        self._communities = {c.code: c for c in self.communities}
        self._grids = {g.code: g for g in self.grids}
        self._categories = {c.code: c for c in self.categories}
        self._hotels = {h.code: h for h in self.hotels}
        self._category_matchers = [(c, _Matcher(c.keywords)) for c in self.categories]
        self._address_matchers = [(g, _Matcher(g.address_keywords)) for g in self.grids]
        self._placed = [g for g in self.grids if g.area]
        self._shapes = polygons([g.area for g in self._placed])
        self._index = shapely.STRtree(self._shapes)
        fallbacks = [c for c in self.categories if c.is_fallback]
        self.fallback_category: Category | None = fallbacks[0] if fallbacks else None

    def __repr__(self) -> str:
        return (
            f"<Routing {self.source or '?'}: {len(self.communities)} communities, "
            f"{len(self.grids)} grids, {len(self.categories)} categories, "
            f"{len(self.hotels)} hotels>"
        )

    # look-ups by code: KeyError with a clear message for an unknown code

    def category(self, code: str) -> Category:
        return _lookup(self._categories, code, "category")

    def grid(self, code: str) -> Grid:
        return _lookup(self._grids, code, "grid")

    def community(self, code: str) -> Community:
        return _lookup(self._communities, code, "community")

    def hotel(self, code: str) -> Hotel:
        return _lookup(self._hotels, code, "hotel")

    def community_of(self, grid: Grid) -> Community:
        return _lookup(self._communities, grid.community_code, "community")

    # suggestions

    def suggest_category(self, text: str) -> Category | None:
        """The category whose keywords the text hits most (ties: file order); None if none."""
        return _best(self._category_matchers, text)

    def grid_at(self, latitude: float, longitude: float) -> Grid | None:
        """The grid whose area holds the point (the first in file order on a shared border)."""
        found = self._index.query(shapely.Point(longitude, latitude), predicate="intersects")
        return self._placed[int(found.min())] if len(found) else None

    def shapes(self) -> list[tuple[Grid, shapely.Polygon]]:
        """The grids that have an area, with it as a shapely polygon, in file order."""
        return list(zip(self._placed, self._shapes.tolist(), strict=True))

    def grid_for_address(self, text: str) -> Grid | None:
        """The grid whose address keywords (either language) the text hits most; None if none."""
        return _best(self._address_matchers, text)

    # where things go

    def staff_chat(self, category: Category, grid: Grid | None) -> int | None:
        """Category override > grid chat (a grid without one: its community's, then the street
        office's) > fallback chat (STAFF_CHAT_ID) > street office."""
        if category.chat_id is not None:
            return category.chat_id
        chain = self.escalation_chain(grid)
        return chain[0] if chain else None

    def escalation_chain(self, grid: Grid | None) -> list[int]:
        """Chats from the bottom up: grid → community → street office; without a grid the
        fallback chat → street office. No None, no chat twice."""
        if grid is None:
            candidates = [self.fallback_chat_id, self.street_office_chat_id]
        else:
            community = self.community_of(grid)
            candidates = [grid.chat_id, community.chat_id, self.street_office_chat_id]
        chain: list[int] = []
        for chat_id in candidates:
            if chat_id is not None and chat_id not in chain:
                chain.append(chat_id)
        return chain


def _lookup(table: Mapping[str, _T], code: str, kind: str) -> _T:
    try:
        return table[code]
    except KeyError:
        known = ", ".join(table) or "none"
        raise KeyError(f"unknown {kind} code {code!r} (known: {known})") from None


# --- keyword matching ---------------------------------------------------------------------------

# Latin letters and digits: a keyword edge made of these must sit on a word boundary, so "drain"
# does not match "Adrain", "building 1" does not match "building 12" and "1幢" not "11幢".
# Chinese has no spaces between words: its keywords match anywhere.
_WORD_CHAR = "0-9a-z\u00c0-\u024f"
_IS_WORD_CHAR = re.compile(f"[{_WORD_CHAR}]")
_VOWELS = "aeiou"


def _normalize(value: str) -> str:
    """NFKC (full-width letters and digits become plain ones), case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _keyword_pattern(keyword: str) -> re.Pattern[str] | None:
    normalized = _normalize(keyword)
    if not normalized:
        return None
    body = r"[\s\-_]*".join(re.escape(word) for word in normalized.split(" "))
    first, last = normalized[0], normalized[-1]
    prefix = f"(?<![{_WORD_CHAR}])" if _IS_WORD_CHAR.match(first) else ""
    suffix = ""
    last_word = normalized.rsplit(" ", 1)[-1]
    if len(last_word) >= 3 and last_word.isascii() and last_word.isalpha():
        # English word forms: drain → drains, block → blocked, clog → clogged, noise → noisy
        endings = ["s", "es", "d", "ed", "ing", "er", "ers", "y", "ly"]
        if last not in _VOWELS:
            endings += [last + ending for ending in ("ed", "ing", "er", "y")]
        if last == "e":
            body = body[: -len(re.escape(last))] + "(?:e|(?=y|ing))"
        suffix = f"(?:{'|'.join(endings)})?"
    if _IS_WORD_CHAR.match(last):
        suffix += f"(?![{_WORD_CHAR}])"
    return re.compile(prefix + body + suffix)


class _Matcher:
    """Counts how many distinct keywords (of any language) a text hits."""

    def __init__(self, keywords: Mapping[str, Iterable[str]]) -> None:
        patterns: dict[str, re.Pattern[str]] = {}
        for words in keywords.values():
            for word in words:
                pattern = _keyword_pattern(word)
                if pattern is not None:
                    patterns.setdefault(pattern.pattern, pattern)
        self.patterns = tuple(patterns.values())

    def hits(self, normalized_text: str) -> int:
        return sum(1 for pattern in self.patterns if pattern.search(normalized_text))


def _best(candidates: Sequence[tuple[_T, _Matcher]], raw_text: str) -> _T | None:
    normalized = _normalize(raw_text)
    best: _T | None = None
    best_hits = 0
    for item, matcher in candidates:
        hits = matcher.hits(normalized)
        if hits > best_hits:  # strictly more: ties keep the earlier entry
            best, best_hits = item, hits
    return best


# --- geometry (x = longitude, y = latitude, in degrees) ----------------------------------------

_EPSILON = 1e-9  # degrees, about 0.1 mm: closer than this to an edge counts as on it


def _in_ring(x: float, y: float, ring: Ring) -> bool:
    """Ray casting: a ray from the point to the east crosses the ring an odd number of times."""
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > y) != (y2 > y):
            crossing = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < crossing:
                inside = not inside
    return inside


def _in_area(x: float, y: float, area: Area) -> bool:
    return _in_ring(x, y, area[0]) and not any(_in_ring(x, y, hole) for hole in area[1:])


def _on_ring(x: float, y: float, ring: Ring) -> bool:
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


def _signed_area(ring: Ring) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)) / 2


def polygon(area: Area) -> shapely.Polygon:
    """The area as a shapely polygon (outer ring, then holes)."""
    return shapely.Polygon(area[0], area[1:])


def polygons(areas: Sequence[Area]) -> np.ndarray:
    """Every area as a shapely polygon, made in one call (a city has tens of thousands): the
    points in one array, with where each ring and each polygon begins."""
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


def shape_problem(shape: shapely.Polygon) -> str | None:
    """Why the polygon is not a usable shape (edges that cross, a hole that cuts it in two);
    None when it is."""
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


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (PyYAML keeps the last)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # unhashable: construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice in one mapping", key_node.start_mark
            )
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


def _plain(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Build a node's value directly where it is plain (strings, decimal numbers, lists,
    mappings with string keys), leaving anything else to PyYAML. PyYAML's generic constructor
    machinery costs more per value than reading it (a city has millions of coordinates); libyaml
    still does the reading. The values are those PyYAML would build, duplicate keys refused."""
    kind = type(node)
    if kind is yaml.ScalarNode:
        tag, value = node.tag, node.value
        if tag == _STR_TAG:
            return value
        digits = value.lstrip("+-")
        try:  # YAML 1.1 also reads 0x1F, 017 (octal), 1:30, .inf: PyYAML's way, below
            if tag == _FLOAT_TAG and ":" not in value:
                return float(value)
            if tag == _INT_TAG and (digits == "0" or not digits.startswith("0")):
                return int(value, 10)
        except ValueError:
            pass
    elif kind is yaml.SequenceNode and node.tag == yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG:
        return [_plain(loader, item) for item in node.value]
    elif kind is yaml.MappingNode and node.tag == yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG:
        built: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not yaml.ScalarNode or key_node.tag != _STR_TAG:
                return _construct_mapping(loader, node)  # type: ignore[arg-type]  # merge keys…
            key = key_node.value
            if key in built:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice in one mapping", key_node.start_mark
                )
            built[key] = _plain(loader, value_node)
        return built
    return loader.construct_object(node, deep=True)


class _FastUniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same, reading with libyaml (C) when PyYAML has it (a city's file is megabytes), and
    building plain values directly (`_plain`)."""


_FastUniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _plain)


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
            data = yaml.load(source, Loader=_FastUniqueKeyLoader)
        except (yaml.YAMLError, RecursionError):  # read again, slowly, for PyYAML's own words
            data = yaml.load(source, Loader=_UniqueKeyLoader)  # and position (or an alias cycle)
    except yaml.MarkedYAMLError as error:
        raise RoutingError(f"{name}: {_describe_yaml_error(error)}") from None
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
        raise RoutingError(f"{name}: {_describe_validation_error(error, data)}") from None
    return _build(parsed, name, fallback_chat_id)


def routing_document(routing: Routing) -> dict[str, Any]:
    """The routing as the file's data: what `routing_from_data` reads back (export, seed)."""

    def keywords(words: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
        return {language: list(values) for language, values in words.items()}

    def grid(g: Grid) -> dict[str, Any]:
        entry: dict[str, Any] = {"code": g.code, "name": dict(g.name), "chat": g.chat_id}
        if g.forum:
            entry["forum"] = True
        if g.workers:
            entry["workers"] = list(g.workers)
        if g.area:
            rings = [[list(position) for position in ring] for ring in g.area]
            entry["area"] = {"type": "Polygon", "coordinates": rings}
        if g.address_keywords:
            entry["address_keywords"] = keywords(g.address_keywords)
        return entry

    office: dict[str, Any] = {"name": dict(routing.street_office_name)}
    if routing.street_office_chat_id is not None:
        office["chat"] = routing.street_office_chat_id
    document: dict[str, Any] = {
        "street_office": office,
        "communities": [
            {
                "code": c.code,
                "name": dict(c.name),
                "chat": c.chat_id,
                "grids": [grid(g) for g in c.grids],
            }
            for c in routing.communities
        ],
        "categories": [
            {
                "code": c.code,
                "name": dict(c.name),
                "keywords": keywords(c.keywords),
                "chat": c.chat_id,
            }
            for c in routing.categories
        ],
        "hotels": [
            {"code": h.code, "name": dict(h.name), "address": dict(h.address)}
            for h in routing.hotels
        ],
    }
    if routing.chat_locales:  # staff chats that read another language than STAFF_LOCALE
        document["chat_locales"] = dict(routing.chat_locales)
    document["rental"] = routing.rental.document()
    if routing.mediation is not None:
        document["mediation"] = section_document(routing.mediation)
    if routing.legal is not None:
        document["legal"] = routing.legal
    if routing.volunteers is not None:
        document["volunteers"] = routing.volunteers
    return document


class _FlowCoordinatesDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Writes a position as [longitude, latitude] on one line, the rest in block style."""

    def represent_sequence(self, tag: str, sequence: Any, flow_style: Any = None) -> Any:
        flat = bool(sequence) and all(isinstance(item, int | float) for item in sequence)
        return super().represent_sequence(tag, sequence, flow_style=True if flat else flow_style)


def dump_routing(document: Mapping[str, Any]) -> str:
    """A routing document as the text of a routing file."""
    return str(
        yaml.dump(
            dict(document),
            Dumper=_FlowCoordinatesDumper,
            allow_unicode=True,
            sort_keys=False,
            width=100,
        )
    )


def _describe_yaml_error(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or error.context or "invalid YAML"
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}YAML syntax error: {problem}"


def _format_location(location: Iterable[int | str]) -> str:
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            out += " (key)"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"


_MESSAGES = {
    "missing": "required key is missing",
    "extra_forbidden": "unknown key",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be a string (quote it)",
    "string_too_short": "must be a non-empty string",
    "string_pattern_mismatch": (
        "a code is 1-32 letters, digits, '-', '_' or '.', starting with a letter or digit"
    ),
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "greater_than": "a Telegram user id is a positive integer",
}


def _describe_validation_error(error: ValidationError, data: object) -> str:
    first = error.errors(include_url=False)[0]
    location = [part for part in first["loc"] if isinstance(part, int | str)]
    kind = first["type"]
    last = location[-1] if location else None
    if kind == "value_error":
        message = str(first["ctx"]["error"]) if "ctx" in first else first["msg"]
    elif kind == "int_type" and last == "chat":
        message = "a chat id must be an integer, such as -1001234567890"
    elif kind == "too_short" and location and location[-1] == "categories":
        message = "at least one category is needed"
    elif kind == "too_short" and "coordinates" in location and isinstance(last, int):
        message = "a position is [longitude, latitude]"
    elif kind == "too_long" and "coordinates" in location and isinstance(last, int):
        message = "a position is [longitude, latitude] (or with an altitude)"
    else:
        message = _MESSAGES.get(kind, first["msg"].replace("Input should be", "must be", 1))
    if kind not in ("missing", "extra_forbidden") and "input" in first:
        value = first["input"]
        if value is None or isinstance(value, str | int | float | bool):
            message += f" (got {_short_repr(value)})"
    return f"{_format_location(location)}: {message}"


def _short_repr(value: object) -> str:
    shown = "null" if value is None else repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _build(parsed: _File, name: str, fallback_chat_id: int | None) -> Routing:
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
        if abs(_signed_area(ring)) < 1e-12:
            raise fail(ring_where, "polygon has no area (its points are on one line)")
        if k > 0 and not all(_in_ring(x, y, rings[0]) or _on_ring(x, y, rings[0]) for x, y in ring):
            raise fail(ring_where, "a hole must lie inside the outer ring")
        rings.append(ring)
    return tuple(rings)
