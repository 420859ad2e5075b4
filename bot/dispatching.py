"""The Dispatcher as wired for Linkage: where forms are kept, the middlewares every update
passes in order, the routers, and the routing followed as it changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram.fsm.storage.base import BaseEventIsolation, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

import handlers
from bot.button_presses import AnswerEveryPress
from bot.dispatcher import TrackedDispatcher
from bot.forms import (
    LOST_FORM_NOTICE_SECONDS,
    ExpiringMemoryStorage,
    SealedJSON,
    StagedStorage,
    TellLostForms,
)
from bot.metrics import Metrics, TimeUpdates
from bot.middlewares import OnceOnly, PersonLocale, Throttling
from bot.settings import Settings
from services.authorization import Authorization
from services.outbox import Outbox
from services.people import PeopleService
from services.privacy import FieldCipher
from services.routing import Routing
from services.routing_store import LiveRouting, RoutingStore
from services.storage import Database
from services.throttle import MemoryThrottle, RedisThrottle, Throttle, ThrottleRule
from services.tickets import TicketService
from services.updates import UpdateLog


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
