"""HTTP routes served by the bot's web server."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis

from services.health import check_health
from services.storage import Database

DATABASE = web.AppKey("database", Database)
REDIS: web.AppKey[Redis | None] = web.AppKey("redis")
VERSION = web.AppKey("version", str)

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    app = request.app
    health = await check_health(app[DATABASE], app[REDIS], app[VERSION])
    body = {"database": health.database, "redis": health.redis, "version": health.version}
    return web.json_response(body, status=200 if health.ok else 503)
