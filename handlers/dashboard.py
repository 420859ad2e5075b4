"""The supervisor dashboard at /dashboard: figures, charts, filters and exports.

Signed in through handlers.dashboard_auth; every request asks who the viewer is now and shows
only their grids (services.dashboard_figures does the counting, in SQL). No script: the charts
are SVG drawn here (handlers.dashboard_charts), each with its numbers in a table beside it; the
filters are a plain form (GET), so every state of the page is a link.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, timedelta

from aiohttp import web

from handlers.dashboard_auth import (
    NO_STORE,
    locale_for,
    page_policy,
    shell,
    translate,
    viewer_of,
    viewer_required,
)
from handlers.dashboard_certificates import certificate_sections
from handlers.dashboard_charts import Series, bar_chart, figure, legend, line_chart, number, table
from handlers.verification import ROUTING
from services.certificates import china_today
from services.dashboard_access import DashboardViewer
from services.dashboard_figures import (
    OFFICE_OFFSET,
    DashboardFigures,
    Figures,
    Filters,
    Tally,
    period_of,
)
from services.routing import Routing, text

FIGURES = web.AppKey("dashboard_figures", DashboardFigures)
routes = web.RouteTableDef()
Translate = Callable[[str], str]


def filters_of(request: web.Request, viewer: DashboardViewer) -> tuple[Filters, date, date]:
    """The form's filters, checked: a grid the viewer does not see, or an unknown category, is
    left out (the page says what it shows); dates that are not dates are the defaults."""
    query = request.query
    routing = request.app[ROUTING]

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(query.get(name, ""))
        except ValueError:
            return None

    end = day("to") or china_today()
    start = day("from") or end - timedelta(days=89)
    start, end = min(start, end), max(start, end)
    since, until = period_of(start, end, end)
    grid = query.get("grid") or None
    known = {g.code for g in routing.grids}
    if grid is not None and (grid not in known or not viewer.sees_grid(grid)):
        grid = None
    category = query.get("category") or None
    if category is not None and category not in {c.code for c in routing.categories}:
        category = None
    return Filters(since, until, grid, category, viewer.grids, viewer.categories), start, end


@routes.get("/dashboard")
@viewer_required
async def dashboard_page(request: web.Request) -> web.Response:
    viewer = viewer_of(request)
    locale = locale_for(request)
    filters, start, end = filters_of(request, viewer)
    figures = await request.app[FIGURES].figures(filters)

    def _(message: str) -> str:
        return translate(request, locale, message)

    page = render(figures, request.app[ROUTING], viewer, _, locale, start, end, request)
    return web.Response(
        text=shell(locale, _("Dashboard"), page),
        content_type="text/html",
        headers=page_policy(request),
    )


@routes.get("/dashboard/api/ping")
@viewer_required
async def ping(request: web.Request) -> web.Response:
    """Who the dashboard takes the caller for, and which grids they see (None: all)."""
    viewer = viewer_of(request)
    grids = None if viewer.grids is None else sorted(viewer.grids)
    body: dict[str, object] = {"user": viewer.user_id, "grids": grids}
    if viewer.categories:  # staff of a category's own chat
        body["categories"] = sorted(viewer.categories)
    return web.json_response(body, headers=NO_STORE)


# --- the page --------------------------------------------------------------------------------


def render(
    figures: Figures,
    routing: Routing,
    viewer: DashboardViewer,
    _: Translate,
    locale: str,
    start: date,
    end: date,
    request: web.Request,
) -> str:
    e = html.escape
    other = "zh" if locale == "en" else "en"
    switch = request.rel_url.update_query(lang=other)
    signed = _("Signed in as {name}").format(name=viewer.name)
    words = {
        "title": _("Dashboard"),
        "out": _("Sign out"),
        "map": _("Map"),
        "programmes": _("Programmes"),
    }
    header = (
        '<a class="skip" href="#main">' + e(_("Skip to the figures")) + "</a>"
        f'<header class="top"><h1>{e(words["title"])} · '
        f"{e(text(routing.street_office_name, locale))}</h1>"
        f'<p><a href="/dashboard/map?{e(request.query_string)}">{e(words["map"])}</a> · '
        f'<a href="/dashboard/programmes?lang={locale}">{e(words["programmes"])}</a> · '
        f"{e(signed)} · "
        f'<a href="{e(str(switch))}" hreflang="{other}" lang="{other}">'
        f"{'中文' if other == 'zh' else 'English'}</a> · "
        f'<form method="post" action="/dashboard/logout"><button class="plain">'
        f"{e(words['out'])}</button></form></p></header>"
    )
    sections = [
        filter_form(figures.filters, routing, viewer, _, locale, start, end),
        exports(request, viewer, _),
        *charts(figures, routing, _, locale),
    ]
    return f'{header}<main class="dashboard" id="main">{"".join(sections)}</main>'


def filter_form(
    filters: Filters,
    routing: Routing,
    viewer: DashboardViewer,
    _: Translate,
    locale: str,
    start: date,
    end: date,
) -> str:
    e = html.escape
    grids = [g for g in routing.grids if viewer.sees_grid(g.code)]
    every = _("All my grids") if viewer.grids is not None else _("All grids")
    grid_options = [f'<option value="">{e(every)}</option>']
    grid_options += [
        f'<option value="{e(g.code)}"{" selected" if g.code == filters.grid else ""}>'
        f"{e(text(g.name, locale))}</option>"
        for g in grids
    ]
    words = {
        "all": _("All categories"),
        "filters": _("Filters"),
        "from": _("From"),
        "to": _("To"),
        "grid": _("Grid"),
        "category": _("Category"),
        "show": _("Show"),
    }
    category_options = [f'<option value="">{e(words["all"])}</option>']
    category_options += [
        f'<option value="{e(c.code)}"{" selected" if c.code == filters.category else ""}>'
        f"{e(text(c.name, locale))}</option>"
        for c in routing.categories
    ]
    return (
        f'<form class="filters" method="get" action="/dashboard" '
        f'aria-label="{e(words["filters"])}">'
        f'<input type="hidden" name="lang" value="{locale}">'
        f'<div class="field"><label for="from">{e(words["from"])}</label>'
        f'<input type="date" id="from" name="from" value="{start.isoformat()}"></div>'
        f'<div class="field"><label for="to">{e(words["to"])}</label>'
        f'<input type="date" id="to" name="to" value="{end.isoformat()}"></div>'
        f'<div class="field"><label for="grid">{e(words["grid"])}</label>'
        f'<select id="grid" name="grid">{"".join(grid_options)}</select></div>'
        f'<div class="field"><label for="category">{e(words["category"])}</label>'
        f'<select id="category" name="category">{"".join(category_options)}</select></div>'
        f'<button type="submit">{e(words["show"])}</button></form>'
    )


def exports(request: web.Request, viewer: DashboardViewer, _: Translate) -> str:
    """Downloads of what the filters show: the tickets and the figures, CSV or Excel."""
    e = html.escape
    kept = "".join(
        f'<input type="hidden" name="{name}" value="{e(request.query[name])}">'
        for name in ("from", "to", "grid", "category", "lang")
        if request.query.get(name)
    )
    names = ""
    if viewer.is_admin:
        names = (
            '<label><input type="checkbox" name="names" value="1"> '
            + e(_("With residents' names and contacts (administrators only)"))
            + "</label>"
        )
    choices = "".join(
        f'<button type="submit" name="what" value="{what}.{kind}">{e(label)}</button>'
        for what, kind, label in (
            ("tickets", "csv", _("Requests (CSV)")),
            ("tickets", "xlsx", _("Requests (Excel)")),
            ("figures", "csv", _("Figures (CSV)")),
            ("figures", "xlsx", _("Figures (Excel)")),
        )
    )
    download = e(_("Download"))
    anonymised = e(_("Anonymised: no names, contacts or free text"))
    return (
        f'<form class="exports" method="get" action="/dashboard/export" '
        f'aria-label="{download}"><strong>{download}</strong>{kept}'
        f'<label><input type="checkbox" name="anonymised" value="1"> '
        f"{anonymised}</label>{names}{choices}</form>"
    )


def charts(figures: Figures, routing: Routing, _: Translate, locale: str) -> list[str]:
    sections = [
        per_day(figures, _),
        tallies(
            "by-category",
            _("By category"),
            figures.by_category,
            _,
            category_namer(routing, locale, _),
        ),
        tallies("by-grid", _("By grid"), figures.by_grid, _, grid_namer(routing, locale, _)),
        weekly(figures, _, "response", _("Time to first response (hours)")),
        weekly(figures, _, "resolution", _("Time to resolution (hours)")),
        satisfaction(figures, _),
        levels(figures, _),
    ]
    if figures.certificates is not None:
        sections += certificate_sections(figures, routing, _, locale, empty(_))
    return sections


def every_day(figures: Figures) -> list[tuple[date, int, int]]:
    """Each day of the period, those without a request as zeros (the SQL gives only the days
    that have some)."""
    known = {day: (r, s) for day, r, s in figures.per_day}
    first = (figures.filters.since + OFFICE_OFFSET).date()
    last = (figures.filters.until + OFFICE_OFFSET).date()
    days = [first + timedelta(days=n) for n in range((last - first).days)]
    return [(day, *known.get(day, (0, 0))) for day in days]


def per_day(figures: Figures, _: Translate) -> str:
    days = every_day(figures) if figures.per_day else []
    labels = [day.isoformat() for day, _r, _s in days]
    series = [
        Series(_("Received"), "received", [float(r) for _d, r, _s in days]),
        Series(_("Resolved"), "resolved", [float(s) for _d, _r, s in days]),
    ]
    rows = [[day.isoformat(), str(r), str(s)] for day, r, s in figures.per_day]
    heading = _("Requests received and resolved per day")
    return figure(
        "per-day",
        heading,
        line_chart("per-day", labels, series) if labels else empty(_),
        table(heading, [_("Day"), _("Received"), _("Resolved")], rows),
        key=legend(series),
    )


def tallies(
    anchor: str, heading: str, tallies: list[Tally], _: Translate, name: Callable[[str], str]
) -> str:
    labels = [name(t.key) for t in tallies]
    series = [
        Series(_("Received"), "received", [float(t.received) for t in tallies]),
        Series(_("Resolved"), "resolved", [float(t.resolved) for t in tallies]),
    ]
    rows = [[name(t.key), str(t.received), str(t.resolved), str(t.open)] for t in tallies]
    return figure(
        anchor,
        heading,
        bar_chart(anchor, labels, series) if labels else empty(_),
        table(heading, ["", _("Received"), _("Resolved"), _("Open now")], rows),
        key=legend(series),
    )


def weekly(figures: Figures, _: Translate, which: str, heading: str) -> str:
    spreads = [(w.start, getattr(w, which)) for w in figures.weeks]
    labels = [start.isoformat() for start, _s in spreads]
    series = [
        Series(_("Median"), "median", [s.median for _w, s in spreads]),
        Series(_("90th percentile"), "p90", [s.p90 for _w, s in spreads]),
    ]
    rows = [
        [start.isoformat(), str(s.count), number(s.median), number(s.p90)] for start, s in spreads
    ]
    return figure(
        f"weekly-{which}",
        heading,
        line_chart(f"weekly-{which}", labels, series) if labels else empty(_),
        table(heading, [_("Week from"), _("Requests"), _("Median"), _("90th percentile")], rows),
        key=legend(series),
    )


def satisfaction(figures: Figures, _: Translate) -> str:
    stars = [5, 4, 3, 2, 1]
    labels = ["★" * n for n in stars]
    series = [Series(_("Ratings"), "received", [float(figures.ratings.get(n, 0)) for n in stars])]
    rows = [[label, str(figures.ratings.get(n, 0))] for label, n in zip(labels, stars, strict=True)]
    average = figures.satisfaction
    note = (
        _("Average {rating} of 5 from {count} ratings.").format(
            rating=number(average), count=sum(figures.ratings.values())
        )
        if average is not None
        else _("No ratings yet.")
    )
    heading = _("Satisfaction")
    return figure(
        "satisfaction",
        heading,
        bar_chart("satisfaction", labels, series),
        table(heading, [_("Rating"), _("Ratings")], rows),
        note=note,
    )


def levels(figures: Figures, _: Translate) -> str:
    labels = [_("Level {level}").format(level=lv.level) for lv in figures.levels]
    series = [
        Series(_("Open"), "received", [float(lv.open) for lv in figures.levels]),
        Series(_("Overdue"), "warn", [float(lv.overdue) for lv in figures.levels]),
    ]
    rows = [
        [label, str(lv.open), str(lv.overdue)]
        for label, lv in zip(labels, figures.levels, strict=True)
    ]
    heading = _("Open and overdue now, by escalation level")
    note = _(
        "Level 0: in its team's hands; 1: reminded in the team's chat; 2: raised to the "
        "community; 3: raised to the street office. Whatever the period."
    )
    return figure(
        "levels",
        heading,
        bar_chart("levels", labels, series) if labels else empty(_),
        table(heading, [_("Escalation level"), _("Open"), _("Overdue")], rows),
        note=note,
        key=legend(series),
    )


def empty(_: Translate) -> str:
    nothing = html.escape(_("Nothing in this period."))
    return f'<p class="muted">{nothing}</p>'


def category_namer(routing: Routing, locale: str, _: Translate) -> Callable[[str], str]:
    def name(code: str) -> str:
        try:
            return text(routing.category(code).name, locale)
        except KeyError:
            return code

    return name


def grid_namer(routing: Routing, locale: str, _: Translate) -> Callable[[str], str]:
    def name(code: str) -> str:
        if not code:
            return _("No grid")
        try:
            return text(routing.grid(code).name, locale)
        except KeyError:
            return code

    return name


__all__ = ["FIGURES", "routes"]
