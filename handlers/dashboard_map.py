"""The dashboard's map at /dashboard/map: the grids' shapes coloured by open tickets or by the
share overdue, the tickets as points (number, category, status: nothing personal), each a link
to its page; and the same as tables, for the keyboard and screen readers.

Drawn on the server (services/street_map.py) as SVG on a plain ground, with no script. With
MAP_TILES_URL set, a base map's tiles lie under the shapes, and this page alone allows that
origin, for images only. Filters as the dashboard's: period, grid, category; a viewer with
grids sees only those (handlers.dashboard_auth asks who they are at each request).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from urllib.parse import urlsplit

from aiohttp import web

from handlers.dashboard import filters_of
from handlers.dashboard_auth import (
    locale_for,
    page_policy,
    shell,
    translate,
    viewer_of,
    viewer_required,
)
from handlers.menu import N_
from handlers.statuses import STAFF_STATUS
from services.dashboard_access import DashboardViewer
from services.routing import Routing, text
from services.street_map import (
    COLOURINGS,
    LEVELS,
    GridCount,
    MapFilter,
    Names,
    StreetMap,
    StreetView,
    draw,
)

STYLESHEET = (files("handlers") / "static" / "dashboard" / "map.css").read_text(encoding="utf-8")
routes = web.RouteTableDef()


@dataclass(frozen=True)
class MapSite:
    street: StreetMap
    routing: Callable[[], Routing]  # the routing in use now
    tiles_url: str | None  # MAP_TILES_URL: {z}/{x}/{y} tiles of a base map, if allowed


MAP_SITE = web.AppKey("dashboard_map", MapSite)


def ticket_link(number: str) -> str:
    return f"/dashboard/tickets/{number}"


def tiles_origin(url: str) -> str:
    """The origin a MAP_TILES_URL's images come from (for the page's img-src)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@routes.get("/dashboard/map")
@viewer_required
async def map_page(request: web.Request) -> web.Response:
    site = request.app[MAP_SITE]
    viewer = viewer_of(request)
    locale = locale_for(request)
    routing = site.routing()

    def _(message: str) -> str:
        return translate(request, locale, message)

    query = dict(request.query)
    chosen, start, end = filters_of(request, viewer)  # the dashboard's own filters
    filters = MapFilter(chosen.since, chosen.until, chosen.grid, chosen.category)
    colouring = query.get("colour", "open")
    if colouring not in COLOURINGS:
        colouring = "open"
    view = await site.street.view(filters, viewer.grids, viewer.categories)
    grid_names = {g.code: text(g.name, locale) for g in routing.grids}
    categories = {c.code: text(c.name, locale) for c in routing.categories}
    statuses = {code: _(words) for code, words in STAFF_STATUS.items()}
    count_words = _("{grid}: {open} open, {overdue} overdue")

    def grid_title(name: str, count: GridCount) -> str:
        return count_words.format(grid=name, open=count.open, overdue=count.overdue)

    names = Names(grid_names, categories, statuses, _("Map of the grids and requests"), grid_title)
    svg = draw(view, routing, names, colouring, ticket_link, site.tiles_url)
    e = html.escape
    title = _("Map")
    body = (
        f'<a class="skip" href="#map-list">{e(_("Skip to the map as a list"))}</a>'
        f'<header class="top"><h1>{e(title)}</h1>'
        f'<nav><a href="/dashboard">{e(_("Dashboard"))}</a></nav></header>'
        f'<main class="dashboard map-page" id="main">'
        + _filters(query, start, end, colouring, routing, viewer, locale, _)
        + _legend(colouring, statuses, _)
        + (
            f'<figure class="map">{svg}</figure>'
            if svg
            else f'<p class="muted">{e(_("No grid has a shape on the map yet."))}</p>'
        )
        + _lists(view, grid_names, categories, statuses, _)
        + "</main>"
    )
    page = shell(locale, title, body).replace(
        "</head>", '<link rel="stylesheet" href="/dashboard/map/map.css"></head>', 1
    )
    headers = page_policy(request)
    if site.tiles_url:  # the base map's images, and nothing else, from its origin
        headers["Content-Security-Policy"] += f"; img-src 'self' {tiles_origin(site.tiles_url)}"
    return web.Response(text=page, content_type="text/html", headers=headers)


@routes.get("/dashboard/map/map.css")
async def stylesheet(request: web.Request) -> web.Response:
    return web.Response(
        text=STYLESHEET, content_type="text/css", headers={"Cache-Control": "no-cache"}
    )


def _filters(
    query: dict[str, str],
    start: date,
    end: date,
    colouring: str,
    routing: Routing,
    viewer: DashboardViewer,
    locale: str,
    _: Callable[[str], str],
) -> str:
    """The dashboard's filters (from, to, grid, category), and how the grids are coloured."""
    e = html.escape

    def options(pairs: list[tuple[str, str]], chosen: str) -> str:
        return "".join(
            f'<option value="{e(value)}"{" selected" if value == chosen else ""}>'
            f"{e(label)}</option>"
            for value, label in pairs
        )

    grids = [("", _("All grids"))] + [
        (g.code, text(g.name, locale)) for g in routing.grids if viewer.sees_grid(g.code)
    ]
    categories = [("", _("All categories"))] + [
        (c.code, text(c.name, locale)) for c in routing.categories
    ]
    colourings = [("open", _("Open requests")), ("overdue", _("Share overdue"))]
    lang = ""
    if "lang" in query:
        lang = f'<input type="hidden" name="lang" value="{e(query["lang"])}">'
    words = {
        "from": _("From"),
        "to": _("To"),
        "grid": _("Grid"),
        "category": _("Category"),
        "colour": _("Colour the grids by"),
        "show": _("Show"),
    }
    return (
        f'<form class="filters" method="get" action="/dashboard/map">{lang}'
        f'<label>{e(words["from"])}<input type="date" name="from" value="{start.isoformat()}">'
        f"</label><label>{e(words['to'])}"
        f'<input type="date" name="to" value="{end.isoformat()}"></label>'
        f'<label>{e(words["grid"])}<select name="grid">'
        f"{options(grids, query.get('grid', ''))}</select></label>"
        f'<label>{e(words["category"])}<select name="category">'
        f"{options(categories, query.get('category', ''))}</select></label>"
        f'<label>{e(words["colour"])}<select name="colour">'
        f"{options(colourings, colouring)}</select></label>"
        f'<button type="submit">{e(words["show"])}</button></form>'
    )


def _legend(colouring: str, statuses: dict[str, str], _: Callable[[str], str]) -> str:
    e = html.escape
    what = _("Open requests") if colouring == "open" else _("Share overdue")
    steps = "".join(
        f'<span class="swatch level-{step}" aria-hidden="true"></span>' for step in range(LEVELS)
    )
    return (
        f'<p class="map-legend">{e(what)}: <span class="muted">{e(_("none"))}</span> {steps} '
        f'<span class="muted">{e(_("most"))}</span> · '
        + "".join(
            f'<span class="dot status-{code}" aria-hidden="true"></span> {e(statuses[code])} '
            for code in ("new", "taken", "resolved")
        )
        + f'<span class="dot overdue" aria-hidden="true"></span> {e(_("overdue"))}</p>'
    )


def _lists(
    view: StreetView,
    grid_names: dict[str, str],
    categories: dict[str, str],
    statuses: dict[str, str],
    _: Callable[[str], str],
) -> str:
    e = html.escape
    grid_rows = "".join(
        f'<tr><th scope="row">{e(grid_names.get(count.code, count.code))}</th>'
        f"<td>{count.open}</td><td>{count.overdue}</td>"
        f"<td>{'—' if count.overdue_share is None else f'{count.overdue_share:.0%}'}</td></tr>"
        for count in view.grids
    )
    if view.outside is not None and view.outside.open:
        grid_rows += (
            f'<tr><th scope="row">{e(_("outside every grid"))}</th>'
            f"<td>{view.outside.open}</td><td>{view.outside.overdue}</td><td></td></tr>"
        )
    point_rows = "".join(
        f'<tr><th scope="row"><a href="{e(ticket_link(point.number))}">{e(point.number)}</a></th>'
        f"<td>{e(categories.get(point.category, point.category))}</td>"
        f"<td>{e(statuses.get(point.status, point.status))}"
        f"{(' · ' + e(_('overdue'))) if point.overdue else ''}</td>"
        f"<td>{e(grid_names.get(point.grid or '', _('outside every grid')))}</td></tr>"
        for point in view.points
    )
    if not point_rows:
        point_rows = (
            f'<tr><td colspan="4">{e(_("No request with a place in this period."))}</td></tr>'
        )
    return (
        f'<section id="map-list" class="figure" tabindex="-1"><h2>{e(_("The map as a list"))}</h2>'
        f'<div class="numbers"><table><caption>{e(_("Grids"))}</caption><thead><tr>'
        f'<th scope="col">{e(_("Grid"))}</th><th scope="col">{e(_("Open"))}</th>'
        f'<th scope="col">{e(_("Overdue"))}</th><th scope="col">{e(_("Share overdue"))}</th>'
        f"</tr></thead><tbody>{grid_rows}</tbody></table></div>"
        f'<div class="numbers"><table><caption>{e(_("Requests on the map"))}</caption><thead><tr>'
        f'<th scope="col">{e(_("Request"))}</th><th scope="col">{e(_("Category"))}</th>'
        f'<th scope="col">{e(_("Status"))}</th><th scope="col">{e(_("Grid"))}</th>'
        f"</tr></thead><tbody>{point_rows}</tbody></table></div></section>"
    )


def install(app: web.Application, site: MapSite) -> None:
    app[MAP_SITE] = site
    app.add_routes(routes)


# words said inside f-strings above, marked here so that scripts/i18n extracts them
IN_PAGES = (
    N_("Skip to the map as a list"),
    N_("Dashboard"),
    N_("No grid has a shape on the map yet."),
    N_("none"),
    N_("most"),
    N_("overdue"),
    N_("outside every grid"),
    N_("No request with a place in this period."),
    N_("The map as a list"),
    N_("Grids"),
    N_("Open"),
    N_("Overdue"),
    N_("Share overdue"),
    N_("Requests on the map"),
    N_("Request"),
    N_("Status"),
)
