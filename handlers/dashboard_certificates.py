"""The dashboard's certificate figures, for those who see the whole street: applications per
day, review time (median and p90 beside the seed office's 93 minutes), check-ins per hotel."""

from __future__ import annotations

from collections.abc import Callable

from handlers.dashboard_charts import Series, bar_chart, figure, legend, line_chart, number, table
from services.dashboard_figures import SEED_REVIEW_MINUTES, Figures
from services.routing import Routing, text

Translate = Callable[[str], str]


def certificate_sections(
    figures: Figures, routing: Routing, _: Translate, locale: str, nothing: str
) -> list[str]:
    """Applications per day, review time beside the seed office's, check-ins per hotel."""
    certificates = figures.certificates
    assert certificates is not None
    days = certificates.per_day
    heading = _("Certificate applications per day")
    series = [
        Series(_("Applications"), "received", [float(n) for _d, n, _a in days]),
        Series(_("Approved"), "resolved", [float(a) for _d, _n, a in days]),
    ]
    applications = figure(
        "applications",
        heading,
        line_chart("applications", [d.isoformat() for d, _n, _a in days], series)
        if days
        else nothing,
        table(
            heading,
            [_("Day"), _("Applications"), _("Approved")],
            [[d.isoformat(), str(n), str(a)] for d, n, a in days],
        ),
        key=legend(series),
    )
    review = certificates.review
    seed = _("The seed office: {minutes} min").format(minutes=SEED_REVIEW_MINUTES)
    weeks = certificates.review_weeks
    review_series = [
        Series(_("Median"), "median", [s.median for _w, s in weeks]),
        Series(_("90th percentile"), "p90", [s.p90 for _w, s in weeks]),
    ]
    heading = _("Review time (minutes)")
    note = _(
        "From submission to decision: median {median} min, 90th percentile {p90} min over "
        "{count} decisions; the seed office's median is {seed} min."
    ).format(
        median=number(review.median),
        p90=number(review.p90),
        count=review.count,
        seed=SEED_REVIEW_MINUTES,
    )
    review_section = figure(
        "review",
        heading,
        line_chart(
            "review",
            [w.isoformat() for w, _s in weeks],
            review_series,
            target=(float(SEED_REVIEW_MINUTES), seed),
        )
        if weeks
        else nothing,
        table(
            heading,
            [_("Week from"), _("Decisions"), _("Median"), _("90th percentile")],
            [[w.isoformat(), str(s.count), number(s.median), number(s.p90)] for w, s in weeks],
        ),
        note=note,
        key=legend(review_series, seed),
    )
    hotels = certificates.checkins
    names = [hotel_name(routing, code, locale) for code, _n in hotels]
    heading = _("Check-ins per hotel")
    checkins = figure(
        "checkins",
        heading,
        bar_chart(
            "checkins", names, [Series(_("Check-ins"), "received", [float(n) for _c, n in hotels])]
        )
        if hotels
        else nothing,
        table(
            heading,
            [_("Hotel"), _("Check-ins")],
            [[name, str(n)] for name, (_c, n) in zip(names, hotels, strict=True)],
        ),
    )
    return [applications, review_section, checkins]


def hotel_name(routing: Routing, code: str, locale: str) -> str:
    try:
        return text(routing.hotel(code).name, locale)
    except KeyError:
        return code
