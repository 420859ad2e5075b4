"""The composition root: builds the Bot, the Dispatcher, storage and the web app from Settings."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.utils.i18n import I18n
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from redis.asyncio import Redis

import handlers
from bot import __version__
from bot.button_presses import AnswerEveryPress, NoteAnsweredPresses
from bot.dispatcher import TrackedDispatcher
from bot.forms import (
    LOST_FORM_NOTICE_SECONDS,
    ExpiringMemoryStorage,
    SealedJSON,
    StagedStorage,
    TellLostForms,
)
from bot.i18n import build_i18n
from bot.limits import TelegramLimits
from bot.membership import TelegramMembership
from bot.metrics import CountTelegramAnswers, Metrics, TimeUpdates
from bot.middlewares import OnceOnly, PersonLocale, Throttling
from bot.retry import RetryOnTelegramHiccups
from bot.sender import Sender
from bot.settings import Settings, SettingsError
from bot.tuning import KeepResponseModels
from handlers import board as board_routes
from handlers import dashboard as dashboard_routes
from handlers import (
    dashboard_auth,
    dashboard_map,
    dashboard_programmes,
    dashboard_ticket,
    mediation_web,
)
from handlers import dashboard_export as export_routes
from handlers import miniapp_certificate as miniapp_routes
from handlers import miniapp_desk as desk_routes
from handlers import open311 as open311_routes
from handlers import verification as verification_routes
from handlers import web as web_routes
from handlers.application_notices import ApplicationTelegramNotices
from handlers.dashboard_notices import DashboardCardNotices
from handlers.deliberation_live import LiveView
from handlers.deliberation_notices import DeliberationTelegramNotices
from handlers.lawyer_booking_notices import TelegramBookingNotices
from handlers.lawyer_notices import TelegramLegalNotices
from handlers.mediation_session_notices import MediationNotices
from handlers.notices import TelegramTicketNotices
from handlers.rental_notices import TelegramRentalNotices
from handlers.topics import TopicRepair
from handlers.volunteer_notices import VolunteerNotices
from handlers.web_security import AddressLimit, content_security_policy, security_headers
from services.api_keys import ApiKeys
from services.applications import ApplicationService
from services.authorization import Authorization
from services.board import Board
from services.certificates import CertificateService
from services.checkins import CheckInService
from services.dashboard_access import DashboardAccess, SessionSigner
from services.dashboard_export import TicketExport
from services.dashboard_figures import DashboardFigures
from services.dashboard_programmes import DashboardProgrammes
from services.deliberation import DeliberationService
from services.deliberation_live import LiveTally
from services.deliberation_outcome import DeliberationOutcome
from services.households import Households
from services.keyring import KeyRing
from services.legal import LegalDesk
from services.legal_bookings import Bookings
from services.legal_duty import DutyRoster
from services.legal_hours import ServiceHours
from services.legal_routing import CurrentPoint
from services.mediation_routing import directory_of
from services.mediation_setup import Mediation, build_mediation
from services.models import utcnow
from services.open311 import Open311
from services.outbox import Outbox
from services.outbox_files import FileStore
from services.people import PeopleService
from services.privacy import FieldCipher
from services.queue import MemoryQueue, NotificationQueue, RedisStreamQueue
from services.ratelimit import (
    FloodLimits,
    MemoryRateLimiter,
    MemoryRequestLimiter,
    RateLimiter,
    RedisRateLimiter,
    RedisRequestLimiter,
    RequestLimiter,
    Window,
)
from services.relay import Relay
from services.rental import RentalService
from services.rental_inspections import InspectionService
from services.rental_queries import RentalFigures
from services.rental_removal import HouseRemoval
from services.review_queue import ReviewQueue
from services.roles import RoleService
from services.routing import Routing, load_routing
from services.routing_file import RoutingError
from services.routing_store import LiveRouting, RoutingStore
from services.staff_sightings import StaffSightings
from services.staff_tools import Bans, ReplyTemplates, WorkerRoster
from services.storage import Database
from services.street_map import StreetMap
from services.throttle import MemoryThrottle, RedisThrottle, Throttle, ThrottleRule
from services.ticket_actions import TicketActions
from services.tickets import TicketService
from services.updates import UpdateLog
from services.volunteer_routing import skill_codes
from services.volunteers import Volunteers

log = logging.getLogger(__name__)
REVIEW_WINDOW = timedelta(days=30)  # certificate review times on /metrics


@dataclass
class Linkage:
    """Everything one bot process runs, built once at start."""

    settings: Settings
    db: Database
    redis: Redis | None
    i18n: I18n
    bot: Bot
    dispatcher: TrackedDispatcher
    web_app: web.Application
    outbox: Outbox
    relay: Relay
    sender: Sender
    routing: Routing  # the routing file's; `live.current` is the one in use now
    tickets: TicketService
    certificates: CertificateService
    cipher: FieldCipher  # personal data at rest (applications, sealed notifications)
    applications: ApplicationService
    notices: TelegramTicketNotices  # what ticket changes say, in each reader's language
    review_queue: ReviewQueue  # what waits for the verifiers, and its reminders
    open311: Open311
    live: LiveRouting
    metrics: Metrics | None = None  # /metrics (bot/metrics.py)
    rental: RentalService | None = None  # rental houses: colours, reminders, purges
    mediation: Mediation | None = None  # disputes settled before court (services/mediation*)
    legal: LegalDesk | None = None  # the legal service point's questions
    bookings: Bookings | None = None  # its consultations (reminded by the minute round)
    deliberation: DeliberationOutcome | None = None  # consultations past their vote
    households: Households | None = None
    volunteers: Volunteers | None = None

    async def close(self) -> None:
        await self.dispatcher.storage.close()
        await self.bot.session.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.close()


def build_bot(settings: Settings, metrics: Metrics | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    # The first registered is outermost: limits split a long text, then each piece is retried.
    session.middleware(NoteAnsweredPresses())
    session.middleware(TelegramLimits())
    session.middleware(RetryOnTelegramHiccups())
    session.middleware(KeepResponseModels())
    if metrics is not None:  # innermost: every attempt's answer is counted
        session.middleware(CountTelegramAnswers(metrics))
    return Bot(settings.bot_token.get_secret_value(), session=session)


def build_fsm(
    settings: Settings, redis: Redis | None, cipher: FieldCipher
) -> tuple[StagedStorage, BaseEventIsolation]:
    """Forms live in Redis when several processes share the work, in memory otherwise.

    Either way a handler's changes are written when its update is done, a form's answers are
    kept STATE_TTL_SECONDS after its last step, and its state name a while longer to tell the
    person it was forgotten; in Redis the answers are sealed with the data key (bot/forms.py).
    """
    answers_ttl = settings.state_ttl_seconds
    state_ttl = answers_ttl + LOST_FORM_NOTICE_SECONDS
    if redis is None:
        memory = ExpiringMemoryStorage(state_ttl=state_ttl, data_ttl=answers_ttl)
        return StagedStorage(memory), SimpleEventIsolation()
    sealed = SealedJSON(cipher)
    storage = RedisStorage(
        redis,
        key_builder=DefaultKeyBuilder(prefix="linkage:fsm", with_destiny=True),
        state_ttl=state_ttl,
        data_ttl=answers_ttl,
        json_dumps=sealed.dumps,
        json_loads=sealed.loads,
    )
    # a killed process's per-person lock expires with its update claims (UPDATE_LEASE_SECONDS)
    isolation = storage.create_isolation(lock_kwargs={"timeout": settings.update_lease_seconds})
    return StagedStorage(storage), isolation


def build_throttle(settings: Settings, redis: Redis | None) -> Throttle:
    rule = ThrottleRule(
        limit=settings.throttle_messages,
        window=settings.throttle_window_seconds,
        cooldown=settings.throttle_cooldown_seconds,
    )
    return MemoryThrottle(rule) if redis is None else RedisThrottle(redis, rule)


def flood_limits(settings: Settings) -> FloodLimits:
    scale = settings.flood_time_scale
    return FloodLimits(
        overall=Window(settings.flood_overall_per_second, 1.0 * scale),
        group=Window(settings.flood_group_per_minute, 60.0 * scale),
        private=Window(settings.flood_private_burst, settings.flood_private_burst * scale),
    )


def build_delivery(
    settings: Settings,
    bot: Bot,
    outbox: Outbox,
    redis: Redis | None,
    tickets: TicketService,
    notices: TelegramTicketNotices,
    metrics: Metrics | None = None,
) -> tuple[Relay, Sender]:
    """Outbox → queue → sender: Redis Streams when configured, in-process otherwise."""
    queue: NotificationQueue
    limiter: RateLimiter
    if redis is None:
        queue, limiter = MemoryQueue(), MemoryRateLimiter(flood_limits(settings))
    else:
        queue = RedisStreamQueue(redis, lock_seconds=2 * settings.send_takeover_seconds)
        limiter = RedisRateLimiter(redis, flood_limits(settings))
    sender = Sender(
        bot,
        outbox,
        queue,
        limiter,
        max_attempts=settings.send_max_attempts,
        claim_idle_seconds=settings.send_takeover_seconds,
        lock_turn_seconds=settings.send_takeover_seconds * 2 / 3,  # well within the chat lock
        on_unreachable=tickets.notification_unreachable,
        metrics=metrics,
        on_refused=TopicRepair(bot, tickets, notices),
    )
    return Relay(outbox, queue), sender


def build_dispatcher(
    settings: Settings,
    db: Database,
    redis: Redis | None,
    i18n: I18n,
    outbox: Outbox,
    routing: Routing,
    tickets: TicketService,
    authorization: Authorization,
    cipher: FieldCipher,
    metrics: Metrics,
) -> TrackedDispatcher:
    storage, isolation = build_fsm(settings, redis, cipher)
    people = PeopleService(db, settings.default_locale)
    dispatcher = TrackedDispatcher(
        storage=storage,
        events_isolation=isolation,
        settings=settings,
        people=people,
        i18n=i18n,
        outbox=outbox,
        admin_ids=settings.admin_ids,
        routing=routing,
        notices=tickets.notices,
        tickets=tickets,
        roles=authorization.roles,
        authorization=authorization,
    )
    dispatcher.startup.register(storage.seal_plain_forms)
    dispatcher.update.outer_middleware(TimeUpdates(metrics))  # outermost: times everything
    lease = timedelta(seconds=settings.update_lease_seconds)
    dispatcher.update.outer_middleware(OnceOnly(UpdateLog(db, lease), storage))
    PersonLocale(i18n, people).setup(dispatcher)
    throttling = Throttling(build_throttle(settings, redis), settings.throttle_cooldown_seconds)
    dispatcher.message.outer_middleware(throttling)
    dispatcher.callback_query.outer_middleware(throttling)
    tell_lost_forms = TellLostForms(storage)  # after the person's language is known
    dispatcher.message.outer_middleware(tell_lost_forms)
    dispatcher.callback_query.outer_middleware(tell_lost_forms)
    dispatcher.callback_query.middleware(AnswerEveryPress())
    dispatcher.include_routers(*handlers.telegram_routers())
    return dispatcher


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


def build(settings: Settings) -> Linkage:
    try:
        routing = load_routing(settings.routing_file, settings.staff_chat_id)
    except RoutingError as error:
        raise SettingsError(f"ROUTING_FILE is invalid: {error}") from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    i18n = build_i18n(settings.default_locale)
    metrics = Metrics()
    bot = build_bot(settings, metrics)
    data_key = settings.data_key.get_secret_value() if settings.data_key else None
    cipher = FieldCipher.from_setting(data_key, settings.data_dir)
    # seals the notifications that carry personal data; keeps the cards it sends in DATA_DIR
    outbox = Outbox(db, cipher, FileStore(settings.data_dir, cipher))
    certificates = CertificateService(  # signing keys generated into DATA_DIR on first run
        db,
        KeyRing.open(settings.data_dir),
        settings.effective_public_base_url,
        max_nights=settings.certificate_max_nights,
        live_code_seconds=settings.live_code_seconds,
    )
    notices = TelegramTicketNotices(
        i18n, routing, settings.effective_staff_locale, settings.zone, cipher
    )
    tickets = TicketService(db, outbox, notices)
    verifier_chat_id = settings.verifier_chat_id
    if verifier_chat_id is None:
        log.warning("VERIFIER_CHAT_ID is not set: accommodation certificates are not offered")
    authorization = Authorization(
        RoleService(db, settings.admin_ids),
        TelegramMembership(bot),
        routing,
        verifier_chat_id,
        cache_seconds=settings.membership_cache_seconds,
    )
    dispatcher = build_dispatcher(
        settings, db, redis, i18n, outbox, routing, tickets, authorization, cipher, metrics
    )
    board = Board(db)
    dispatcher.workflow_data.update(board=board)
    consultations = DeliberationService(db, outbox, cipher, DeliberationTelegramNotices(notices))
    deliberation = DeliberationOutcome(consultations)
    dispatcher.workflow_data.update(
        deliberation=consultations,
        deliberation_outcome=deliberation,
        live_tally=LiveView(
            LiveTally(db, outbox), consultations, i18n, notices.chat_locale, settings
        ),
    )
    open311 = Open311(
        db,
        routing,
        tickets,
        cipher,
        contact_retention_days=settings.personal_data_retention_days,
    )
    relay, sender = build_delivery(settings, bot, outbox, redis, tickets, notices, metrics)
    application_notices = ApplicationTelegramNotices(
        i18n,
        routing,
        settings.default_locale,
        verifier_chat_id,
        settings.undecided_application_days,
        miniapp_url(settings),
    )
    applications = ApplicationService(
        db,
        outbox,
        cipher,
        certificates,
        application_notices,
        lambda code: dict(routing.hotel(code).name),
        retention_days=settings.personal_data_retention_days,
        undecided_days=settings.undecided_application_days,
        card_font=settings.card_font,
    )
    review_queue = ReviewQueue(
        db,
        outbox,
        applications,
        application_notices,
        remind_after=timedelta(minutes=settings.verify_remind_minutes),
        admin_ids=settings.admin_ids,
    )
    dispatcher.workflow_data.update(
        review_queue=review_queue,
        applications=applications,
        application_notices=application_notices,
        certificates=certificates,
        verifier_chat_id=verifier_chat_id,
        retention_days=settings.personal_data_retention_days,
        max_nights=settings.certificate_max_nights,
    )

    async def exposition() -> bytes:
        await metrics.refresh(db, lambda: applications.review_stats(utcnow() - REVIEW_WINDOW))
        return metrics.exposition()

    web_app = build_web_app(
        settings,
        db,
        redis,
        bot,
        dispatcher,
        i18n=i18n,
        routing=routing,
        certificates=certificates,
        metrics=exposition,
        open311=open311,
        board=board,
    )
    checkins = CheckInService(db, certificates, applications)
    dispatcher.workflow_data.update(checkins=checkins)
    dispatcher.workflow_data.update(  # staff tools: assignees, canned replies, bans
        roster=WorkerRoster(db), templates=ReplyTemplates(db), bans=Bans(db), cipher=cipher
    )
    households = Households(db, cipher)  # the families each grid contact looks after
    volunteer_notices = VolunteerNotices(
        i18n, routing, settings.effective_staff_locale, settings.zone
    )
    volunteers = Volunteers(db, outbox, cipher, volunteer_notices, settings.zone)
    volunteers.skills = skill_codes(routing.volunteers)
    dispatcher.workflow_data.update(households=households, volunteers=volunteers)
    miniapp_routes.install(  # the tourist's "My certificate" Mini App, /app/certificate
        web_app,
        bot_token=settings.bot_token.get_secret_value(),
        i18n=i18n,
        routing=routing,
        certificates=certificates,
        applications=applications,
        frame_ancestors=settings.miniapp_frame_ancestors,
    )
    desk_routes.install(  # the front desk's console, /app/desk
        web_app,
        authorization=authorization,
        checkins=checkins,
        outbox=outbox,
        selfies=desk_routes.telegram_selfies(bot),
        verifier_chat_id=verifier_chat_id,
    )
    dispatcher.workflow_data.update(miniapp_url=miniapp_url(settings))
    live = follow_routing(settings, db, routing, dispatcher, authorization)
    legal, bookings = build_legal(settings, db, outbox, cipher, notices, authorization, dispatcher)
    legal_point: CurrentPoint = dispatcher.workflow_data["current"]
    live.on_change(lambda routing_now: legal_point.use(routing_now.legal))
    install_dashboard(settings, web_app, bot, i18n, authorization, dispatcher, cipher)
    mediation_notices = MediationNotices(
        i18n,
        routing,
        directory_of(routing.mediation),
        settings.effective_staff_locale,
        settings.default_locale,
        settings.zone,
        settings.card_font,
    )
    mediation = build_mediation(
        db,
        outbox,
        cipher,
        routing,
        mediation_notices,
        certificates.keys,
        settings.effective_public_base_url,
        settings.mediation_meeting_url,
    )
    dispatcher.workflow_data.update(
        mediation=mediation.cases,
        mediation_appointments=mediation.appointments,
        mediation_outcomes=mediation.outcomes,
        mediation_notices=mediation_notices,
    )
    mediation_web.install(web_app, mediation.cases, certificates.keys)
    rental = build_rental(settings, db, outbox, cipher, i18n, routing, dispatcher, live)
    install_dashboard_pages(settings, web_app, db, bot, tickets, authorization, notices, live)
    live.on_change(mediation.follow)
    live.on_change(lambda current: setattr(mediation_notices, "routing", current))
    live.on_change(
        lambda current: setattr(mediation_notices, "directory", directory_of(current.mediation))
    )
    live.on_change(lambda current: setattr(notices, "routing", current))
    live.on_change(lambda current: setattr(application_notices, "routing", current))
    live.on_change(lambda current: setattr(open311, "routing", current))  # a grid bound later
    live.on_change(lambda current: setattr(volunteer_notices, "routing", current))
    live.on_change(lambda current: setattr(volunteers, "skills", skill_codes(current.volunteers)))
    return Linkage(
        settings,
        db,
        redis,
        i18n,
        bot,
        dispatcher,
        web_app,
        outbox,
        relay,
        sender,
        routing,
        tickets,
        certificates=certificates,
        cipher=cipher,
        applications=applications,
        metrics=metrics,
        open311=open311,
        live=live,
        review_queue=review_queue,
        notices=notices,
        rental=rental,
        mediation=mediation,
        legal=legal,
        bookings=bookings,
        deliberation=deliberation,
        households=households,
        volunteers=volunteers,
    )


def build_legal(
    settings: Settings,
    db: Database,
    outbox: Outbox,
    cipher: FieldCipher,
    notices: TelegramTicketNotices,
    authorization: Authorization,
    dispatcher: Dispatcher,
) -> tuple[LegalDesk, Bookings]:
    """The legal service point (the routing file's `legal:` section): questions, duty,
    consultations and service hours."""
    current = CurrentPoint(notices.routing.legal)
    legal_notices = TelegramLegalNotices(notices, current)
    legal = LegalDesk(db, outbox, cipher, legal_notices)
    booking_notices = TelegramBookingNotices(legal_notices)
    bookings = Bookings(db, outbox, current, booking_notices, settings.zone)
    dispatcher.workflow_data.update(
        current=current,
        legal=legal,
        legal_notices=legal_notices,
        booking_notices=booking_notices,
        bookings=bookings,
        duty=DutyRoster(db, current, authorization),
        hours=ServiceHours(db),
    )
    return legal, bookings


def build_rental(
    settings: Settings,
    db: Database,
    outbox: Outbox,
    cipher: FieldCipher,
    i18n: I18n,
    routing: Routing,
    dispatcher: TrackedDispatcher,
    live: LiveRouting,
) -> RentalService:
    """Rental houses (services/rental*.py): their notices follow the routing in use."""
    notices = TelegramRentalNotices(
        i18n, routing, settings.effective_staff_locale, cipher, settings.zone
    )
    rental = RentalService(
        db,
        outbox,
        cipher,
        notices,
        routing.rental,
        retention_days=settings.personal_data_retention_days,
    )
    dispatcher.workflow_data.update(
        rental=rental,
        inspections=InspectionService(rental),
        rental_figures=RentalFigures(db),
        house_removal=HouseRemoval(rental),
    )
    live.on_change(lambda current: setattr(notices, "routing", current))
    live.on_change(lambda current: setattr(rental, "rules", current.rental))
    return rental


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


def follow_routing(
    settings: Settings,
    db: Database,
    routing: Routing,
    dispatcher: TrackedDispatcher,
    authorization: Authorization,
) -> LiveRouting:
    """The routing data in the database, followed as it changes: every update's handlers get
    the current routing, and authorization works out the staff chats again."""
    store = RoutingStore(db, routing)
    live = LiveRouting(store, settings.routing_poll_seconds)
    live.on_change(authorization.use_routing)
    dispatcher.workflow_data.update(live_routing=live)

    async def current_routing(handler: Any, event: Any, data: dict[str, Any]) -> Any:
        data["routing"] = live.current
        return await handler(event, data)

    dispatcher.update.outer_middleware(current_routing)
    return live
