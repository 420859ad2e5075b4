"""The routing file: the bundled sample, the look-ups, and every check made at load."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.routing import Grid, Routing, distance_m, load_routing, text
from services.routing_file import SAMPLE_PATH, RoutingError
from services.routing_geometry import find_overlaps, polygon
from tests.support.city import CELL, city, routing_data

FALLBACK_CHAT = -1009999999999


@pytest.fixture(scope="module")
def sample() -> Routing:
    return load_routing(None, FALLBACK_CHAT)


def centroid(grid: Grid) -> tuple[float, float]:
    """(latitude, longitude) of the area centroid of the grid's outer ring."""
    ring = grid.area[0]
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in pairwise(ring):
        cross = x1 * y2 - x2 * y1
        area += cross / 2
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return cy / (6 * area), cx / (6 * area)


# --- the bundled sample ------------------------------------------------------------------------


def test_the_bundled_sample_loads(sample: Routing) -> None:
    assert SAMPLE_PATH.is_file()
    assert sample.street_office_name == {"en": "Qixing Street Office", "zh": "七星街道办事处"}
    assert sample.street_office_chat_id is not None
    assert sample.fallback_chat_id == FALLBACK_CHAT
    assert [c.code for c in sample.communities] == ["sanjiabang", "qiaodong"]
    assert [g.code for g in sample.grids] == [
        *("SJB-01", "SJB-02", "SJB-03", "SJB-04"),
        *("QD-01", "QD-02"),
    ]
    assert {"drainage", "noise", "waste", "roads", "lighting", "disputes", "property", "other"} <= {
        c.code for c in sample.categories
    }
    assert sample.fallback_category is not None
    assert sample.fallback_category.code == "other"
    assert 3 <= len(sample.hotels) <= 4
    for grid in sample.grids:
        assert grid.workers and all(worker > 0 for worker in grid.workers)
        assert sample.community_of(grid).code == grid.community_code
    assert sample.grid("SJB-03").forum is True


def test_an_explicit_path_loads_the_same(sample: Routing) -> None:
    again = load_routing(SAMPLE_PATH, None)
    assert again.grids == sample.grids
    assert again.categories == sample.categories
    assert again.fallback_chat_id is None


def test_look_ups_by_code(sample: Routing) -> None:
    assert sample.category("drainage").name["zh"] == "下水道与排水"
    assert sample.grid("SJB-01").community_code == "sanjiabang"
    assert sample.hotel("wuzhen-xizha").address["zh"].startswith("浙江省嘉兴市桐乡市乌镇")
    with pytest.raises(KeyError, match="unknown category code 'plumbing'"):
        sample.category("plumbing")
    with pytest.raises(KeyError, match="unknown grid code 'SJB-99'"):
        sample.grid("SJB-99")


def test_the_domain_objects_are_frozen_and_hashable(sample: Routing) -> None:
    grid = sample.grid("SJB-01")
    with pytest.raises(AttributeError):
        grid.chat_id = 1  # type: ignore[misc]
    assert len({*sample.grids, *sample.grids}) == len(sample.grids)
    assert len(set(sample.categories)) == len(sample.categories)


def test_text_falls_back_to_english() -> None:
    name = {"en": "Drains", "zh": "下水道"}
    assert text(name, "zh") == "下水道"
    assert text(name, "zh-hans") == "下水道"
    assert text(name, "en-US") == "Drains"
    assert text(name, "fr") == "Drains"
    assert text(name, None) == "Drains"


# --- where a point is -------------------------------------------------------------------------


def test_a_point_inside_each_grid_maps_to_it(sample: Routing) -> None:
    for grid in sample.grids:
        latitude, longitude = centroid(grid)
        assert sample.grid_at(latitude, longitude) == grid, grid.code
        assert grid.contains(latitude, longitude)


def test_grids_are_a_few_hundred_metres_across(sample: Routing) -> None:
    for grid in sample.grids:
        longitudes = [x for x, _ in grid.area[0]]
        latitudes = [y for _, y in grid.area[0]]
        south_west = (min(latitudes), min(longitudes))
        width = distance_m(south_west, (min(latitudes), max(longitudes)))
        height = distance_m(south_west, (max(latitudes), min(longitudes)))
        assert 150 < width < 600 and 150 < height < 600, grid.code


def test_a_point_far_away_maps_to_no_grid(sample: Routing) -> None:
    latitude, longitude = centroid(sample.grid("SJB-01"))
    far = latitude + 5000 / 111_195  # 5 km north
    assert distance_m((latitude, longitude), (far, longitude)) == pytest.approx(5000, rel=1e-3)
    assert sample.grid_at(far, longitude) is None
    assert sample.grid_at(0.0, 0.0) is None


def test_a_hole_belongs_to_no_grid(sample: Routing) -> None:
    school = sample.grid("QD-02")
    assert len(school.area) == 2  # outer ring and the school grounds
    assert sample.grid_at(30.7643, 120.7591) is None
    assert sample.grid_at(30.7643, 120.7575) == school


def test_a_point_on_a_shared_border_goes_to_one_grid(sample: Routing) -> None:
    # (120.7545, 30.7623) is a vertex shared by SJB-01 and SJB-04
    assert sample.grid_at(30.7623, 120.7545) in (sample.grid("SJB-01"), sample.grid("SJB-04"))


# --- what a text is about, where an address is ------------------------------------------------


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        ("the drain at our gate is blocked", "drainage"),
        ("The drain is BLOCKED", "drainage"),
        ("blocked drain", "drainage"),
        ("Drains clogged again", "drainage"),
        ("下水道堵了", "drainage"),
        ("trucks make noise at night", "noise"),
        ("carts are too noisy", "noise"),
        ("楼下垃圾没人清理", "waste"),
        ("Rubbish has not been collected", "waste"),
        ("pothole in the road", "roads"),
        ("the street-light is out", "lighting"),
        ("路灯不亮", "lighting"),
        ("邻居吵架", "disputes"),
        ("the lift is broken again", "property"),
        ("hello", None),
        ("Adrain", None),  # not a word form of "drain"
        ("", None),
    ],
)
def test_suggest_category(sample: Routing, report: str, expected: str | None) -> None:
    suggested = sample.suggest_category(report)
    assert (suggested.code if suggested else None) == expected


def test_the_fallback_category_is_never_suggested(sample: Routing) -> None:
    assert sample.suggest_category("something odd happened") is None


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("东门", "SJB-01"),
        ("east gate", "SJB-01"),
        ("East-Gate, building 2", "SJB-01"),
        ("1幢302室", "SJB-01"),
        ("11幢302室", None),  # "1幢" does not match "11幢"
        ("building 12", None),
        ("北门5幢", "SJB-03"),
        ("学堂路5号", "QD-02"),
        ("somewhere else", None),
    ],
)
def test_grid_for_address(sample: Routing, address: str, expected: str | None) -> None:
    grid = sample.grid_for_address(address)
    assert (grid.code if grid else None) == expected


# --- where a ticket goes ---------------------------------------------------------------------


def test_staff_chat_honours_the_category_override(sample: Routing) -> None:
    grid = sample.grid("SJB-02")
    disputes = sample.category("disputes")
    drainage = sample.category("drainage")
    assert disputes.chat_id is not None
    assert sample.staff_chat(disputes, grid) == disputes.chat_id
    assert sample.staff_chat(disputes, None) == disputes.chat_id
    assert sample.staff_chat(drainage, grid) == grid.chat_id
    assert sample.staff_chat(drainage, None) == FALLBACK_CHAT
    without_fallback = load_routing(None, None)
    assert without_fallback.staff_chat(drainage, None) == sample.street_office_chat_id


def test_escalation_chain_goes_up(sample: Routing) -> None:
    grid = sample.grid("SJB-01")
    community = sample.community("sanjiabang")
    assert sample.escalation_chain(grid) == [
        grid.chat_id,
        community.chat_id,
        sample.street_office_chat_id,
    ]
    assert sample.escalation_chain(None) == [FALLBACK_CHAT, sample.street_office_chat_id]
    assert load_routing(None, None).escalation_chain(None) == [sample.street_office_chat_id]


def test_escalation_chain_skips_missing_and_repeated_chats(tmp_path: Path) -> None:
    data = valid()
    data["communities"][0]["chat"] = data["communities"][0]["grids"][0]["chat"]
    del data["street_office"]["chat"]
    routing = load(tmp_path, data, fallback_chat_id=-1)
    assert routing.escalation_chain(routing.grid("g1")) == [-11]
    assert routing.escalation_chain(None) == [-1]


def test_distance_m() -> None:
    gate = (30.7612, 120.7545)
    north = (30.7612 + 250 / 111_195, 120.7545)
    east = (30.7612, 120.7545 + 250 / (111_195 * math.cos(math.radians(30.7612))))
    assert distance_m(gate, north) == pytest.approx(250, abs=1)
    assert distance_m(gate, east) == pytest.approx(250, abs=1)
    assert distance_m(gate, gate) == 0
    assert distance_m(north, gate) == distance_m(gate, north)
    assert distance_m((0, 0), (1, 0)) == pytest.approx(111_195, rel=1e-3)


# --- checks at load ---------------------------------------------------------------------------

L = {"en": "Name", "zh": "名字"}


def square(west: float, south: float, size: float = 0.003) -> dict[str, Any]:
    east, north = west + size, south + size
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def valid() -> dict[str, Any]:
    """A small valid routing file: two adjacent grids sharing a border."""
    return {
        "street_office": {"name": dict(L), "chat": -1},
        "communities": [
            {
                "code": "c1",
                "name": dict(L),
                "chat": -10,
                "grids": [
                    {
                        "code": "g1",
                        "name": dict(L),
                        "chat": -11,
                        "workers": [1001],
                        "area": square(120.75, 30.76),
                        "address_keywords": {"en": ["east gate"], "zh": ["东门"]},
                    },
                    {"code": "g2", "name": dict(L), "chat": -12, "area": square(120.753, 30.76)},
                ],
            }
        ],
        "categories": [
            {"code": "drainage", "name": dict(L), "keywords": {"en": ["drain"], "zh": ["下水道"]}},
            {"code": "other", "name": dict(L)},
        ],
        "hotels": [{"code": "h1", "name": dict(L), "address": dict(L)}],
    }


def load(tmp_path: Path, data: Any, fallback_chat_id: int | None = None) -> Routing:
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_routing(path, fallback_chat_id)


def test_the_small_valid_file_loads(tmp_path: Path) -> None:
    routing = load(tmp_path, valid())
    assert [g.code for g in routing.grids] == ["g1", "g2"]
    assert routing.grid_at(30.7615, 120.7515).code == "g1"  # type: ignore[union-attr]
    assert routing.grid_at(30.7615, 120.7545).code == "g2"  # type: ignore[union-attr]


def test_a_grid_without_an_area_is_found_by_address_only(tmp_path: Path) -> None:
    data = valid()
    del data["communities"][0]["grids"][0]["area"]
    routing = load(tmp_path, data)
    assert routing.grid("g1").area == ()
    assert routing.grid_at(30.7615, 120.7515) is None
    assert routing.grid_for_address("东门") == routing.grid("g1")


def test_a_grid_may_fill_another_grids_hole(tmp_path: Path) -> None:
    data = valid()
    outer = square(120.75, 30.76, 0.006)
    hole = square(120.752, 30.762, 0.001)["coordinates"][0][::-1]
    outer["coordinates"].append(hole)
    data["communities"][0]["grids"][0]["area"] = outer
    data["communities"][0]["grids"][1]["area"] = square(120.752, 30.762, 0.001)
    routing = load(tmp_path, data)
    assert routing.grid_at(30.7625, 120.7525) == routing.grid("g2")
    assert routing.grid_at(30.7605, 120.7505) == routing.grid("g1")


Mutation = Callable[[dict[str, Any]], Any]


def grid(data: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return data["communities"][0]["grids"][index]  # type: ignore[no-any-return]


def ring(data: dict[str, Any], index: int = 0) -> list[list[Any]]:
    return grid(data, index)["area"]["coordinates"][0]  # type: ignore[no-any-return]


# a ring whose edges cross: (120.753, 30.76) → (120.756, 30.764) crosses the way back
BOWTIE = [[120.753, 30.76], [120.756, 30.764], [120.756, 30.76], [120.753, 30.763]]
BOWTIE.append(BOWTIE[0])

BROKEN: dict[str, tuple[Mutation, str]] = {
    "missing key": (
        lambda d: grid(d).pop("chat"),
        "communities[0].grids[0].chat: required key is missing",
    ),
    "missing section": (lambda d: d.pop("categories"), "categories: required key is missing"),
    "unknown key": (
        lambda d: grid(d, 1).update(colour="red"),
        "communities[0].grids[1].colour: unknown key",
    ),
    "unknown top-level key": (lambda d: d.update(police={}), "police: unknown key"),
    "duplicate grid code": (
        lambda d: grid(d, 1).update(code="g1"),
        "communities[0].grids[1].code: duplicate grid code 'g1' (also communities[0].grids[0])",
    ),
    "duplicate grid code across communities": (
        lambda d: d["communities"].append(
            {"code": "c2", "name": L, "grids": [{"code": "g2", "name": L, "chat": -21}]}
        ),
        "communities[1].grids[0].code: duplicate grid code 'g2'",
    ),
    "duplicate community code": (
        lambda d: d["communities"].append({"code": "c1", "name": L}),
        "communities[1].code: duplicate community code 'c1'",
    ),
    "duplicate category code": (
        lambda d: d["categories"].insert(
            1, {"code": "drainage", "name": L, "keywords": {"en": ["sewer"]}}
        ),
        "categories[1].code: duplicate category code 'drainage'",
    ),
    "duplicate hotel code": (
        lambda d: d["hotels"].append({"code": "h1", "name": L, "address": L}),
        "hotels[1].code: duplicate hotel code 'h1'",
    ),
    "a code with a space": (
        lambda d: grid(d).update(code="g 1"),
        "communities[0].grids[0].code: a code is 1-32 letters",
    ),
    "name without zh": (
        lambda d: d["categories"][0].update(name={"en": "Drains"}),
        "categories[0].name: needs a text in zh",
    ),
    "name without en": (
        lambda d: d["street_office"].update(name={"zh": "办事处"}),
        "street_office.name: needs a text in en",
    ),
    "an empty hotel address": (
        lambda d: d["hotels"][0]["address"].update(zh=""),
        "hotels[0].address.zh: must be a non-empty string",
    ),
    "chat id as text": (
        lambda d: grid(d).update(chat="-100abc"),
        "communities[0].grids[0].chat: a chat id must be an integer",
    ),
    "chat id as a float": (
        lambda d: d["categories"][0].update(chat=-100.5),
        "categories[0].chat: a chat id must be an integer",
    ),
    "street office chat as text": (
        lambda d: d["street_office"].update(chat="staff"),
        "street_office.chat: a chat id must be an integer",
    ),
    "worker id as text": (
        lambda d: grid(d).update(workers=[1001, "@lao_shen"]),
        "communities[0].grids[0].workers[1]: must be an integer",
    ),
    "negative worker id": (
        lambda d: grid(d).update(workers=[-5]),
        "communities[0].grids[0].workers[0]: a Telegram user id is a positive integer",
    ),
    "forum not a boolean": (
        lambda d: grid(d).update(forum="sometimes"),
        "communities[0].grids[0].forum: must be true or false",
    ),
    "area not a polygon": (
        lambda d: grid(d).update(area={"type": "Point", "coordinates": [[[120.75, 30.76]]]}),
        "communities[0].grids[0].area.type",
    ),
    "too few points": (
        lambda d: grid(d, 1)["area"].update(
            coordinates=[[[120.753, 30.76], [120.756, 30.76], [120.753, 30.76]]]
        ),
        "communities[0].grids[1].area.coordinates[0]: polygon needs at least 4 points",
    ),
    "not closed": (
        lambda d: ring(d, 1).pop(),
        "communities[0].grids[1].area.coordinates[0]: polygon is not closed",
    ),
    "longitude out of range": (
        lambda d: ring(d).__setitem__(2, [200.0, 30.763]),
        "communities[0].grids[0].area.coordinates[0][2]: [200.0, 30.763] is not a [longitude",
    ),
    "latitude out of range": (
        lambda d: ring(d).__setitem__(1, [120.753, -95.0]),
        "communities[0].grids[0].area.coordinates[0][1]",
    ),
    "a position with one number": (
        lambda d: ring(d).__setitem__(1, [120.753]),
        "communities[0].grids[0].area.coordinates[0][1]: a position is [longitude, latitude]",
    ),
    "a position as text": (
        lambda d: ring(d).__setitem__(1, ["120.753", "30.76"]),
        "communities[0].grids[0].area.coordinates[0][1][0]: must be a number",
    ),
    "no area": (
        lambda d: grid(d)["area"].update(
            coordinates=[[[120.75, 30.76], [120.751, 30.76], [120.752, 30.76], [120.75, 30.76]]]
        ),
        "communities[0].grids[0].area.coordinates[0]: polygon has no area",
    ),
    "overlapping grids": (
        lambda d: grid(d, 1).update(area=square(120.752, 30.761)),
        "communities[0].grids[1].area: overlaps communities[0].grids[0] (g1)",
    ),
    "a grid inside another": (
        lambda d: grid(d, 1).update(area=square(120.751, 30.761, 0.001)),
        "communities[0].grids[1].area: overlaps communities[0].grids[0] (g1)",
    ),
    "the same area twice": (
        lambda d: grid(d, 1).update(area=square(120.75, 30.76)),
        "communities[0].grids[1].area: overlaps communities[0].grids[0] (g1)",
    ),
    "edges that cross": (
        lambda d: grid(d, 1)["area"].update(coordinates=[BOWTIE]),
        "communities[0].grids[1].area: polygon's edges cross at [120.75",
    ),
    "an overlap named after a later grid without one": (
        lambda d: d["communities"].append(
            {
                "code": "c2",
                "name": L,
                "grids": [
                    {"code": "g3", "name": L, "chat": -21, "area": square(120.80, 30.80)},
                    {"code": "g4", "name": L, "chat": -22, "area": square(120.7525, 30.7605)},
                ],
            }
        ),
        "communities[1].grids[1].area: overlaps communities[0].grids[0] (g1)",
    ),
    "keywords not a list": (
        lambda d: d["categories"][0].update(keywords={"en": "drain"}),
        "categories[0].keywords.en: must be a list",
    ),
    "an empty keyword": (
        lambda d: d["categories"][0].update(keywords={"en": ["drain", "  "]}),
        "categories[0].keywords.en[1]: must be a non-empty string",
    ),
    "a keyword that is not a string": (
        lambda d: d["categories"][0].update(keywords={"en": ["drain", 404]}),
        "categories[0].keywords.en[1]: must be a string",
    ),
    "address keywords not a list": (
        lambda d: grid(d).update(address_keywords={"zh": "东门"}),
        "communities[0].grids[0].address_keywords.zh: must be a list",
    ),
    "no categories": (
        lambda d: d.update(categories=[]),
        "categories: at least one category is needed",
    ),
    "no fallback category": (
        lambda d: d["categories"].pop(),
        "categories: one category must have no keywords",
    ),
    "two fallback categories": (
        lambda d: d["categories"].append({"code": "misc", "name": L, "keywords": {"en": []}}),
        "categories[2].keywords: only one category may have no keywords",
    ),
    "the top level is a list": (lambda d: [d], "the top level must be a mapping"),
    "an empty file": (lambda d: None, "the file is empty"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_file_names_the_entry(tmp_path: Path, case: str) -> None:
    mutate, expected = BROKEN[case]
    data = copy.deepcopy(valid())
    result = mutate(data)
    if case in ("the top level is a list", "an empty file"):
        data = result
    with pytest.raises(RoutingError) as raised:
        load(tmp_path, data)
    message = str(raised.value)
    assert message.startswith("routing.yaml: "), message
    assert expected in message, message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("street_office:\n  name: {en: Office, zh: 办事处\n", "routing.yaml: line 3, column 1"),
        ("street_office:\n  name: [en\ncommunities: []\n", "routing.yaml: line 3"),
        (
            "street_office:\n  name: {en: Office, zh: 办事处}\n  chat: -1\n  chat: -2\n",
            "routing.yaml: line 4, column 3: YAML syntax error: the key 'chat' appears twice",
        ),
        ("\tstreet_office: {}\n", "routing.yaml: line 1, column 1: YAML syntax error"),
    ],
)
def test_yaml_syntax_errors_name_the_line(tmp_path: Path, source: str, expected: str) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(RoutingError) as raised:
        load_routing(path, None)
    assert str(raised.value).startswith(expected), str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_missing_file_is_a_routing_error(tmp_path: Path) -> None:
    with pytest.raises(RoutingError, match="cannot read the routing file"):
        load_routing(tmp_path / "nowhere.yaml", None)


# --- a city ----------------------------------------------------------------------------------


def test_a_generated_city_loads_and_routes_every_grid(tmp_path: Path) -> None:
    grids = city(400)
    routing = load(tmp_path, routing_data(grids))
    assert len(routing.grids) == 400
    for generated in grids:
        latitude, longitude = generated.inside_point()
        assert routing.grid_at(latitude, longitude) == routing.grid(generated.code)
    holed = grids[4]
    assert len(routing.grid(holed.code).area) == 2
    (west, south), (east, north) = holed.rings[1][0], holed.rings[1][2]
    assert routing.grid_at((south + north) / 2, (west + east) / 2) is None  # in the hole


def test_an_overlap_deep_in_a_city_is_found_and_named(tmp_path: Path) -> None:
    data = routing_data(city(400))
    moved = data["communities"][5]["grids"][7]  # grid 208 slides half a cell east
    for ring_ in moved["area"]["coordinates"]:
        for position in ring_:
            position[0] += CELL / 2
    with pytest.raises(RoutingError) as raised:
        load(tmp_path, data)
    message = str(raised.value)
    # G00208 now overlaps its neighbours; the first of them in the file is named
    assert message.startswith("routing.yaml: communities[5].grids[7].area: overlaps "), message
    assert message.endswith(")") and "(G00" in message, message


def test_a_rounding_sliver_on_a_shared_border_is_no_overlap() -> None:
    left = polygon((((0.0, 0.0), (0.003, 0.0), (0.003, 0.003), (0.0, 0.003), (0.0, 0.0)),))
    shifted = 0.003 - 1e-12  # the neighbour's border, rounded differently in an export
    right = polygon(
        (((shifted, 0.0), (0.006, 0.0), (0.006, 0.003), (shifted, 0.003), (shifted, 0.0)),)
    )
    assert find_overlaps([left, right]) == []
    inside = polygon((((0.001, 0.001), (0.002, 0.001), (0.002, 0.002), (0.001, 0.001)),))
    assert find_overlaps([left, right, inside]) == [(2, 0)]
