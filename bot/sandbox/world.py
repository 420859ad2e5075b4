"""The sandbox's people and chats, drawn from the routing file: who each pane acts as."""

from __future__ import annotations

from dataclasses import dataclass

from bot.localapi import BotAPIStandin
from services.mediation_routing import directory_of
from services.routing import Grid, Routing

VERIFIER_CHAT_ID = -1001000000002
RESIDENT_ID = 3001
TOURIST_ID = 4001
FRONTDESK_ID = 6001
OFFICER_ID = 9001
SAMPLE_PHONE = "+86 138 0013 8000"
FREE_POINT = (30.7700, 120.7450)  # north-west of Sanjiabang: in no grid
FRONTDESK_HOTEL = "wuzhen-xizha"
VERIFIERS_TITLE = {"en": "Certificate verifiers", "zh": "住宿证明审核群"}  # sample, like routing
STAFF_NAMES = ("Wang Fang", "Li Ming", "Zhang Wei", "Chen Jing", "Liu Yang", "Zhao Lei")


@dataclass(frozen=True)
class Pane:
    """One column of the page: a person, and the chats they see."""

    key: str  # resident, tourist, staff, verifier, frontdesk
    user_id: int
    chats: tuple[int, ...]  # private panes: the person's own chat with the bot


@dataclass(frozen=True)
class Place:
    """A point the location button offers."""

    label: dict[str, str] | None  # None: the free point, named by the page
    latitude: float
    longitude: float


@dataclass
class World:
    """Every pane, the staff chats' titles and actors, and the places to share."""

    panes: dict[str, Pane]
    titles: dict[int, dict[str, str]]
    actors: dict[int, int]  # chat id → the user the staff pane acts as there
    places: list[Place]


def build_world(standin: BotAPIStandin, routing: Routing) -> World:
    """Register the sample people and chats in the stand-in."""
    standin.user(RESIDENT_ID, "Lao Shen", language_code="en")
    standin.user(TOURIST_ID, "Dai Lingling", language_code="en")
    standin.user(FRONTDESK_ID, "Xizha front desk", language_code="en")
    standin.user(OFFICER_ID, "Officer Zhou", language_code="en")
    titles: dict[int, dict[str, str]] = {}
    actors: dict[int, int] = {}
    names = iter(STAFF_NAMES * 4)
    for grid in routing.grids:
        if grid.chat_id is None:  # not bound yet: its reports go to its community's chat
            continue
        worker = grid.workers[0] if grid.workers else 100000 + len(actors)
        _staff_chat(standin, grid.chat_id, dict(grid.name), worker, next(names), grid.forum)
        titles[grid.chat_id], actors[grid.chat_id] = dict(grid.name), worker
    others = [(c.chat_id, dict(c.name)) for c in routing.communities]
    others.append((routing.street_office_chat_id, dict(routing.street_office_name)))
    others += [(c.chat_id, dict(c.name)) for c in routing.categories]
    # the mediation organisations' chats, in the staff pane: a case arrives there as a card
    others += [(o.chat_id, dict(o.name)) for o in directory_of(routing.mediation).organisations]
    for chat_id, title in others:
        if chat_id is None or chat_id in titles:
            continue
        user_id = 200000 + len(actors)
        _staff_chat(standin, chat_id, title, user_id, next(names), False)
        titles[chat_id], actors[chat_id] = title, user_id
    staff_chats = tuple(titles)
    standin.group(VERIFIER_CHAT_ID, title=VERIFIERS_TITLE["en"], supergroup=True)
    standin.add_member(VERIFIER_CHAT_ID, OFFICER_ID)
    titles[VERIFIER_CHAT_ID] = VERIFIERS_TITLE
    panes = {
        "resident": Pane("resident", RESIDENT_ID, (RESIDENT_ID,)),
        "tourist": Pane("tourist", TOURIST_ID, (TOURIST_ID,)),
        "staff": Pane("staff", 0, staff_chats),
        "verifier": Pane("verifier", OFFICER_ID, (VERIFIER_CHAT_ID,)),
        "frontdesk": Pane("frontdesk", FRONTDESK_ID, (FRONTDESK_ID,)),
    }
    return World(panes, titles, actors, places(routing))


def _staff_chat(
    standin: BotAPIStandin,
    chat_id: int,
    title: dict[str, str],
    user_id: int,
    name: str,
    forum: bool,
) -> None:
    standin.group(chat_id, title=title["en"], forum=forum, supergroup=True)
    if user_id not in standin.state.users:
        standin.user(user_id, name, language_code="en")
    standin.add_member(chat_id, user_id)


def places(routing: Routing) -> list[Place]:
    """A point inside each grid that has an area, then one outside them all."""
    found = []
    for grid in routing.grids:
        point = inside_point(routing, grid)
        community = routing.community_of(grid).name
        if point is not None:
            label = {code: f"{community[code]} · {name}" for code, name in grid.name.items()}
            found.append(Place(label, *point))
    found.append(Place(None, *FREE_POINT))
    return found


def inside_point(routing: Routing, grid: Grid) -> tuple[float, float] | None:
    """A point of the grid's area, well inside it: its vertices' mean, else a scan of its box."""
    if not grid.area:
        return None
    ring = grid.area[0][:-1]
    mean = (sum(y for _, y in ring) / len(ring), sum(x for x, _ in ring) / len(ring))
    candidates = [mean]
    xs, ys = [x for x, _ in ring], [y for _, y in ring]
    steps = [i / 10 for i in range(1, 10)]
    candidates += [
        (min(ys) + (max(ys) - min(ys)) * a, min(xs) + (max(xs) - min(xs)) * b)
        for a in steps
        for b in steps
    ]
    for latitude, longitude in candidates:
        if routing.grid_at(latitude, longitude) == grid:
            return round(latitude, 5), round(longitude, 5)
    return None
