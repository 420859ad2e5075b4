"""The front desk's console Mini App: check a code, compare the face, check in and out.

`GET /app/desk` is a page without inline script (handlers/static/miniapp/desk.js). Every API
request carries Telegram's init data (handlers.miniapp_auth), and the person is asked of
`Authorization.frontdesk_hotel` at that moment: a former desk, another hotel's desk or a stranger
sees nothing of the holder.

- `POST /app/api/desk`: the desk's hotel and today's arrivals there.
- `POST /app/api/desk/check` `{code}`: the status of a code (live, static, or its link); for a
  certificate of this hotel valid today, also the holder as reviewed (full name, the document's
  last four characters, whether a selfie is there) and the actions.
- `POST /app/api/desk/selfie` `{serial}`: the selfie, fetched from Telegram at this request and
  streamed to this desk only (never stored here; `Cache-Control: no-store`).
- `POST /app/api/desk/checkin|checkout|undo` `{serial[, reason]}`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiogram import Bot
from aiogram.utils.i18n import I18n
from aiohttp import web

from handlers.desk_words import (
    HOLDER_SEEN,
    NO_SELFIE,
    actions,
    flag_for_verifiers,
    standing_of,
    warning,
)
from handlers.miniapp_auth import MINIAPP_I18N, authenticate
from handlers.miniapp_certificate import NO_STORE, ROUTING, locale_of, page, page_headers
from handlers.roles import hotel_name
from handlers.verification import DOCUMENT_NAMES, STATUS_MEANINGS, STATUS_WORDS, code_note
from services.authorization import Actor, Authorization
from services.certificate_token import Status
from services.certificates import CertificateNotFound, token_from_text
from services.checkins import (
    Arrival,
    CheckInRefused,
    CheckInService,
    NotCheckedIn,
    WrongHotel,
)
from services.models import CheckIn
from services.outbox import Outbox

Selfies = Callable[[str], Awaitable[bytes]]  # a Telegram file id → the image, in memory

AUTHORIZATION = web.AppKey("desk_authorization", Authorization)
CHECKINS = web.AppKey("desk_checkins", CheckInService)
OUTBOX = web.AppKey("desk_outbox", Outbox)
SELFIES: web.AppKey[Selfies] = web.AppKey("desk_selfies")
VERIFIER_CHAT = web.AppKey("desk_verifier_chat", int)  # 0: none
MAX_CODE = 2000

routes = web.RouteTableDef()


def N_(message: str) -> str:
    """Marks a message for extraction; translated where it is shown."""
    return message


NOT_A_DESK = N_("This console is for a hotel's front desk; you do not keep one.")
PAGE_STRINGS = {
    "title": N_("Front desk"),
    "scan": N_("📷 Scan a QR code"),
    "paste": N_("Paste or type the certificate's code or link"),
    "check": N_("Check"),
    "today": N_("Arriving today"),
    "nobody": N_("Nobody is due to arrive today."),
    "not_yet": N_("not checked in"),
    "checkin": N_("✅ Check in"),
    "checkout": N_("Check out"),
    "undo": N_("Undo the check-in"),
    "reason": N_("Why is the check-in wrong?"),
    "reason_needed": N_("Write why the check-in is wrong, then press Undo again."),
    "name": N_("Full name"),
    "document": N_("Document"),
    "last4": N_("last four: {last4}"),
    "hotel": N_("Hotel"),
    "stay": N_("Stay"),
    "serial": N_("Serial"),
    "holder": N_("Holder"),
}


def translator(request: web.Request, locale: str) -> Callable[[str], str]:
    i18n: I18n = request.app[MINIAPP_I18N]
    return lambda message: i18n.gettext(message, locale=locale)


def respond(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(
        body, status=status, headers=NO_STORE, dumps=partial(json.dumps, ensure_ascii=False)
    )


async def desk_of(request: web.Request) -> tuple[int, str, str]:
    """(user id, hotel code, locale) of a front desk now; 401 or 403 (raised) otherwise."""
    person = authenticate(request)
    assert person.user is not None
    locale = locale_of(person.user.language_code)
    hotel = await request.app[AUTHORIZATION].frontdesk_hotel(person.user.id)
    if hotel is None:
        Authorization.refused(
            Actor(person.user.id, person.user.first_name), request.path, "desk", "not a front desk"
        )
        text = translator(request, locale)(NOT_A_DESK)
        raise web.HTTPForbidden(
            text=json.dumps({"error": text, "locale": locale}, ensure_ascii=False),
            content_type="application/json",
            headers=NO_STORE,
        )
    return person.user.id, hotel, locale


async def field(request: web.Request, name: str) -> str:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="expected a JSON body") from None
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str) or len(value) > MAX_CODE:
        raise web.HTTPBadRequest(text=f"expected {name}")
    return value


@routes.get("/app/desk")
async def desk_page(request: web.Request) -> web.Response:
    headers = page_headers(request, images="'self' blob:")  # the selfie: a blob of the API's
    return web.Response(
        text=page("Front desk", "desk.js"), content_type="text/html", headers=headers
    )


def check_in_view(
    check_in: CheckIn | None, request: web.Request, locale: str
) -> dict[str, Any] | None:
    if check_in is None:
        return None
    _ = translator(request, locale)
    return {
        "hotel": check_in.hotel_code,
        "checked_out": check_in.checked_out_at is not None,
        "text": standing_of(check_in, request.app[ROUTING], locale, _),
    }


def arrival_view(arrival: Arrival, hotel: str, request: web.Request, locale: str) -> dict[str, Any]:
    state = check_in_view(arrival.check_in, request, locale)
    return {
        "serial": arrival.serial,
        "holder": arrival.holder_masked,
        "valid_until": arrival.valid_until.isoformat(),
        "check_in": state,
        "actions": actions(arrival.check_in, hotel, may_check_in=False),
    }


@routes.post("/app/api/desk")
async def console(request: web.Request) -> web.Response:
    _user, hotel, locale = await desk_of(request)
    _ = translator(request, locale)
    arrivals = await request.app[CHECKINS].arrivals(hotel)
    return respond(
        {
            "locale": locale,
            "strings": {key: _(value) for key, value in PAGE_STRINGS.items()},
            "hotel": hotel_name(request.app[ROUTING], hotel, locale),
            "arrivals": [arrival_view(found, hotel, request, locale) for found in arrivals],
        }
    )


@routes.post("/app/api/desk/check")
async def check(request: web.Request) -> web.Response:
    user, hotel, locale = await desk_of(request)
    raw = await field(request, "code")
    _ = translator(request, locale)
    routing = request.app[ROUTING]
    checkins = request.app[CHECKINS]
    answer = await checkins.at_desk(token_from_text(raw) or raw.strip(), hotel)
    result = answer.result
    body: dict[str, Any] = {
        "status": result.status.value,
        "word": _(STATUS_WORDS[result.status]),
        "meaning": _(STATUS_MEANINGS[result.status]),
        "note": code_note(result, _),
        "warning": warning(answer, hotel, routing, locale, _) or None,
    }
    claims = result.claims
    if claims is not None:
        body.update(
            serial=claims.serial,
            holder=claims.holder,
            document=f"{_(DOCUMENT_NAMES[claims.document_type])} {claims.document}",
            hotel=hotel_name(routing, claims.hotel, locale),
            stay=f"{claims.valid_from.isoformat()} – {claims.valid_until.isoformat()}",
            check_in=check_in_view(answer.check_in, request, locale),
        )
        own_and_valid = claims.hotel == hotel and result.status is Status.VALID
        body["actions"] = actions(answer.check_in, hotel, may_check_in=own_and_valid)
    if answer.holder is not None:
        body["person"] = {
            "full_name": answer.holder.full_name,
            "last4": answer.holder.document_last4,
            "selfie": bool(answer.holder.selfie_file_id),
            "note": _(HOLDER_SEEN) if answer.holder.selfie_file_id else _(NO_SELFIE),
        }
    await flag_for_verifiers(
        answer,
        desk_hotel=hotel,
        desk_user=user,
        outbox=request.app[OUTBOX],
        verifier_chat_id=request.app[VERIFIER_CHAT] or None,
        routing=routing,
        locale=request.app[MINIAPP_I18N].default_locale,
        _=translator(request, request.app[MINIAPP_I18N].default_locale),
    )
    return respond(body)


@routes.post("/app/api/desk/selfie")
async def selfie(request: web.Request) -> web.Response:
    _user, hotel, _locale = await desk_of(request)
    serial = await field(request, "serial")
    holder = await request.app[CHECKINS].holder(serial, hotel)  # asked again, now
    if holder is None or not holder.selfie_file_id:
        raise web.HTTPNotFound(headers=NO_STORE)
    image = await request.app[SELFIES](holder.selfie_file_id)
    return web.Response(body=image, content_type="image/jpeg", headers=NO_STORE)


@routes.post("/app/api/desk/{action:checkin|checkout|undo}")
async def act(request: web.Request) -> web.Response:
    user, hotel, locale = await desk_of(request)
    serial = await field(request, "serial")
    action = request.match_info["action"]
    checkins = request.app[CHECKINS]
    _ = translator(request, locale)
    routing = request.app[ROUTING]
    try:
        if action == "checkin":
            outcome = await checkins.check_in(serial, hotel_code=hotel, user_id=user)
            record = outcome.check_in
        elif action == "checkout":
            record = await checkins.check_out(serial, hotel_code=hotel, user_id=user)
        else:
            reason = (await field(request, "reason")).strip()
            if not reason:
                return respond({"error": _(PAGE_STRINGS["reason_needed"])}, status=400)
            record = await checkins.undo(serial, hotel_code=hotel, user_id=user, reason=reason)
            return respond({"message": _(UNDONE).format(serial=record.serial), "done": action})
    except CertificateNotFound:
        return respond({"error": _(NO_CERTIFICATE)}, status=404)
    except WrongHotel as wrong:
        text = _(OTHER_HOTELS).format(hotel=hotel_name(routing, wrong.hotel_code, locale))
        return respond({"error": text}, status=409)
    except CheckInRefused as refused:
        text = _(NOT_VALID).format(status=_(STATUS_WORDS[refused.status]))
        return respond({"error": text}, status=409)
    except NotCheckedIn as missing:
        text = _(NOT_CHECKED_IN).format(serial=missing.serial)
        if missing.standing is not None:
            text += " " + standing_of(missing.standing, routing, locale, _)
        return respond({"error": text}, status=409)
    return respond(
        {
            "message": f"{record.serial}: {standing_of(record, routing, locale, _)}",
            "done": action,
        }
    )


NO_CERTIFICATE = N_("This certificate no longer exists.")
OTHER_HOTELS = N_("Not checked in: this certificate is for {hotel}, not your hotel.")
NOT_VALID = N_("Not checked in: the certificate is no longer valid ({status}).")
NOT_CHECKED_IN = N_("{serial} has no open check-in at your hotel.")
UNDONE = N_("The check-in of {serial} is undone; the reason is on record.")


def telegram_selfies(bot: Bot) -> Selfies:
    """Fetch a photo from Telegram (getFile, then the file) into memory, never to disk."""

    async def fetch(file_id: str) -> bytes:
        buffer = io.BytesIO()
        await bot.download(file_id, destination=buffer)
        return buffer.getvalue()

    return fetch


def install(
    app: web.Application,
    *,
    authorization: Authorization,
    checkins: CheckInService,
    outbox: Outbox,
    selfies: Selfies,
    verifier_chat_id: int | None,
) -> None:
    """Serve the front desk's console (after handlers.miniapp_certificate.install)."""
    app[AUTHORIZATION] = authorization
    app[CHECKINS] = checkins
    app[OUTBOX] = outbox
    app[SELFIES] = selfies
    app[VERIFIER_CHAT] = verifier_chat_id or 0
    app.add_routes(routes)
