"""The bot's own web server: health and metrics, certificate verification, Open311, the
board, the webhook, and the supervisor dashboard's pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.utils.i18n import I18n
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from redis.asyncio import Redis

from bot import __version__
from bot.settings import Settings
from handlers import board as board_routes
from handlers import dashboard as dashboard_routes
from handlers import (
    dashboard_auth,
    dashboard_map,
    dashboard_programmes,
    dashboard_ticket,
)
from handlers import dashboard_export as export_routes
from handlers import miniapp_certificate as miniapp_routes
from handlers import open311 as open311_routes
from handlers import verification as verification_routes
from handlers import web as web_routes
from handlers.dashboard_notices import DashboardCardNotices
from handlers.notices import TelegramTicketNotices
from handlers.web_security import AddressLimit, content_security_policy, security_headers
from services.api_keys import ApiKeys
from services.authorization import Authorization
from services.board import Board
from services.certificates import CertificateService
from services.dashboard_access import DashboardAccess, SessionSigner
from services.dashboard_export import TicketExport
from services.dashboard_figures import DashboardFigures
from services.dashboard_programmes import DashboardProgrammes
from services.open311 import Open311
from services.privacy import FieldCipher
from services.ratelimit import (
    MemoryRequestLimiter,
    RedisRequestLimiter,
    RequestLimiter,
    Window,
)
from services.routing import Routing
from services.routing_store import LiveRouting
from services.staff_sightings import StaffSightings
from services.storage import Database
from services.street_map import StreetMap
from services.ticket_actions import TicketActions
from services.tickets import TicketService


def build_web_app(
    settings: Settings,
    db: Database,
    redis: Redis | None,
    bot: Bot,
    dispatcher: Dispatcher,
    *,
    i18n: I18n,
    routing: Routing,
    certificates: CertificateService,
    metrics: Callable[[], Awaitable[bytes]],
    open311: Open311,
    board: Board,
) -> web.Application:
    policy = content_security_policy(style_sources=[verification_routes.STYLE_SOURCE])
    app = web.Application(middlewares=[security_headers(policy)])
    app[web_routes.DATABASE] = db
    app[web_routes.REDIS] = redis
    app[web_routes.VERSION] = __version__
    app[web_routes.METRICS] = metrics
    token = settings.metrics_token
    app[web_routes.METRICS_TOKEN] = token.get_secret_value() if token else None
    app.add_routes(web_routes.routes)
    # certificate verification: /v/{token}, /api/v1/certificates/verify, the JWK set
    app[verification_routes.CERTIFICATES] = certificates
    app[verification_routes.I18N] = i18n
    app[verification_routes.ROUTING] = routing
    app[verification_routes.VERIFY_LIMIT] = AddressLimit(
        build_verify_limiter(settings, redis), settings.trusted_proxies
    )
    app.add_routes(verification_routes.routes)
    # Open311 GeoReport v2: /open311/v2/...
    notices = dispatcher.workflow_data["notices"]
    app[open311_routes.SITE] = open311_routes.Open311Site(
        service=open311,
        api_keys=ApiKeys(db),
        post_limit=build_open311_limiter(settings, redis),
        read_limit=AddressLimit(
            build_request_limiter(
                Window(settings.open311_reads_per_second, 1.0), redis, "linkage:open311-read"
            ),
            settings.trusted_proxies,
        ),
        bot=bot,
        notices=notices,
        jurisdiction_id=settings.open311_jurisdiction_id,
        base_url=settings.effective_public_base_url,
        default_locale=settings.default_locale,
    )
    app.add_routes(open311_routes.routes)
    # the public board: /board (figures and published fixes; no sign-in, no personal data)
    app[board_routes.BOARD] = board
    app.add_routes(board_routes.routes)
    if settings.webhook_url:
        # answered once handled, not before: a process killed mid-update gets no 200 from
        # Telegram's point of view, so Telegram delivers the update again (to another process)
        SimpleRequestHandler(
            dispatcher=dispatcher,
            bot=bot,
            secret_token=settings.effective_webhook_secret,
            handle_in_background=False,
        ).register(app, path=webhook_path(settings.webhook_url))
    return app


def build_verify_limiter(settings: Settings, redis: Redis | None) -> RequestLimiter:
    """Checks per address per second: counted together by every process when Redis is there."""
    window = Window(settings.verify_rate_per_second, 1.0)
    return build_request_limiter(window, redis, "linkage:verify")


def build_open311_limiter(settings: Settings, redis: Redis | None) -> RequestLimiter:
    """POSTs per API key per minute: counted together by every process when Redis is there."""
    window = Window(settings.open311_posts_per_minute, 60.0)
    return build_request_limiter(window, redis, "linkage:open311")


def build_request_limiter(window: Window, redis: Redis | None, prefix: str) -> RequestLimiter:
    """Requests per key within the window, shared by every process through Redis if there."""
    if redis is None:
        return MemoryRequestLimiter(window)
    return RedisRequestLimiter(redis, window, prefix=prefix)


def miniapp_url(settings: Settings) -> str | None:
    """Where Telegram opens the Mini Apps from (`/app/...`): only over HTTPS, as Telegram
    accepts a web_app button's address; None when PUBLIC_BASE_URL is not HTTPS."""
    base = settings.effective_public_base_url
    return base if base.startswith("https://") else None


def webhook_path(webhook_url: str) -> str:
    return urlparse(webhook_url).path or "/"


def install_dashboard(
    settings: Settings,
    web_app: web.Application,
    bot: Bot,
    i18n: I18n,
    authorization: Authorization,
    dispatcher: Dispatcher,
    cipher: FieldCipher,
) -> None:
    """The supervisor dashboard (/dashboard): sign-in, figures, exports; /dashboard in chat."""
    sightings = StaffSightings(authorization.roles.db)
    authorization.staff_seen = sightings.saw  # where sign-in asks (services.staff_sightings)
    access = DashboardAccess(authorization, sightings)
    token = settings.bot_token.get_secret_value()
    base = settings.effective_public_base_url.rstrip("/")
    dashboard_auth.install(
        web_app,
        dashboard_auth.DashboardSite(
            access=access,
            sessions=SessionSigner(token, timedelta(hours=settings.dashboard_session_hours)),
            bot=bot,
            bot_token=token,
            base_url=base,
            secure=base.startswith("https://"),
            frame_ancestors=" ".join(
                [miniapp_routes.TELEGRAM_WEB, *settings.miniapp_frame_ancestors.split()]
            ),
            i18n=i18n,
        ),
    )
    web_app[dashboard_routes.FIGURES] = DashboardFigures(
        authorization.roles.db,
        take_within=timedelta(minutes=settings.escalate_take_minutes),
        resolve_within=timedelta(hours=settings.escalate_resolve_hours),
    )
    web_app.add_routes(dashboard_routes.routes)
    web_app[export_routes.EXPORT] = TicketExport(
        authorization.roles.db, cipher, web_app[dashboard_routes.FIGURES]
    )
    web_app.add_routes(export_routes.routes)
    dispatcher.workflow_data.update(dashboard_access=access, dashboard_url=base)


def install_dashboard_pages(
    settings: Settings,
    web_app: web.Application,
    db: Database,
    bot: Bot,
    tickets: TicketService,
    authorization: Authorization,
    notices: TelegramTicketNotices,
    live: LiveRouting,
) -> None:
    """The dashboard's map (/dashboard/map) and ticket pages (/dashboard/tickets/N)."""

    def routing() -> Routing:
        return live.current

    dashboard_map.install(
        web_app, dashboard_map.MapSite(StreetMap(db, routing), routing, settings.map_tiles_url)
    )
    dashboard_programmes.install(
        web_app, dashboard_programmes.ProgrammesSite(DashboardProgrammes(db), routing)
    )
    actions = TicketActions(tickets, authorization, DashboardCardNotices(notices))
    dashboard_ticket.install(
        web_app,
        dashboard_ticket.TicketSite(
            tickets,
            actions,
            notices,
            routing,
            bot,
            dashboard_ticket.csrf_key(settings.bot_token.get_secret_value()),
        ),
    )
