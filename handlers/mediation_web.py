"""`GET /v/agreement/{token}`: the page a settlement agreement's QR code opens.

It reuses the certificate page's look and rules (handlers/verification.py: language by
Accept-Language or ?lang=, no store, the rate limit per address, the same inline style the
Content-Security-Policy allows). Genuine means: signed by a key of the ring, and the serial is an
agreement issued here for that case. No name is shown.
"""

from __future__ import annotations

import html
from datetime import datetime

from aiohttp import web

from handlers.verification import (
    I18N,
    NO_STORE,
    ROUTING,
    VERIFY_LIMIT,
    _head,
    _translate,
    choose_locale,
)
from services.certificates import CHINA_TIME
from services.keyring import KeyRing
from services.mediation import MediationService
from services.mediation_agreement import read_agreement
from services.routing import text

MEDIATION = web.AppKey("mediation", MediationService)
KEYS = web.AppKey("mediation_keys", KeyRing)
routes = web.RouteTableDef()


def N_(message: str) -> str:
    return message


@routes.get("/v/agreement/{token}")
async def agreement_page(request: web.Request) -> web.Response:
    i18n = request.app[I18N]
    locale = choose_locale(request, i18n.default_locale)

    def _(message: str) -> str:
        return _translate(i18n, locale, message)

    if wait := await request.app[VERIFY_LIMIT].retry_after(request):
        return web.Response(status=429, headers={**NO_STORE, "Retry-After": str(wait)})
    claims = read_agreement(request.app[KEYS], request.match_info["token"])
    case = None
    if claims is not None:
        case = await request.app[MEDIATION].by_number(claims.case_number)
        if case is None or case.agreement_serial != claims.serial:
            claims = None
    e = html.escape
    if claims is None or case is None:
        status, word, meaning = (
            "invalid",
            _("Invalid"),
            _("This is not a mediation agreement we issued, or the code is damaged."),
        )
        rows: list[tuple[str, str]] = []
    else:
        status, word = "valid", _("Genuine")
        meaning = _("This mediation agreement was issued here and has not been changed.")
        directory = request.app[MEDIATION].directory
        found = directory.organisation(claims.org_code)
        org = (
            text(found.name, locale)
            if found
            else text(request.app[ROUTING].street_office_name, locale)
        )
        rows = [
            (_("Serial"), claims.serial),
            (_("Case"), claims.case_number),
            (_("Mediation organisation"), org),
            (_("Settled on"), claims.settled_on.isoformat()),
        ]
        if case.judicial_requested_on is not None:
            rows.append(
                (_("Judicial confirmation requested on"), case.judicial_requested_on.isoformat())
            )
    details = "".join(f"<dt>{e(name)}</dt><dd>{e(value)}</dd>" for name, value in rows)
    title = _("Mediation agreement")
    checked = datetime.now(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    page = (
        _head(f"{word} · {title}", locale)
        + f'<section class="status {status}"><h1 id="status" data-status="{status}">'
        + f"{e(word)}</h1><p>{e(meaning)}</p></section><h2>{e(title)}</h2>"
        + (f"<dl>{details}</dl>" if details else "")
        + "<footer>"
        + e(_("Checked at {time}, China time.").format(time=checked))
        + "</footer></main></body></html>"
    )
    headers = {**NO_STORE, "Content-Language": locale, "Vary": "Accept-Language"}
    return web.Response(text=page, content_type="text/html", charset="utf-8", headers=headers)


def install(app: web.Application, mediation: MediationService, keys: KeyRing) -> None:
    app[MEDIATION] = mediation
    app[KEYS] = keys
    app.add_routes(routes)
