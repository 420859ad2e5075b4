"""What every web server of Linkage does for safety: headers, the client's address, a limit per
address, and an access log that says neither which certificate was checked nor by whom."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import math
import re
from collections.abc import Iterable, Mapping
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler, Middleware

from services.ratelimit import RequestLimiter

log = logging.getLogger(__name__)

Network = IPv4Network | IPv6Network

SECURITY_HEADERS: Mapping[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
IPV6_PREFIX = 64  # one household or server gets a /64: its addresses count as one


def style_source(stylesheet: str) -> str:
    """The CSP source allowing exactly this inline <style> element's text."""
    digest = base64.b64encode(hashlib.sha256(stylesheet.encode("utf-8")).digest()).decode()
    return f"'sha256-{digest}'"


def content_security_policy(style_sources: Iterable[str] = ()) -> str:
    """Same-origin only, never framed, no <base>, forms only to us; inline styles only those
    whose hashes are given (`style_source`), so no injected markup can style or script."""
    directives = [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
    styles = " ".join(style_sources)
    if styles:
        directives.append(f"style-src 'self' {styles}")
    return "; ".join(directives)


def security_headers(policy: str | None = None) -> Middleware:
    """An aiohttp middleware adding the security headers to every response.

    X-Content-Type-Options, Referrer-Policy, X-Frame-Options and the Content-Security-Policy
    `policy` (default: `content_security_policy()`, nothing inline allowed) are set on what
    handlers return, on HTTP errors they raise (404, 405...), and on the 500 answered for an
    unexpected error. A handler's own value of one of these headers is kept. Use it in any
    aiohttp app: `web.Application(middlewares=[security_headers(policy)])`.
    """
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": policy or content_security_policy()}

    def add_to(response: web.StreamResponse) -> None:
        for name, value in headers.items():
            response.headers.setdefault(name, value)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            add_to(error)
            raise
        except Exception:
            log.exception("error handling %s %s", request.method, redact(request.path))
            internal = web.HTTPInternalServerError()
            add_to(internal)
            raise internal from None
        if not response.prepared:  # a streamed response sent its headers itself
            add_to(response)
        return response

    return middleware


# --- who is asking --------------------------------------------------------------------------------


def client_address(request: web.Request, trusted_proxies: Iterable[Network] = ()) -> str:
    """The address a request came from: the peer, unless the peer is a trusted proxy.

    Behind trusted proxies the address is read from X-Forwarded-For, from the right: each
    proxy appends the address it was connected from (nginx's $proxy_add_x_forwarded_for), so
    the nearest entry that is not a trusted proxy is the client. What is left of it came from
    the client itself and could be anything, so it is never believed.
    """
    trusted = tuple(trusted_proxies)
    peer = request.remote or "unknown"
    if not trusted or not _within(peer, trusted):
        return peer
    address = peer
    hops = ",".join(request.headers.getall("X-Forwarded-For", []))
    for hop in reversed([h.strip() for h in hops.split(",") if h.strip()]):
        if _parse_address(hop) is None:
            break  # not written by a proxy: stop at the last address that was
        address = hop
        if not _within(hop, trusted):
            break
    return address


def rate_key(address: str) -> str:
    """An IPv6 address counts by its /64 (one host can have them all); IPv4 as it is."""
    if ":" not in address:
        return address  # IPv4 (or "unknown"): parsing it would give it back unchanged
    parsed = _parse_address(address)
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is None:
        return str(IPv6Network((parsed, IPV6_PREFIX), strict=False))
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return address


def _parse_address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    parsed = _parse_address(address)
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return parsed is not None and any(parsed in network for network in networks)


class AddressLimit:
    """At most `limiter`'s window of requests per client address (see `client_address`)."""

    def __init__(self, limiter: RequestLimiter, trusted_proxies: Iterable[Network] = ()) -> None:
        self.limiter = limiter
        self.trusted_proxies = tuple(trusted_proxies)

    async def retry_after(self, request: web.Request) -> int:
        """0 if the request may go on (it is counted), else whole seconds to wait (at least 1)."""
        address = client_address(request, self.trusted_proxies)
        wait = await self.limiter.admit(rate_key(address))
        return 0 if wait <= 0 else max(1, math.ceil(wait))


# --- the access log -------------------------------------------------------------------------------

_TOKEN_PATH = re.compile(r"^(/v/)[^/]*", re.IGNORECASE)
# certificate tokens, Open311 API keys and an Open311 requester's contact fields
_TOKEN_PARAMETER = re.compile(
    r"(^|&)((?:token|api_key|email|first_name|last_name|phone|device_id|account_id)=)[^&]*",
    re.IGNORECASE,
)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
REDACTED = "…"


def redact(path: str, query: str = "") -> str:
    """A request's path and query with certificate tokens, API keys and Open311 contact fields
    cut out (/v/…, token=…, api_key=…, email=…)."""
    path = _TOKEN_PATH.sub(rf"\g<1>{REDACTED}", path)
    if query:
        path += "?" + _TOKEN_PARAMETER.sub(rf"\g<1>\g<2>{REDACTED}", query)
    return _UNPRINTABLE.sub("?", path)


class RedactingAccessLogger(AbstractAccessLogger):
    """The access log of the bot's web server: request line, status, size and time, with
    tokens cut out and without the client's address or browser.

    A token is a certificate holder's masked identity and stay; next to an address it says who
    checked whom, where. Pass it as `web.AppRunner(app, access_log_class=RedactingAccessLogger)`.
    """

    @property
    def enabled(self) -> bool:
        """aiohttp skips `log` (and the redaction) when INFO is not logged."""
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        line = redact(request.path, request.query_string)
        self.logger.info(
            '"%s %s HTTP/%s.%s" %s %s %.1fms',
            request.method,
            line,
            request.version.major,
            request.version.minor,
            response.status,
            response.body_length,
            time * 1000,
        )
