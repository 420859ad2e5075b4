"""Runs one bot process: web server always, then long polling or webhook, until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommandScopeAllGroupChats, BotCommandScopeChat
from aiohttp import web

from bot.doctor import log_problems
from bot.factory import Linkage, build
from bot.settings import Settings, SettingsError
from handlers.common import command_menu
from handlers.digest import send_daily_digests
from handlers.web_security import RedactingAccessLogger
from services.authorization import escalation_chains
from services.certificates import china_today
from services.legal_routing import legal_point
from services.migrate import upgrade_to_head
from services.models import utcnow
from services.people import LOCALES
from services.rental_removal import HouseRemoval
from services.retention import OutboxRetention
from services.routing_file import RoutingError
from services.updates import UpdateLog

log = logging.getLogger(__name__)
RETRY_SECONDS = (1, 2, 5, 10, 30)
RETENTION_EVERY = 60  # rounds of the minute loop: the retention round runs hourly
# Updates handled at once when polling (aiogram's own `tasks_concurrency_limit`): enough for the
# group commits to gather many (update claims, languages), while a burst of a thousand first
# messages no longer holds a thousand handlers' objects alive at once; CPython keeps that
# high-water mark, which was about 50 MB of the bot's memory after such a burst.
UPDATES_AT_ONCE = 64
# The webhook answers once an update is handled (a crash leaves it unanswered, so Telegram
# delivers it again), so Telegram's `max_connections` is the number of updates in hand. Its
# default, 40, left the group commits smaller than polling's and cost about 2 ms of CPU per
# update more; Telegram's maximum, 100, costs what polling does (bench/README.md, "Intake").
WEBHOOK_CONNECTIONS = 100


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set, or until SIGTERM/SIGINT when no event is given."""
    if stop is None:
        stop = asyncio.Event()
        stop_on_signals(stop)
    linkage = build(settings)
    # the access log names no token and no address (handlers/web_security.py)
    runner = web.AppRunner(
        linkage.web_app, handle_signals=False, access_log_class=RedactingAccessLogger
    )
    try:
        revision = await upgrade_to_head(linkage.db, lambda: linkage.cipher)
        log.info("database schema at revision %s", revision)
        try:  # the routing data: seeded from ROUTING_FILE the first time
            await linkage.live.start()
        except RoutingError as error:
            raise SettingsError(f"the routing data in the database is invalid: {error}") from None
        await runner.setup()
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
        log.info("web server on http://%s:%s", settings.web_host, settings.web_port)
        if not await _introduce(linkage, stop):
            return
        # beside taking updates, not before: a city's thousands of chats take minutes to ask
        checking = (
            asyncio.create_task(log_problems(linkage.bot, settings, linkage.live.current))
            if settings.doctor_at_start
            else None
        )
        try:
            async with _delivering(linkage):
                if settings.webhook_url:
                    await _run_webhook(linkage, runner, stop)
                else:
                    await _run_polling(linkage, stop)
        finally:
            if checking is not None:
                checking.cancel()
                await asyncio.gather(checking, return_exceptions=True)
    finally:
        await _shut_down(linkage, runner)


@contextlib.asynccontextmanager
async def _delivering(linkage: Linkage) -> AsyncIterator[None]:
    """Relay and sender run beside the updates; at the end they flush what they can."""
    if linkage.redis is None:  # the in-process queue died with the last process
        await linkage.outbox.requeue_stale(older_than=timedelta(0))
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(linkage.relay.run(stop)),
        asyncio.create_task(linkage.sender.run(stop)),
        asyncio.create_task(_escalate_every_minute(linkage, stop)),
        asyncio.create_task(linkage.live.run(stop)),
    ]
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # what the last handlers wrote
            await linkage.relay.run_once()
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)


async def escalate(linkage: Linkage, now: datetime) -> int:
    settings = linkage.settings
    return await linkage.tickets.escalate_overdue(
        now,
        escalation_chains(linkage.live.current),
        take_within=timedelta(minutes=settings.escalate_take_minutes),
        resolve_within=timedelta(hours=settings.escalate_resolve_hours),
        close_after=timedelta(days=settings.auto_close_days),
    )


async def send_digests(linkage: Linkage, now: datetime) -> int:
    """The daily digest, once DIGEST_TIME has passed today (off when unset)."""
    settings = linkage.settings
    if settings.digest_time is None:
        return 0
    return await send_daily_digests(
        linkage.tickets,
        linkage.notices,
        linkage.live.current,
        now,
        settings.zone,
        settings.digest_time,
        take_within=timedelta(minutes=settings.escalate_take_minutes),
        resolve_within=timedelta(hours=settings.escalate_resolve_hours),
    )


async def deliberate(linkage: Linkage, now: datetime) -> None:
    """Consultations: a reminder a day before the deadline, closing at the deadline."""
    if linkage.deliberation is None:
        return
    live = linkage.dispatcher.workflow_data.get("live_tally")
    if live is not None:  # what votes changed within the last edit's 15 s, shown now
        await live.refresh(now)
    if reminded := await linkage.deliberation.remind_due(now):
        log.info("%s residents reminded of a consultation closing in a day", reminded)
    if closed := await linkage.deliberation.close_due(now):
        log.info("%s consultations closed at their deadline", closed)
    kept = timedelta(days=linkage.settings.personal_data_retention_days)
    if purged := await linkage.deliberation.purge_opinions(now - kept):
        log.info("deleted %s residents' opinions on consultations decided long ago", purged)


async def thank_volunteers(linkage: Linkage, now: datetime) -> int:
    """From the first of each month: last month's hours, thanked once per volunteer."""
    return await linkage.volunteers.thank(now) if linkage.volunteers else 0


async def _escalate_every_minute(linkage: Linkage, stop: asyncio.Event) -> None:
    retention = OutboxRetention(linkage.outbox)
    rounds = 0
    while not stop.is_set():
        try:
            await escalate(linkage, utcnow())
            await send_digests(linkage, utcnow())
            kept = timedelta(days=linkage.settings.personal_data_retention_days)
            if neighbours := await linkage.tickets.purge_neighbours(utcnow() - kept):
                log.info("purged the names and phones of %s neighbours", neighbours)
            if purged := await linkage.applications.purge_personal_data(china_today()):
                log.info("purged the personal data of %s applications", purged)
            if lapsed := await linkage.applications.lapse_undecided(utcnow()):
                log.info("%s undecided applications lapsed; their personal data purged", lapsed)
            if forgotten := await linkage.open311.purge_contacts(utcnow()):
                log.info("deleted the contact details of %s Open311 requesters", forgotten)
            if linkage.households and (gone := await linkage.households.purge_orphans()):
                log.info("deleted %s households of people no longer grid contacts", gone)
            if thanked := await thank_volunteers(linkage, utcnow()):
                log.info("thanked %s volunteers for last month's hours", thanked)
            if reminded := await linkage.review_queue.remind(utcnow()):
                log.info("%s reminders of applications waiting for a decision", reminded)
            await rental_round(linkage, utcnow())
            await mediation_round(linkage, utcnow())
            await legal_round(linkage, utcnow())
            await deliberate(linkage, utcnow())
        except Exception:
            log.exception("escalation or purge round failed; trying again in a minute")
        try:
            await tidy_certificates(linkage)
        except Exception:
            log.exception("pruning keys or the verification log failed; trying again in a minute")
        if rounds % RETENTION_EVERY == 0:
            try:
                await tidy_delivery(linkage, retention)
            except Exception:
                log.exception("the retention round failed; trying again in an hour")
        rounds += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 60)


async def rental_round(linkage: Linkage, now: datetime) -> None:
    """Rental houses: due inspections reminded, colours after time passed, tenants who moved
    out long enough ago forgotten (services/rental.py)."""
    if linkage.rental is None:
        return
    reminded, recoloured = await linkage.rental.minute_round(now)
    if reminded or recoloured:
        log.info("rental houses: %s inspections reminded, %s recoloured", reminded, recoloured)
    if purged := await linkage.rental.purge_tenants(china_today(now)):
        log.info("purged the personal data of %s tenants who moved out", purged)
    if purged := await HouseRemoval(linkage.rental).purge(china_today(now), now):
        log.info("purged the address and landlord's phone of %s removed houses", purged)


async def mediation_round(linkage: Linkage, now: datetime) -> None:
    """Session reminders due now, and the personal data of cases closed long enough ago."""
    if linkage.mediation is None:
        return
    if reminded := await linkage.mediation.appointments.remind(now):
        log.info("%s mediation session reminders", reminded)
    kept = timedelta(days=linkage.settings.personal_data_retention_days)
    if purged := await linkage.mediation.outcomes.purge_personal_data(now - kept):
        log.info("purged the personal data of %s closed mediation cases", purged)


async def legal_round(linkage: Linkage, now: datetime) -> None:
    """The legal service point: consultations reminded the day before, and who asked what
    purged PERSONAL_DATA_RETENTION_DAYS after the answer."""
    if linkage.bookings is not None and (reminded := await linkage.bookings.remind(now)):
        log.info("%s legal consultations reminded", reminded)
    kept = timedelta(days=linkage.settings.personal_data_retention_days)
    if linkage.legal is not None and (purged := await linkage.legal.purge(now - kept)):
        log.info("purged the personal data of %s legal questions", purged)


async def tidy_certificates(linkage: Linkage) -> None:
    """Forget signing keys whose certificates have all expired, and verification log rows older
    than VERIFICATION_LOG_RETENTION_DAYS."""
    for kid in await linkage.certificates.prune_keys():
        log.info("signing key %s pruned: every certificate it signed has expired", kid)
    days = linkage.settings.verification_log_retention_days
    if purged := await linkage.certificates.purge_verification_log(utcnow() - timedelta(days)):
        log.info("deleted %s verification log rows older than %s days", purged, days)


async def tidy_delivery(linkage: Linkage, retention: OutboxRetention) -> None:
    """Delivered notifications, their files, update claims and acknowledged stream entries:
    kept as long as their settings say (README "Retention"), then forgotten."""
    settings, now = linkage.settings, utcnow()
    pruned = await retention.prune(
        delivered_before=now - timedelta(days=settings.notification_retention_days),
        dead_before=now - timedelta(days=settings.dead_letter_retention_days),
    )
    if pruned.deleted or pruned.slimmed or pruned.files:
        log.info(
            "retention: %s notifications deleted, %s slimmed, %s files deleted",
            pruned.deleted,
            pruned.slimmed,
            pruned.files,
        )
    keep_for = timedelta(hours=settings.processed_update_retention_hours)
    if forgotten := await UpdateLog(linkage.db).prune(keep_for):
        log.info("retention: %s processed-update claims forgotten", forgotten)
    if trimmed := await linkage.sender.queue.trim():
        log.info("retention: %s acknowledged stream entries trimmed", trimmed)


async def _introduce(linkage: Linkage, stop: asyncio.Event) -> bool:
    """Check the token and register the command menu; keep trying while Telegram is away."""
    bot, attempt = linkage.bot, 0
    while not stop.is_set():
        try:
            me = await bot.get_me()
            point = legal_point(linkage.live.current.legal)
            for locale in LOCALES:
                language = None if locale == linkage.settings.default_locale else locale
                for code in {language, locale}:
                    await bot.set_my_commands(
                        command_menu(linkage.i18n, locale), language_code=code
                    )
                    await bot.set_my_commands(
                        command_menu(linkage.i18n, locale, staff=True),
                        scope=BotCommandScopeAllGroupChats(),
                        language_code=code,
                    )
                    if point is not None:  # the lawyers' chat: /duty and /hours
                        try:
                            await bot.set_my_commands(
                                command_menu(linkage.i18n, locale, lawyers=True),
                                scope=BotCommandScopeChat(chat_id=point.chat_id),
                                language_code=code,
                            )
                        except TelegramBadRequest as error:  # the bot is not in that chat yet
                            log.warning("no command menu for the lawyers' chat: %s", error)
            log.info("bot @%s ready (id %s)", me.username, me.id)
            return True
        except TelegramUnauthorizedError:
            raise SettingsError(
                f"BOT_TOKEN was refused by the Bot API at {linkage.settings.telegram_api_url}: "
                "check the token with @BotFather (/mybots, API Token)."
            ) from None
        except TelegramNetworkError as error:
            delay = RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]
            attempt += 1
            log.warning(
                "cannot reach the Bot API at %s (%s); trying again in %ss",
                linkage.settings.telegram_api_url,
                error.message,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
    return False


async def _run_polling(linkage: Linkage, stop: asyncio.Event) -> None:
    bot, dispatcher = linkage.bot, linkage.dispatcher
    await bot.delete_webhook(drop_pending_updates=False)
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot,
            handle_signals=False,
            close_bot_session=False,
            polling_timeout=linkage.settings.polling_timeout,
            tasks_concurrency_limit=UPDATES_AT_ONCE,
        )
    )
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not polling.done():
        log.info("stopping: no new updates are taken")
        await dispatcher.stop_polling()
    stopping.cancel()
    await polling


async def _run_webhook(linkage: Linkage, runner: web.AppRunner, stop: asyncio.Event) -> None:
    bot, dispatcher, settings = linkage.bot, linkage.dispatcher, linkage.settings
    assert settings.webhook_url is not None
    await bot.set_webhook(
        settings.webhook_url,
        secret_token=settings.effective_webhook_secret,
        allowed_updates=dispatcher.resolve_used_update_types(),
        max_connections=WEBHOOK_CONNECTIONS,
    )
    log.info("webhook set to %s", settings.webhook_url)
    await dispatcher.emit_startup(bot=bot, **dispatcher.workflow_data)
    try:
        await stop.wait()
    finally:
        await _stop_sites(runner)  # no new webhook updates; then wait for those in hand
        await dispatcher.emit_shutdown(bot=bot, **dispatcher.workflow_data)


async def _stop_sites(runner: web.AppRunner) -> None:
    for site in list(runner.sites):
        await site.stop()
    await asyncio.sleep(0)  # let just-accepted updates start, so shutdown waits for them


async def _shut_down(linkage: Linkage, runner: web.AppRunner) -> None:
    """In-flight updates were waited for by the dispatcher's shutdown (polling or webhook)."""
    await runner.cleanup()
    await linkage.close()
    log.info("stopped")


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
