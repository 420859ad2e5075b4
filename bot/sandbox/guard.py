"""Only the sandbox's own page may act in the sandbox; other web sites a person visits may not.

The rule, for every request that can change something (any method but GET, HEAD and OPTIONS):
its Origin header must be the origin the request was sent to (`http://` and its Host header),
and that host must be one the sandbox is reached at directly: an IP address, `localhost`, or
the `--host` it was started with. Anything else gets 403 and a line saying why:

- a missing Origin, or `null` (a sandboxed frame, a redirect, a page with no referrer): every
  browser sends its page's origin with a `fetch` POST, so only a tool can leave it out; a tool
  sends one by hand (`curl -H 'Origin: http://127.0.0.1:8080' ...`);
- another site's origin (`http://evil.example` posting through the person's browser);
- a DNS name other than `--host` (DNS rebinding: evil.example made to point at 127.0.0.1 is
  the request's own origin, but a name the sandbox was not started with).

GET requests change nothing (the page, its strings, the state, the event stream: it only
reports; the person's actions go through POSTs), so they pass. The page needs no token: its
own `fetch` calls carry its origin whatever its Referrer-Policy.

The sandbox's Bot API server (its Telegram, another port) answers only the bot's token, new at
every start and kept in the sandbox's folder (`bot-token`): it accepted any token before, so a
page could POST a form, or load an image, that set a webhook of its own and read along.
"""

from __future__ import annotations

import ipaddress
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNAUTHORIZED = {"ok": False, "error_code": 401, "description": "Unauthorized"}  # as Telegram


def own_page_only(host: str) -> Middleware:
    """The middleware for a sandbox started with `--host host`."""
    started_at = host.strip("[]").lower()

    def reached_directly(name: str) -> bool:
        name = name.strip("[]").lower()
        if name in {"localhost", started_at}:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in READ_ONLY_METHODS:
            return await handler(request)
        origin = request.headers.get("Origin")
        if origin is None or origin == "null":
            raise web.HTTPForbidden(
                text="refused: a change to the sandbox must come from its own page, "
                "and this request says from no page (no Origin header)"
            )
        if origin != f"http://{request.host}":
            raise web.HTTPForbidden(
                text=f"refused: a change to the sandbox must come from its own page, "
                f"not from {origin}"
            )
        if not reached_directly(request.url.host or ""):
            raise web.HTTPForbidden(
                text=f"refused: open the sandbox at an IP address, localhost or {host}, "
                f"not at {request.url.host}"
            )
        return await handler(request)

    return guard


def bot_token_only(token: str) -> Middleware:
    """The middleware for the sandbox's Bot API server: another token gets Telegram's 401."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        sent = request.match_info.get("token")
        if sent is not None and not secrets.compare_digest(f"bot{sent}", f"bot{token}"):
            return web.json_response(UNAUTHORIZED, status=401)
        return await handler(request)

    return guard
