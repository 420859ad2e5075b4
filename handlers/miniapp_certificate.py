"""The tourist's "My certificate" Mini App: a live QR, the stay, the application's state.

`GET /app/certificate` is a page without inline script (handlers/static/miniapp/); its script
reads the launch parameters from the URL fragment and asks the API below with the init data
(handlers.miniapp_auth) on every request:

- `POST /app/api/certificate`: the tourist's current certificate with this window's live code
  (services.live_codes) as a QR module matrix drawn by the page, and when the next is due; or the
  application still waiting; or nothing.
- `POST /app/api/certificate/withdraw`: take back the waiting application.
- `POST /app/api/certificate/card`: the printable card sent again in the chat.
"""

from __future__ import annotations

import json
from functools import partial
from importlib.resources import files
from typing import Any

from aiogram.utils.i18n import I18n
from aiohttp import web

from handlers.miniapp_auth import BOT_TOKEN, MINIAPP_I18N, authenticate
from services.application_contract import SUBMITTED
from services.applications import ApplicationService
from services.certificates import CHINA_TIME as CHINA
from services.certificates import CertificateService
from services.identity import mask_name
from services.models import Certificate, as_utc
from services.routing import Routing, text

APPLICATIONS = web.AppKey("miniapp_applications", ApplicationService)
CERTIFICATES = web.AppKey("miniapp_certificates", CertificateService)
ROUTING = web.AppKey("miniapp_routing", Routing)
STATIC = files("handlers") / "static" / "miniapp"
ASSETS = {
    "certificate.js": "text/javascript",
    "desk.js": "text/javascript",
    "miniapp.css": "text/css",
}
NO_STORE = {"Cache-Control": "no-store"}
# Telegram Web shows a Mini App in a frame of its page; the sandbox's page may be added
TELEGRAM_WEB = "https://web.telegram.org"
FRAME_ANCESTORS = web.AppKey("miniapp_frame_ancestors", str)

routes = web.RouteTableDef()


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


PAGE_STRINGS = {
    "title": N_("My certificate"),
    "hotel": N_("Hotel"),
    "stay": N_("Stay"),
    "holder": N_("Holder"),
    "serial": N_("Serial"),
    "live": N_("Live code: it changes every {seconds} s. Show it at the front desk."),
    "pending": N_("Application A{id} is with the reviewers since {when} (China time)."),
    "none": N_("You have no current certificate. Apply in the chat: /certificate"),
    "withdraw": N_("Withdraw the application"),
    "withdrawn": N_("The application is withdrawn and its details deleted."),
    "card": N_("Send me the card again"),
    "card_sent": N_("The card is in the chat."),
}


def page(title: str, script: str) -> str:
    """A Mini App's page: no text of its own (its script writes it), no inline script."""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{title}</title>"
        '<link rel="stylesheet" href="/app/static/miniapp.css"></head>'
        '<body data-state="loading"><main id="app"><p id="message">…</p></main>'
        f'<script src="/app/static/{script}"></script></body></html>'
    )


def page_headers(request: web.Request, images: str = "'self'") -> dict[str, str]:
    """A Mini App page's own policy: same origin only, framed only by Telegram Web (and the
    sandbox's page when it runs the bot); browsers obey frame-ancestors over X-Frame-Options."""
    policy = (
        f"default-src 'self'; img-src {images}; "
        f"frame-ancestors {request.app[FRAME_ANCESTORS]}; form-action 'self'; "
        "base-uri 'none'; object-src 'none'"
    )
    return {**NO_STORE, "Content-Security-Policy": policy}


@routes.get("/app/certificate")
async def certificate_page(request: web.Request) -> web.Response:
    return web.Response(
        text=page("Certificate", "certificate.js"),
        content_type="text/html",
        headers=page_headers(request),
    )


@routes.get("/app/static/{name}")
async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound()
    body = (STATIC / name).read_bytes()
    return web.Response(body=body, content_type=ASSETS[name], headers={"Cache-Control": "no-cache"})


def locale_of(language_code: str | None) -> str:
    return "zh" if (language_code or "").lower().startswith("zh") else "en"


def qr_matrix(content: str) -> list[str]:
    """The QR code's modules, quiet zone included, one string of 0 and 1 a row."""
    from services.certificate_card import qr_matrix as modules  # Pillow: only when a code shows

    matrix, _version = modules(content)
    return ["".join("1" if dark else "0" for dark in row) for row in matrix]


def certificate_view(request: web.Request, certificate: Certificate, locale: str) -> dict[str, Any]:
    certificates = request.app[CERTIFICATES]
    shown = certificates.live_code(certificate.serial)
    now = certificates.clock()
    hotel = request.app[ROUTING].hotel(certificate.hotel_code)
    return {
        "serial": certificate.serial,
        "holder": certificate.holder_masked,
        "hotel": text(hotel.name, locale),
        "valid_from": certificate.valid_from.isoformat(),
        "valid_until": certificate.valid_until.isoformat(),
        "qr": qr_matrix(certificates.url_for(shown.token)),
        "window_seconds": certificates.live_codes.window_seconds,
        "next_in_ms": max(0, int((shown.next_at - now).total_seconds() * 1000)),
        "elapsed_ms": max(0, int((now - shown.window_start).total_seconds() * 1000)),
    }


def respond(body: dict[str, Any]) -> web.Response:
    return web.json_response(body, headers=NO_STORE, dumps=partial(json.dumps, ensure_ascii=False))


@routes.post("/app/api/certificate")
async def my_certificate(request: web.Request) -> web.Response:
    person = authenticate(request)
    assert person.user is not None
    locale = locale_of(person.user.language_code)
    i18n: I18n = request.app[MINIAPP_I18N]
    strings = {key: i18n.gettext(value, locale=locale) for key, value in PAGE_STRINGS.items()}
    body: dict[str, Any] = {"locale": locale, "strings": strings, "state": "none"}
    applications = request.app[APPLICATIONS]
    certificate = await applications.current_certificate(person.user.id)
    if certificate is not None:
        body["state"] = "certificate"
        body["certificate"] = certificate_view(request, certificate, locale)
        return respond(body)
    latest = await applications.latest_for(person.user.id)
    if latest is not None and latest.status == SUBMITTED:
        submitted = as_utc(latest.submitted_at).astimezone(CHINA)
        body["state"] = "pending"
        body["application"] = {
            "id": latest.id,
            "submitted_at": submitted.strftime("%Y-%m-%d %H:%M"),
            "holder": mask_name(applications.personal_data(latest).full_name),
        }
    return respond(body)


@routes.post("/app/api/certificate/withdraw")
async def withdraw(request: web.Request) -> web.Response:
    person = authenticate(request)
    assert person.user is not None
    withdrawn = await request.app[APPLICATIONS].withdraw(person.user.id)
    return respond({"withdrawn": withdrawn is not None})


@routes.post("/app/api/certificate/card")
async def card_again(request: web.Request) -> web.Response:
    person = authenticate(request)
    assert person.user is not None
    sent = await request.app[APPLICATIONS].send_card_again(person.user.id)
    return respond({"sent": sent is not None})


def install(
    app: web.Application,
    *,
    bot_token: str,
    i18n: I18n,
    routing: Routing,
    certificates: CertificateService,
    applications: ApplicationService,
    frame_ancestors: str = "",
) -> None:
    """Serve the tourist's Mini App from the bot's web server."""
    app[FRAME_ANCESTORS] = " ".join([TELEGRAM_WEB, *frame_ancestors.split()])
    app[BOT_TOKEN] = bot_token
    app[MINIAPP_I18N] = i18n
    app[ROUTING] = routing
    app[CERTIFICATES] = certificates
    app[APPLICATIONS] = applications
    app.add_routes(routes)
