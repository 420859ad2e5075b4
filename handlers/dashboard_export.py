"""Downloads from the dashboard: `GET /dashboard/export?what=tickets.csv|tickets.xlsx|
figures.csv|figures.xlsx` with the page's filters, `anonymised=1` (no names, contacts or free
text) and, for an administrator only, `names=1` (residents' names and contacts, decrypted for
this download; logged with who and how many)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from handlers.dashboard import category_namer, filters_of, grid_namer
from handlers.dashboard_auth import NO_STORE, locale_for, translate, viewer_of, viewer_required
from handlers.verification import ROUTING
from services.dashboard_export import (
    XLSX,
    Detail,
    TicketExport,
    csv_bytes,
    figure_tables,
    xlsx_bytes,
)

log = logging.getLogger(__name__)

EXPORT = web.AppKey("dashboard_export", TicketExport)
WHAT = {"tickets.csv", "tickets.xlsx", "figures.csv", "figures.xlsx"}
routes = web.RouteTableDef()


@routes.get("/dashboard/export")
@viewer_required
async def export(request: web.Request) -> web.Response:
    viewer = viewer_of(request)
    what = request.query.get("what", "")
    if what not in WHAT:
        raise web.HTTPBadRequest(text="what: one of " + ", ".join(sorted(WHAT)))
    filters, start, end = filters_of(request, viewer)
    exporter = request.app[EXPORT]
    locale = locale_for(request)
    stamp = f"{start.isoformat()}_{end.isoformat()}"
    kind, _dot, form = what.partition(".")

    def _(message: str) -> str:
        return translate(request, locale, message)

    if kind == "tickets":
        detail = Detail.ANONYMISED if request.query.get("anonymised") else Detail.PLAIN
        if request.query.get("names") and detail is Detail.PLAIN:
            if not viewer.is_admin:
                message = _("Only an administrator may download residents' names and contacts.")
                raise web.HTTPForbidden(text=message, headers=NO_STORE)
            detail = Detail.PERSONAL
        routing = request.app[ROUTING]
        header, rows = await exporter.rows(
            filters, detail, category_namer(routing, locale, _), grid_namer(routing, locale, _)
        )
        if detail is Detail.PERSONAL:
            log.warning(
                "dashboard: admin %s downloaded %s tickets with names and contacts",
                viewer.user_id,
                len(rows),
            )
        tables = {"tickets": (header, rows)}
    else:
        figures = await exporter.figures.figures(filters)
        tables = figure_tables(figures)
    name = f"linkage-{kind}-{stamp}"
    if form == "csv":
        if kind == "tickets":
            body = csv_bytes(*tables["tickets"])
        else:
            body = csv_bytes(["figure", "key", "measure", "value"], long_form(tables))
        content_type = "text/csv; charset=utf-8"
    else:
        body = await asyncio.to_thread(xlsx_bytes, dict(tables))
        content_type = XLSX
    return web.Response(
        body=body,
        headers={
            **NO_STORE,
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{name}.{form}"',
        },
    )


def long_form(tables: dict[str, tuple[list[str], list[list[Any]]]]) -> list[list[Any]]:
    """Every figure in one table: figure, the row's key (a day, a grid...), measure, value."""
    return [
        [figure, row[0], measure, value]
        for figure, (header, rows) in tables.items()
        for row in rows
        for measure, value in zip(header[1:], row[1:], strict=True)
    ]
