"""What an operator watches: /metrics in Prometheus's text format (the official client library).

Counters and histograms are kept by the parts that see the events (Bot API calls, the sender,
the update loop); figures held in the database (the outbox by state and priority, tickets by
state, overdue tickets, certificate review times) are read when Prometheus scrapes. Every figure
is a count or a duration: no name, no chat, no text (SECURITY.md, "Metrics").

Each process has its own registry, so several bots in one test process do not mix, and each
process of a fleet is scraped on its own (Prometheus adds the `instance` label).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from services.health import operational_figures
from services.models import Notification, utcnow
from services.storage import Database

log = logging.getLogger(__name__)
updates_log = logging.getLogger("linkage.updates")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
UPDATE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.delivery_latency = Histogram(
            "linkage_delivery_latency_seconds",
            "From a notification's writing to Telegram's acceptance",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.telegram_errors = Counter(
            "linkage_telegram_errors",
            "Bot API calls answered 429 (flood wait) or 5xx, per answer",
            ["status"],
            registry=r,
        )
        self.uncertain_sends = Counter(
            "linkage_uncertain_sends",
            "Bot API calls that timed out or lost their connection: Telegram may have taken "
            "them, so the call sent again may arrive twice",
            registry=r,
        )
        self.dead_letters = Counter(
            "linkage_dead_letters",
            "Notifications given up (dead letters) by this process",
            registry=r,
        )
        self.updates = Counter(
            "linkage_updates_handled", "Telegram updates handled", ["kind", "outcome"], registry=r
        )
        self.update_duration = Histogram(
            "linkage_update_duration_seconds",
            "Time to handle one Telegram update",
            buckets=UPDATE_BUCKETS,
            registry=r,
        )
        self.queue_depth = Gauge(
            "linkage_queue_depth",
            "Notifications not yet delivered (pending or queued), per priority (0 urgent)",
            ["priority"],
            registry=r,
        )
        self.oldest_waiting = Gauge(
            "linkage_queue_oldest_seconds",
            "Age of the oldest notification not yet delivered (0: none waits)",
            registry=r,
        )
        self.notifications = Gauge(
            "linkage_notifications", "Notification rows by state", ["state"], registry=r
        )
        self.tickets = Gauge("linkage_tickets", "Tickets by state", ["state"], registry=r)
        self.tickets_overdue = Gauge(
            "linkage_tickets_overdue",
            "Open tickets past their time to be taken or resolved (escalated at least once)",
            registry=r,
        )
        self.review = Gauge(
            "linkage_certificate_review_seconds",
            "Time from an application to its decision over the last 30 days",
            ["quantile"],
            registry=r,
        )
        self.up = Gauge(
            "linkage_dependency_up", "1 when a dependency answers", ["dependency"], registry=r
        )

    def delivered(self, notification: Notification) -> None:
        seconds = (utcnow() - _aware(notification.created_at)).total_seconds()
        self.delivery_latency.observe(max(0.0, seconds))

    async def refresh(self, db: Database, review: Callable[[], Awaitable[Any]]) -> None:
        """Read the figures kept in the database; a database away is a finding, not a 500."""
        try:
            figures = await operational_figures(db, utcnow())
        except Exception as error:
            log.warning("metrics: the database does not answer (%s)", type(error).__name__)
            self.up.labels("database").set(0)
            return
        self.up.labels("database").set(1)
        for priority, depth in figures.undelivered_by_priority.items():
            self.queue_depth.labels(str(priority)).set(depth)
        self.oldest_waiting.set(figures.oldest_undelivered_seconds)
        for state, count in figures.notifications_by_state.items():
            self.notifications.labels(state).set(count)
        for state, count in figures.tickets_by_state.items():
            self.tickets.labels(state).set(count)
        self.tickets_overdue.set(figures.tickets_overdue)
        stats = await review()
        for quantile, value in (("0.5", stats.median_review), ("0.9", stats.p90_review)):
            self.review.labels(quantile).set(value.total_seconds() if value else 0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class CountTelegramAnswers(BaseRequestMiddleware):
    """Session middleware, innermost: counts every attempt's 429, 5xx and timeout."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter:
            self.metrics.telegram_errors.labels("429").inc()
            raise
        except TelegramServerError:
            self.metrics.telegram_errors.labels("5xx").inc()
            raise
        except (TelegramNetworkError, TimeoutError):
            if method.__api_method__ != GetUpdates.__api_method__:  # polling has no effect
                self.metrics.uncertain_sends.inc()
            raise


class TimeUpdates(BaseMiddleware):
    """Outermost update middleware: counts and times each update; with LOG_FORMAT=json writes
    one line for it. The line names the update's kind, id, outcome and duration only: never who
    sent it or what it said."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = (event.event_type if isinstance(event, Update) else None) or "unknown"
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = "handled"
            return result
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            seconds = time.perf_counter() - started
            self.metrics.updates.labels(kind, outcome).inc()
            self.metrics.update_duration.observe(seconds)
            updates_log.info(
                "update handled",
                extra={
                    "update_id": getattr(event, "update_id", None),
                    "kind": kind,
                    "outcome": outcome,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
