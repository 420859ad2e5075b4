"""The supervisor dashboard at /dashboard: figures, charts, filters and exports.

Signed in through handlers.dashboard_auth; every request asks who the viewer is now and shows
only their grids.
"""

from __future__ import annotations

import html

from aiohttp import web

from handlers.dashboard_auth import (
    N_,
    NO_STORE,
    locale_for,
    page_policy,
    shell,
    translate,
    viewer_of,
    viewer_required,
)

routes = web.RouteTableDef()


@routes.get("/dashboard")
@viewer_required
async def dashboard_page(request: web.Request) -> web.Response:
    viewer = viewer_of(request)
    locale = locale_for(request)
    e = html.escape
    title = translate(request, locale, N_("Dashboard"))
    signed = translate(request, locale, N_("Signed in as {name}")).format(name=viewer.name)
    out = translate(request, locale, N_("Sign out"))
    body = (
        f'<header class="top"><h1>{e(title)}</h1><p>{e(signed)} '
        f'<form method="post" action="/dashboard/logout"><button class="plain">{e(out)}'
        "</button></form></p></header>"
        '<main class="dashboard" id="main"></main>'
    )
    return web.Response(
        text=shell(locale, title, body), content_type="text/html", headers=page_policy(request)
    )


@routes.get("/dashboard/api/ping")
@viewer_required
async def ping(request: web.Request) -> web.Response:
    """Who the dashboard takes the caller for, and which grids they see (None: all)."""
    viewer = viewer_of(request)
    grids = None if viewer.grids is None else sorted(viewer.grids)
    return web.json_response({"user": viewer.user_id, "grids": grids}, headers=NO_STORE)
