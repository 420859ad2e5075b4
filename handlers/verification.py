"""Checking a certificate on the web: the page a QR code opens, a JSON API, the public keys.

- `GET /v/{token}`: a page for a phone, without JavaScript, in Chinese or English by the
  browser's Accept-Language (`?lang=zh` or `?lang=en` overrides): a big coloured status, the
  masked holder, the hotel and the validity.
- `GET /api/v1/certificates/verify?token=...`: the same as JSON; `status` is one of `valid`,
  `expired`, `not_yet_valid`, `revoked`, `invalid`. Bad input is `invalid` with 200, never an
  error. `token` may also be the whole link from the QR code.
- `GET /.well-known/linkage-keys.json`: the public keys as a JWK set, for verifying offline.

Only masked data appears, and answers are not cached (a revocation shows at once). More than
VERIFY_RATE_PER_SECOND checks in a second from one address are refused with 429 and Retry-After
(`AddressLimit`), before any work is done for them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from aiogram.utils.i18n import I18n
from aiohttp import web

from handlers.web_security import SECURITY_HEADERS, AddressLimit, style_source
from services.certificate_token import MAX_TOKEN_CHARS, CodeKind, Status, Verification
from services.certificates import CHINA_TIME, CertificateService, Channel, token_from_text
from services.identity import DocumentType
from services.routing import Routing, text

CERTIFICATES = web.AppKey("certificates", CertificateService)
I18N = web.AppKey("i18n", I18n)
ROUTING = web.AppKey("routing", Routing)
VERIFY_LIMIT = web.AppKey("verify_limit", AddressLimit)

LOCALES = ("en", "zh")
_JSON = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per answer
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
CORS = {"Access-Control-Allow-Origin": "*"}  # any page may check a certificate
# the API's answer, every header but the app's Content-Security-Policy (its middleware adds it)
# set once, so an answer is the body and these
API_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    **SECURITY_HEADERS,
    **NO_STORE,
    **CORS,
}

routes = web.RouteTableDef()


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


STATUS_WORDS = {
    Status.VALID: N_("Valid"),
    Status.EXPIRED: N_("Expired"),
    Status.NOT_YET_VALID: N_("Not yet valid"),
    Status.REVOKED: N_("Revoked"),
    Status.INVALID: N_("Invalid"),
    Status.STALE: N_("Old live code"),
}
STATUS_MEANINGS = {
    Status.VALID: N_("This certificate is genuine and valid today."),
    Status.EXPIRED: N_("This certificate is genuine, but the stay it covers has ended."),
    Status.NOT_YET_VALID: N_("This certificate is genuine, but the stay it covers has not begun."),
    Status.REVOKED: N_("This certificate was revoked. Do not accept it."),
    Status.INVALID: N_(
        "This is not a certificate we issued, or the code is damaged. Do not accept it."
    ),
    Status.STALE: N_(
        "This live code is no longer current: it may be a screenshot. Ask the guest to open "
        "the live code in Telegram again."
    ),
}
STATIC_CODE_NOTE = N_("Static code: ask to see the live code in Telegram to match the photo.")
LIVE_CODE_AGE = N_("Live code shown {seconds} s ago.")
STATUS_COLOURS = {
    Status.VALID: "#1a7f37",
    Status.EXPIRED: "#9a6700",
    Status.NOT_YET_VALID: "#9a6700",
    Status.REVOKED: "#cf222e",
    Status.INVALID: "#cf222e",
    Status.STALE: "#bc4c00",
}
DOCUMENT_NAMES = {
    DocumentType.PRC_ID: N_("PRC resident ID card"),
    DocumentType.PASSPORT: N_("Passport"),
    DocumentType.TRAVEL_PERMIT: N_("Hong Kong, Macau or Taiwan travel permit"),
}


def choose_locale(request: web.Request, default: str) -> str:
    """`?lang=` if given, else the most preferred of en and zh in Accept-Language."""
    asked = request.query.get("lang", "").lower()
    if asked in LOCALES:
        return asked
    accepted = request.headers.get("Accept-Language")
    if not accepted:
        return default
    best, best_weight = default, 0.0
    for position, part in enumerate(accepted.split(",")):
        language, _, parameters = part.strip().partition(";")
        base = language.strip().lower().split("-", 1)[0]
        if base not in LOCALES:
            continue
        weight = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weight -= position * 1e-6  # equal weights: the first listed wins
        if weight > best_weight:
            best, best_weight = base, weight
    return best


def code_note(result: Verification, _: Callable[[str], str]) -> str | None:
    """What a desk should know about the kind of code: a static one, or how old a live one is."""
    if result.claims is None:
        return None
    if result.code is CodeKind.STATIC:
        return _(STATIC_CODE_NOTE)
    assert result.age is not None
    return _(LIVE_CODE_AGE).format(seconds=max(0, int(result.age.total_seconds())))


def public_view(
    result: Verification, routing: Routing, _: Callable[[str], str] = str
) -> dict[str, Any]:
    """What the API answers: the status and the masked claims, nothing else."""
    claims = result.claims
    if claims is None:
        return {"status": result.status.value}
    body: dict[str, Any] = {"status": result.status.value, "code": result.code.value}
    if result.age is not None:
        body["age_seconds"] = int(result.age.total_seconds())
    body |= {
        "note": code_note(result, _),
        "serial": claims.serial,
        "holder": claims.holder,
        "document_type": claims.document_type.value,
        "document": claims.document,
        "hotel": claims.hotel,
        "hotel_name": _hotel_names(routing, claims.hotel),
        "valid_from": claims.valid_from.isoformat(),
        "valid_until": claims.valid_until.isoformat(),
        "issued_at": claims.issued_at.isoformat(),
        "kid": result.kid,
    }
    if result.revoked_at is not None:
        body["revoked_at"] = result.revoked_at.isoformat()
    return body


def _hotel_names(routing: Routing, code: str) -> dict[str, str] | None:
    try:
        return dict(routing.hotel(code).name)
    except KeyError:
        return None


async def _verify(request: web.Request, raw: str, channel: Channel) -> Verification:
    if len(raw) > MAX_TOKEN_CHARS + 200:
        raw = ""
    token = token_from_text(raw) or raw
    return await request.app[CERTIFICATES].verify(token, channel)


@routes.get("/v/{token}")
async def verification_page(request: web.Request) -> web.Response:
    i18n, routing = request.app[I18N], request.app[ROUTING]
    locale = choose_locale(request, i18n.default_locale)
    if wait := await request.app[VERIFY_LIMIT].retry_after(request):
        page = render_busy_page(wait, partial(_translate, i18n, locale), locale)
        return web.Response(
            status=429,
            text=page,
            content_type="text/html",
            charset="utf-8",
            headers=_busy_headers(wait, {"Content-Language": locale, "Vary": "Accept-Language"}),
        )
    result = await _verify(request, request.match_info["token"], Channel.WEB)
    page = render_page(result, routing, partial(_translate, i18n, locale), locale)
    headers = {**NO_STORE, "Content-Language": locale, "Vary": "Accept-Language"}
    return web.Response(text=page, content_type="text/html", charset="utf-8", headers=headers)


def _translate(i18n: I18n, locale: str, message: str) -> str:
    return i18n.gettext(message, locale=locale)


@lru_cache(maxsize=256)
def _translated(i18n: I18n, locale: str, message: str) -> str:
    """`_translate`, looked up once per locale and message: the catalogs do not change while
    the server runs, and the API answers the same few phrases every time."""
    return _translate(i18n, locale, message)


@routes.get("/api/v1/certificates/verify")
async def verify_api(request: web.Request) -> web.Response:
    if wait := await request.app[VERIFY_LIMIT].retry_after(request):
        body = {"status": "rate_limited", "retry_after": wait}
        return web.json_response(body, status=429, headers=_busy_headers(wait, CORS))
    result = await _verify(request, request.query.get("token", ""), Channel.API)
    i18n = request.app[I18N]
    locale = choose_locale(request, i18n.default_locale)
    view = public_view(result, request.app[ROUTING], partial(_translated, i18n, locale))
    return web.Response(body=_JSON(view).encode(), headers=API_HEADERS)


def _busy_headers(wait: int, extra: dict[str, str]) -> dict[str, str]:
    return {**NO_STORE, "Retry-After": str(wait), **extra}


@routes.get("/.well-known/linkage-keys.json")
async def public_keys(request: web.Request) -> web.Response:
    return web.json_response(
        request.app[CERTIFICATES].jwks(),
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


# --- the page -----------------------------------------------------------------------------------

_STYLE = """
body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",
"Microsoft YaHei",sans-serif;background:#f6f8fa;color:#1c2128}
main{max-width:32rem;margin:0 auto;padding:1rem}
.status{color:#fff;border-radius:1rem;padding:1.5rem 1rem;text-align:center;margin:0 0 1rem}
.status h1{font-size:3rem;margin:0;line-height:1.1}
.status p{margin:.75rem 0 0;font-size:1.1rem}
h2{font-size:1rem;color:#57606a;font-weight:normal;margin:1.5rem 0 .5rem}
dl{background:#fff;border-radius:1rem;padding:.5rem 1rem;margin:0}
dt{color:#57606a;font-size:.9rem;margin-top:.75rem}
dd{margin:0 0 .5rem;font-size:1.35rem;word-break:break-all}
footer{color:#57606a;font-size:.85rem;margin:1rem 0;text-align:center}
footer a{color:#0969da;margin:0 .5rem}
"""
BUSY_COLOUR = "#9a6700"
_STYLE += "".join(
    f".{status.value}{{background:{colour}}}" for status, colour in STATUS_COLOURS.items()
)
_STYLE += f".busy{{background:{BUSY_COLOUR}}}"
# the only inline style the pages have; the Content-Security-Policy allows it by this hash
STYLE_SOURCE = style_source(_STYLE)


def _head(title: str, locale: str) -> str:
    return (
        f'<!doctype html><html lang="{"zh-CN" if locale == "zh" else "en"}"><head>'
        '<meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><main>"
    )


def render_busy_page(wait: int, _: Callable[[str], str], locale: str) -> str:
    """The page for an address that checked too often: what happened and when to try again."""
    e = html.escape
    title = _("Too many checks")
    return (
        _head(f"{title} · {_('Temporary accommodation certificate')}", locale)
        + f'<section class="status busy"><h1 id="status" data-status="rate_limited">{e(title)}'
        + "</h1><p>"
        + e(_("Too many checks from this address; try again in {seconds} s.").format(seconds=wait))
        + "</p></section></main></body></html>"
    )


def render_page(
    result: Verification, routing: Routing, _: Callable[[str], str], locale: str
) -> str:
    """The whole HTML page; every value escaped."""
    e = html.escape
    status = result.status
    rows: list[tuple[str, str]] = []
    claims = result.claims
    if claims is not None:
        hotel = _hotel_names(routing, claims.hotel)
        rows = [
            (_("Holder"), claims.holder),
            (_("Document"), f"{_(DOCUMENT_NAMES[claims.document_type])} {claims.document}"),
            (_("Hotel"), text(hotel, locale) if hotel else claims.hotel),
            (_("Valid from"), claims.valid_from.isoformat()),
            (_("Valid until"), claims.valid_until.isoformat()),
            (_("Serial"), claims.serial),
        ]
        if result.revoked_at is not None:
            revoked = result.revoked_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
            rows.append((_("Revoked on"), revoked))
    details = "".join(f"<dt>{e(name)}</dt><dd>{e(value)}</dd>" for name, value in rows)
    checked = datetime.now(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
    other = "zh" if locale == "en" else "en"
    other_name = "中文" if other == "zh" else "English"
    title = _("Temporary accommodation certificate")
    return (
        _head(f"{_(STATUS_WORDS[status])} · {title}", locale)
        + f'<section class="status {status.value}">'
        f'<h1 id="status" data-status="{status.value}">{e(_(STATUS_WORDS[status]))}</h1>'
        f"<p>{e(_(STATUS_MEANINGS[status]))}</p>"
        + (f'<p id="code-note">{e(note)}</p>' if (note := code_note(result, _)) else "")
        + "</section>"
        f"<h2>{e(title)}</h2>"
        + (f"<dl>{details}</dl>" if details else "")
        + "<footer>"
        + e(_("Checked at {time}, China time.").format(time=checked))
        + f'<br><a href="?lang={other}" hreflang="{other}">{other_name}</a>'
        + "</footer></main></body></html>"
    )
