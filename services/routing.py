"""The routing configuration (ROUTING_FILE): who looks after what, and where a report goes.

The file names the street office, its communities and their grids (each with a staff chat, grid
workers, an area on the map and address words), the categories of problems (with the words that
suggest them and an optional chat of their own), and the hotels that check accommodation
certificates. This module is the loaded routing and its look-ups (by code, by keywords, by a point
on the map, the chat a report goes to); reading and checking the file is services/routing_file.py,
writing it back services/routing_export.py, the shapes services/routing_geometry.py.

A city has thousands of grids (Jiaxing: 4,379), so a point is routed through a spatial index
(STRtree), never by comparing grids one by one (bench/routing.py measures it); a routing without
areas has no index, and shapely is not loaded (services/routing_geometry.py).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from services.mediation_routing import MediationSection
from services.rental_routing import RentalRules
from services.routing_file import load_routing
from services.routing_geometry import Area, AreaIndex, in_area

if TYPE_CHECKING:
    import shapely

__all__ = [
    "Category",
    "Community",
    "Grid",
    "Hotel",
    "Localized",
    "Routing",
    "distance_m",
    "load_routing",  # re-exported from services/routing_file.py: imported in ~20 places
    "text",
]


_T = TypeVar("_T")

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)

Localized = dict[str, str]  # {"en": ..., "zh": ...}


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
        return bool(self.area) and in_area(longitude, latitude, self.area)


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
        self._index = AreaIndex([g.area for g in self._placed]) if self._placed else None
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
        if self._index is None:
            return None
        position = self._index.first_holding(longitude, latitude)
        return None if position is None else self._placed[position]

    def shapes(self) -> list[tuple[Grid, shapely.Polygon]]:
        """The grids that have an area, with it as a shapely polygon, in file order."""
        if self._index is None:
            return []
        return list(zip(self._placed, self._index.shapes.tolist(), strict=True))

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
