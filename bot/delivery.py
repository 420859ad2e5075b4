"""Outbox → queue → sender, as one process runs them: Redis Streams when configured,
in-process otherwise; the flood limits from Settings."""

from __future__ import annotations

from aiogram import Bot
from redis.asyncio import Redis

from bot.metrics import Metrics
from bot.sender import Sender
from bot.settings import Settings
from handlers.notices import TelegramTicketNotices
from handlers.topics import TopicRepair
from services.outbox import Outbox
from services.queue import MemoryQueue, NotificationQueue, RedisStreamQueue
from services.ratelimit import (
    FloodLimits,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    Window,
)
from services.relay import Relay
from services.tickets import TicketService


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
