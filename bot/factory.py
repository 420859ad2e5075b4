"""The composition root: builds the Bot, the Dispatcher, storage and the web app from Settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.utils.i18n import I18n
from aiohttp import web
from redis.asyncio import Redis

from bot.button_presses import NoteAnsweredPresses
from bot.delivery import build_delivery
from bot.dispatcher import TrackedDispatcher
from bot.dispatching import build_dispatcher, follow_routing
from bot.i18n import build_i18n
from bot.limits import TelegramLimits
from bot.membership import TelegramMembership
from bot.metrics import CountTelegramAnswers, Metrics
from bot.programmes import build_legal, build_rental
from bot.retry import RetryOnTelegramHiccups
from bot.sender import Sender
from bot.settings import Settings, SettingsError
from bot.tuning import KeepResponseModels
from bot.web_app import build_web_app, install_dashboard, install_dashboard_pages, miniapp_url
from handlers import (
    mediation_web,
)
from handlers import miniapp_certificate as miniapp_routes
from handlers import miniapp_desk as desk_routes
from handlers.application_notices import ApplicationTelegramNotices
from handlers.deliberation_live import LiveView
from handlers.deliberation_notices import DeliberationTelegramNotices
from handlers.mediation_session_notices import MediationNotices
from handlers.notices import TelegramTicketNotices
from handlers.volunteer_notices import VolunteerNotices
from services.applications import ApplicationService
from services.authorization import Authorization
from services.board import Board
from services.certificates import CertificateService
from services.checkins import CheckInService
from services.deliberation import DeliberationService
from services.deliberation_live import LiveTally
from services.deliberation_outcome import DeliberationOutcome
from services.households import Households
from services.keyring import KeyRing
from services.legal import LegalDesk
from services.legal_bookings import Bookings
from services.legal_routing import CurrentPoint
from services.mediation_routing import directory_of
from services.mediation_setup import Mediation, build_mediation
from services.models import utcnow
from services.open311 import Open311
from services.outbox import Outbox
from services.outbox_files import FileStore
from services.privacy import FieldCipher
from services.relay import Relay
from services.rental import RentalService
from services.review_queue import ReviewQueue
from services.roles import RoleService
from services.routing import Routing, load_routing
from services.routing_file import RoutingError
from services.routing_store import LiveRouting
from services.staff_tools import Bans, ReplyTemplates, WorkerRoster
from services.storage import Database
from services.tickets import TicketService
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
