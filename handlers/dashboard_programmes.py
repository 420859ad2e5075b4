"""The dashboard's programmes page (/dashboard/programmes): rental houses on the map by risk
colour with their counts per grid; for those who see everything, mediation's figures beside
the seed's, the legal service point's, and deliberation's decisions. Every figure has its
numbers in a table; the map has a list alternative. No script, no personal data
(services.dashboard_programmes)."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from handlers.dashboard_auth import locale_for, page_policy, shell, translate, viewer_of
from handlers.dashboard_auth import viewer_required as signed_in
from handlers.dashboard_charts import Series, bar_chart, figure, legend, number, table
from handlers.deliberation_board import decisions_section
from handlers.lawyer_notices import TOPIC_LABELS
from handlers.mediation_notices import KIND_NAMES
from handlers.rental_notices import COLOUR_NAMES, reason_lines
from services.certificates import china_today
from services.dashboard_access import DashboardViewer
from services.dashboard_programmes import (
    COLOUR_ORDER,
    HOUSES_SHOWN,
    DashboardProgrammes,
    HousePoint,
    LegalFigures,
    Programmes,
    draw_houses,
)
from services.mediation_stats import SEED, MediationStats
from services.routing import Routing, text

Translate = Callable[[str], str]
routes = web.RouteTableDef()


@dataclass(frozen=True)
class ProgrammesSite:
    programmes: DashboardProgrammes
    routing: Callable[[], Routing]  # the routing in use now


PROGRAMMES = web.AppKey("dashboard_programmes", ProgrammesSite)


@routes.get("/dashboard/programmes")
@signed_in
async def programmes_page(request: web.Request) -> web.Response:
    site = request.app[PROGRAMMES]
    viewer = viewer_of(request)
    locale = locale_for(request)
    routing = site.routing()

    def _(message: str) -> str:
        return translate(request, locale, message)

    found = await site.programmes.programmes(viewer.grids, china_today())
    e = html.escape
    title = _("Programmes")
    sections = rental_sections(found, routing, viewer, _, locale)
    if found.mediation is not None:
        sections.append(mediation_section(found.mediation, _))
    if found.legal is not None:
        sections.append(legal_section(found.legal, _))
    if found.decisions is not None:
        sections.append(decisions_section(found.decisions, routing, _, locale))
    other = "zh" if locale == "en" else "en"
    body = (
        f'<a class="skip" href="#main">{e(_("Skip to the figures"))}</a>'
        f'<header class="top"><h1>{e(title)}</h1>'
        f'<nav><a href="/dashboard?lang={locale}">{e(_("Dashboard"))}</a> · '
        f'<a href="/dashboard/map?lang={locale}">{e(_("Map"))}</a> · '
        f'<a href="?lang={other}" hreflang="{other}" lang="{other}">'
        f"{'中文' if other == 'zh' else 'English'}</a></nav></header>"
        f'<main class="dashboard programmes" id="main">{"".join(sections)}</main>'
    )
    page = shell(locale, title, body).replace(
        "</head>", '<link rel="stylesheet" href="/dashboard/map/map.css"></head>', 1
    )
    return web.Response(text=page, content_type="text/html", headers=page_policy(request))


def colour_word(colour: str, _: Translate) -> str:
    return _(COLOUR_NAMES.get(colour, colour))


def rental_sections(
    found: Programmes, routing: Routing, viewer: DashboardViewer, _: Translate, locale: str
) -> list[str]:
    """The houses on the map by colour, their list, and the counts per grid."""
    e = html.escape

    def grid_name(code: str) -> str:
        try:
            return text(routing.grid(code).name, locale)
        except KeyError:
            return code

    def reasons(house: HousePoint) -> str:
        return "; ".join(reason_lines(house.reasons, routing.rental, _, locale))

    def words(house: HousePoint) -> str:
        why = reasons(house)
        return " · ".join(part for part in (house.code, colour_word(house.colour, _), why) if part)

    heading = _("Rental houses by risk colour")
    svg = draw_houses(found.houses, routing, viewer.grids, heading, words)
    key = (
        '<p class="legend map-legend" aria-hidden="true">'
        + "".join(
            f'<span><span class="dot house-{c}"></span>{e(colour_word(c, _))}</span>'
            for c in COLOUR_ORDER
        )
        + "</p>"
    )
    rows = [
        [house.code, grid_name(house.grid), colour_word(house.colour, _), reasons(house)]
        for house in found.houses
    ]
    listed = table(heading, [_("House"), _("Grid"), _("Colour"), _("Why")], rows)
    note = _("No address, landlord or tenant is shown: a house is its code.")
    if found.houses_total > len(found.houses):
        note += " " + _("The {shown} most urgent of {total} houses are shown.").format(
            shown=HOUSES_SHOWN, total=found.houses_total
        )
    houses = figure(
        "rental-houses",
        heading,
        (key + f'<figure class="map">{svg}</figure>')
        if svg and found.houses
        else f'<p class="muted">{e(_("No rental house is registered on these grids."))}</p>',
        listed,
        note=note,
    )
    per_grid = sorted(found.houses_per_grid.items(), key=lambda item: grid_name(item[0]))
    labels = [grid_name(code) for code, _c in per_grid]
    series = [
        Series(colour_word(c, _), f"house-{c}", [float(counts[c]) for _g, counts in per_grid])
        for c in COLOUR_ORDER
    ]
    count_rows = [
        [grid_name(code), *(str(counts[c]) for c in COLOUR_ORDER), str(sum(counts.values()))]
        for code, counts in per_grid
    ]
    heading = _("Rental houses per grid")
    counts = figure(
        "rental-grids",
        heading,
        bar_chart("rental-grids", labels, series)
        if labels
        else f'<p class="muted">{e(_("No rental house is registered on these grids."))}</p>',
        table(
            heading,
            [_("Grid"), *(colour_word(c, _) for c in COLOUR_ORDER), _("All")],
            count_rows,
        ),
        key=legend(series),
    )
    return [houses, counts]


def share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def mediation_section(stats: MediationStats, _: Translate) -> str:
    total = stats.total
    labels = [_("Received"), _("Accepted"), _("Settled"), _("Referred to court"), _("Withdrawn")]
    values = [total.received, total.accepted, total.settled, total.referred, total.withdrawn]
    series = [Series(_("Cases"), "received", [float(v) for v in values])]
    rows = [
        [_("All kinds"), *(str(v) for v in values)],
        *(
            [
                _(KIND_NAMES.get(kind, kind)),
                str(c.received),
                str(c.accepted),
                str(c.settled),
                str(c.referred),
                str(c.withdrawn),
            ]
            for kind, c in sorted(stats.by_kind.items())
        ),
    ]
    heading = _("Mediation")
    note = " ".join(
        (
            _("Median days from filing to settlement: {days}.").format(
                days=number(stats.median_days_to_settle)
            ),
            _(
                "Diversion share (settled of all closed): {share}; the Zhuji platform: {seed}."
            ).format(share=share(total.diversion_share), seed=share(SEED["diverted_share"])),
        )
    )
    return figure(
        "mediation",
        heading,
        bar_chart("mediation", labels, series),
        table(heading, [_("Kind of dispute"), *labels], rows),
        note=note,
    )


def legal_section(legal: LegalFigures, _: Translate) -> str:
    labels = [_(TOPIC_LABELS.get(topic, topic)) for topic, _n, _a in legal.per_topic]
    series = [
        Series(_("Questions"), "received", [float(n) for _t, n, _a in legal.per_topic]),
        Series(_("Answered"), "resolved", [float(a) for _t, _n, a in legal.per_topic]),
    ]
    rows = [
        [label, str(n), str(a)] for label, (_t, n, a) in zip(labels, legal.per_topic, strict=True)
    ]
    heading = _("Legal service point")
    e = html.escape
    note = " ".join(
        (
            _("Answered: {share} of {count} questions.").format(
                share=share(legal.answered_share), count=legal.asked
            ),
            _("Lawyers' service hours in {month}: {hours} h, by {lawyers} lawyers.").format(
                month=legal.month.strftime("%Y-%m"),
                hours=number(legal.minutes / 60),
                lawyers=legal.lawyers,
            ),
        )
    )
    return figure(
        "legal",
        heading,
        bar_chart("legal", labels, series)
        if labels
        else f'<p class="muted">{e(_("No question yet."))}</p>',
        table(heading, [_("Topic"), _("Questions"), _("Answered")], rows),
        note=note,
        key=legend(series),
    )


def install(app: web.Application, site: ProgrammesSite) -> None:
    app[PROGRAMMES] = site
    app.add_routes(routes)


__all__ = ["PROGRAMMES", "ProgrammesSite", "install", "routes"]
