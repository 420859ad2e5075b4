"""HTTP routes served by the bot's web server: /healthz and /metrics."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.asyncio import Redis

from services.health import check_health
from services.storage import Database

DATABASE = web.AppKey("database", Database)
REDIS: web.AppKey[Redis | None] = web.AppKey("redis")
VERSION = web.AppKey("version", str)
# the exposition in Prometheus's text format, and the bearer token that may read it
METRICS: web.AppKey[Callable[[], Awaitable[bytes]]] = web.AppKey("metrics")
METRICS_TOKEN: web.AppKey[str | None] = web.AppKey("metrics_token")
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    app = request.app
    health = await check_health(app[DATABASE], app[REDIS], app[VERSION])
    body = {"database": health.database, "redis": health.redis, "version": health.version}
    return web.json_response(body, status=200 if health.ok else 503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Volumes, not personal data; still only for the operator (SECURITY.md, "Metrics")."""
    if not may_read_metrics(request, request.app[METRICS_TOKEN]):
        raise web.HTTPNotFound()
    body = await request.app[METRICS]()
    return web.Response(body=body, headers={"Content-Type": METRICS_CONTENT_TYPE})


def may_read_metrics(request: web.Request, token: str | None) -> bool:
    """With METRICS_TOKEN: its bearer only. Without: a caller on this machine that came through
    no proxy (a proxy on this machine would make every visitor look local)."""
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False
